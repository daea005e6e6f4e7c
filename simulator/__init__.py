"""alegra-sim: a simulated merchant backend for the Alegra Suite storefront platform."""

from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from . import offload
from .config import Settings, load_settings
from .errors import register_error_handlers
from .runtime import Runtime
from .schemas import ProblemSchema
from .web import EXTENSION

__version__ = "0.1.0"

DOCS_ASSETS = "/docs/assets/"


class SimulatorApi(Api):
    """flask-smorest's Api with problem+json as the documented error shape."""

    ERROR_SCHEMA = ProblemSchema


def create_app(config: Mapping[str, Any] | Settings | None = None, *, background: bool = False) -> Flask:
    """The app factory. `config` overrides the environment (SIM_*) and the config file.

    `background` starts the churn generator: the server does, tests drive churn by hand.
    """
    settings = config if isinstance(config, Settings) else load_settings(overrides=config)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app = Flask(__name__)
    app.config.update(
        API_TITLE="alegra-sim merchant backend",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=DOCS_ASSETS,
        API_SPEC_OPTIONS={
            "info": {"description": "The webservices a storefront platform calls on a merchant backend, simulated."}
        },
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.json.sort_keys = False
    app.extensions[EXTENSION] = Runtime(settings)
    offload.configure(settings.offload_threads)  # one pool per process: the last app's setting holds

    api = SimulatorApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    from .basket.routes import blp as basket_blp
    from .catalog.routes import blp as catalog_blp, media as media_blp
    from .checkout.routes import blp as checkout_blp, pay_page as pay_page_blp
    from .customers.routes import blp as customers_blp
    from .orders.routes import blp as orders_blp, sim_blp as sim_orders_blp
    from .sim.outbox_routes import blp as outbox_blp
    from .sim.config_routes import blp as sim_config_blp
    from .sim.promotion_routes import blp as promotions_blp
    from .sim.routes import blp as sim_blp
    from .sim.webhook_routes import blp as webhooks_blp

    blueprints = (
        catalog_blp, media_blp, customers_blp, basket_blp, checkout_blp, orders_blp, pay_page_blp, webhooks_blp,
        sim_blp, outbox_blp, promotions_blp, sim_orders_blp, sim_config_blp,
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)

    # Swagger UI's scripts come from the installed swagger-ui-bundle package: no CDN.
    @app.route(DOCS_ASSETS + "<path:filename>")
    def docs_assets(filename):
        return send_from_directory(swagger_ui_path, filename)

    register_error_handlers(app)  # after Api(), whose own HTTPException handler this replaces

    from .sim import hooks

    hooks.install(app)  # latency, faults and stats around every route (simulator/sim/hooks.py)

    if background:
        from .sim import background as background_work

        background_work.start(lambda: app.extensions[EXTENSION])
    return app
