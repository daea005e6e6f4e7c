"""The answers both order blueprints give (/api/v1/orders and /_sim/orders): one order
with its ETag, a page of orders, and the order timings in force."""

from __future__ import annotations

from flask import Response

from simulator.http.blueprints import etag, json_response, runtime

from . import service
from .model import Order
from .serialize import order_to_dict


def timings() -> service.OrderTimings:
    return service.OrderTimings.from_settings(runtime().settings)


def order_answer(order: Order, status: int = 200, headers: dict | None = None) -> Response:
    return json_response(order_to_dict(order, runtime().settings.currency), status, {"ETag": etag(order.version), **(headers or {})})


def page_answer(pagination_parameters, page_and_total: tuple[list[Order], int]) -> Response:
    """A page of orders as a list service answers it (the page, the total for `X-Pagination`)."""
    page, pagination_parameters.item_count = page_and_total
    currency = runtime().settings.currency
    return json_response([order_to_dict(order, currency) for order in page])
