"""alegra-sim: a simulated merchant backend for the Alegra Suite storefront platform."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from . import background as background_work
from . import offload
from .basket import routes as basket_routes
from .catalog import admin_routes as catalog_admin_routes
from .catalog import routes as catalog_routes
from .checkout import routes as checkout_routes
from .config import Settings, load_settings
from .console import routes as console_routes
from .customers import page_routes as account_pages
from .customers import routes as customer_routes
from .http import cors, guards, shared_state
from .http.blueprints import EXTENSION
from .http.errors import register_error_handlers
from .http.flask_app import SimulatorFlask
from .http.openapi import SimulatorApi
from .mail import admin_routes as mail_admin_routes
from .orders import admin_routes as order_admin_routes
from .orders import routes as order_routes
from .promotions import admin_routes as promotion_admin_routes
from .promotions import routes as promotion_routes
from .runtime import Runtime
from .simulation import config_routes as simulation_config_routes
from .simulation import middleware
from .simulation import routes as simulation_routes
from .webhooks import admin_routes as webhook_admin_routes
from .webhooks import routes as webhook_routes

__version__ = "0.1.0"

DOCS_ASSETS = "/docs/assets/"


def _blueprints():
    """Every blueprint, public webservices first, then the simulator controls (`/_sim`)."""
    return (
        catalog_routes.blp, catalog_routes.media, customer_routes.blp, basket_routes.blp, promotion_routes.blp,
        checkout_routes.blp, checkout_routes.pay_page, order_routes.blp, webhook_routes.blp, account_pages.blp,
        simulation_routes.blp, simulation_config_routes.blp, catalog_admin_routes.blp, promotion_admin_routes.blp,
        order_admin_routes.blp, mail_admin_routes.blp, webhook_admin_routes.blp,
    )


def open_runtime(settings: Settings) -> Runtime:
    """The Runtime the settings ask for: everything in this process, or shared through Redis."""
    if settings.store == "memory":
        return Runtime(settings)
    from .shared.runtime import SharedRuntime

    return SharedRuntime(settings)


def create_app(config: Mapping[str, Any] | Settings | None = None, *, background: bool = False) -> Flask:
    """The app factory. `config` overrides the environment (SIM_*) and the config file.

    `background` starts the churn generator: the server does, tests drive churn by hand.
    """
    settings = config if isinstance(config, Settings) else load_settings(overrides=config)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app = SimulatorFlask(__name__)
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
    with offload.nothing_waiting():  # the app is made before it serves: its first catalog is built without pauses
        runtime = app.extensions[EXTENSION] = open_runtime(settings)
    offload.configure(settings.offload_threads)  # one pool per process: the last app's setting holds

    api = SimulatorApi(app)
    for blueprint in _blueprints():
        api.register_blueprint(blueprint)

    # Swagger UI's scripts come from the installed swagger-ui-bundle package: no CDN.
    @app.route(DOCS_ASSETS + "<path:filename>")
    def docs_assets(filename):
        return send_from_directory(swagger_ui_path, filename)

    app.register_blueprint(console_routes.blp)  # a page, not an API operation: outside the OpenAPI document

    register_error_handlers(app, runtime.unavailable)  # after Api(), whose own HTTPException handler this replaces

    cors.install(app, settings.cors_origins)
    middleware.install(app)  # latency, faults and stats around every route
    if runtime.shared:
        # outside the simulation: each request first catches up with the other workers
        shared_state.install(app, basket_routes.read_ahead, checkout_routes.read_ahead, order_routes.read_ahead,
                             customer_routes.read_ahead)
    guards.install(app, settings)  # outermost: Host, cross-site /_sim, who may use X-Sim-* headers

    if background:
        background_work.start(lambda: app.extensions[EXTENSION])
    return app
