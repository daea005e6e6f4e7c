"""The live console at /_sim/console: one static page that draws the /_sim API."""
