"""The baseline of the requests/s comparison: a bare Flask endpoint with a constant JSON answer.

`python -m bench.bare_app` serves it with `simulator.server.SimulatorServer` and the
settings from SIM_* variables, exactly as `python -m simulator serve` serves the
simulator, so the two differ only in the app. The route takes an id like
`/api/v1/products/<product_id>` (and ignores it) so that both see the same URL shape
from the same wrk script. It answers POST too, without reading the body: the baseline
of the POST endpoints (basket add, login), sent the same body and headers.
"""

from __future__ import annotations

import sys

from flask import Flask

from simulator.config import SettingsError, load_settings
from simulator.server import SimulatorServer, UnsafeBind, check_bind

BODY = {"id": "bare", "ok": True}


def create_bare_app() -> Flask:
    app = Flask(__name__)

    @app.route("/bare/<item_id>", methods=["GET", "POST"])
    def bare(item_id: str):
        return BODY

    return app


def main() -> int:
    try:
        settings = load_settings()
        check_bind(settings)
    except (SettingsError, UnsafeBind) as error:
        print(f"bench.bare_app: {error}", file=sys.stderr)
        return 2
    SimulatorServer(settings, create_bare_app).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
