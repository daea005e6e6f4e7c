"""One 412 for every resource with `If-Match`: VERSION_MISMATCH, the version it is at now,
and nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pytest

from simulator.catalog.model import PRODUCT
from tests.helpers.problems import assert_problem
from tests.helpers.shopping import INLINE_DE

STALE = '"999"'
NEVER_ISSUED = "garbage"


class Resource(NamedTuple):
    change: Callable  # If-Match value → the answer to a change sent with it
    read: Callable  # → the answer to reading the resource (its body has `version`)


def basket(client, shopper, sim, products) -> Resource:
    line = shopper.add(products[0])["lines"][0]
    return Resource(
        lambda if_match: shopper.call("patch", f"/api/v1/basket/items/{line['id']}", json={"quantity": 2}, extra={"If-Match": if_match}),
        lambda: shopper.call("get", "/api/v1/basket"),
    )


def profile(client, shopper, sim, products) -> Resource:
    url = "/api/v1/customers/me"
    return Resource(
        lambda if_match: shopper.call("patch", url, json={"first_name": "Kim"}, extra={"If-Match": if_match}),
        lambda: shopper.call("get", url),
    )


def address(client, shopper, sim, products) -> Resource:
    created = shopper.call("post", "/api/v1/customers/me/addresses", json=INLINE_DE)
    assert created.status_code == 201, created.get_json()
    url = created.headers["Location"]
    return Resource(
        lambda if_match: shopper.call("put", url, json={**INLINE_DE, "city": "Potsdam"}, extra={"If-Match": if_match}),
        lambda: shopper.call("get", url),
    )


def checkout(client, shopper, sim, products) -> Resource:
    shopper.add(products[0])
    url = f"/api/v1/checkout/{shopper.open()}"
    return Resource(
        lambda if_match: shopper.call("put", f"{url}/shipping-address", json={"address": INLINE_DE}, extra={"If-Match": if_match}),
        lambda: shopper.call("get", url),
    )


def order_cancel(client, shopper, sim, products) -> Resource:
    shopper.add(products[0])
    checkout_id = shopper.open()
    shopper.ready_to_pay(checkout_id)
    shopper.pay(checkout_id)
    url = shopper.order(checkout_id).headers["Location"]
    return Resource(
        lambda if_match: shopper.call("post", f"{url}/cancel", json={"reason": "test"}, extra={"If-Match": if_match}),
        lambda: shopper.call("get", url),
    )


def product(client, shopper, sim, products) -> Resource:
    product_id = sim.store.values(PRODUCT)[0].id
    return Resource(
        lambda if_match: client.patch(f"/_sim/products/{product_id}", json={"stock": 1}, headers={"If-Match": if_match}),
        lambda: client.get(f"/api/v1/products/{product_id}"),
    )


def promotion(client, shopper, sim, products) -> Resource:
    body = {"name": "Tenner", "kind": "basket_amount", "amount": "10.00"}
    url = f"/_sim/promotions/{client.post('/_sim/promotions', json=body).get_json()['id']}"
    return Resource(
        lambda if_match: client.put(url, json={**body, "amount": "20.00"}, headers={"If-Match": if_match}),
        lambda: client.get(url),
    )


@pytest.mark.parametrize("resource", [basket, profile, address, checkout, order_cancel, product, promotion], ids=lambda kind: kind.__name__)
def test_a_stale_if_match_answers_412_with_the_current_version_and_changes_nothing(resource, client, shopper, sim, products):
    change, read = resource(client, shopper, sim, products)
    before = read()
    current = before.get_json()["version"]
    assert before.headers["ETag"] == f'"{current}"'

    body = assert_problem(change(STALE), 412, "VERSION_MISMATCH")
    assert body["current_version"] == current and str(current) in body["detail"]

    body = assert_problem(change(NEVER_ISSUED), 412, "VERSION_MISMATCH")
    assert "current_version" not in body  # refused before the record is read
    assert read().get_json() == before.get_json()

    assert change(before.headers["ETag"]).status_code == 200
