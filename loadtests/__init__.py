"""Locust load scenarios for the alegra-sim webservices (and any backend that speaks the same contract).

`locustfile.py` is what Locust loads; `catalog_sync.py`, `shopper.py` and `checkout.py` hold
one scenario each; `shapes.py` the named load shapes; `checks.py` the answer checks;
`settings.py` the command-line settings and SLOs; `run.py` the `make load` driver.

Only the scenario modules, `common.py`, `settings.py`, `shapes.py` and `locustfile.py`
import Locust (which patches the standard library for gevent): `checks.py` and `run.py`
do not, so the test suite can use them in its own process.
"""
