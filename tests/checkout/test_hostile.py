"""Hostile input on checkout and order endpoints: never a server error, nothing changed."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.checkout.model import CHECKOUT
from simulator.orders.model import ORDER
from tests.test_hostile_input import json_values

STEPS = ["shipping-address", "billing-address", "payment-type", "delivery-option"]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values, target=st.sampled_from(
    [f"put /api/v1/checkout/{{c}}/{step}" for step in STEPS]
    + ["post /api/v1/checkout/{c}/payment", "post /api/v1/checkout/{c}/order", "post /api/v1/checkout",
       "post /api/v1/orders/{o}/cancel", "post /api/v1/checkout/{c}/payment/confirm"]
))
def test_no_body_reaches_a_server_error(shopper, products, sim, body, target):
    if not sim.store.values(CHECKOUT):
        shopper.add(products[0])
        shopper.open()
    checkout = sim.store.values(CHECKOUT)[0].id
    order = (sim.store.values(ORDER) or [None])[0]
    method, url = target.split()
    url = url.replace("{c}", checkout).replace("{o}", order.id if order else "ord_x")
    response = shopper.call(method, url, json=body)
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


def test_unknown_ids_are_404(shopper):
    for method, url in (("get", "/api/v1/checkout/chk_nope"), ("get", "/api/v1/orders/ord_nope"),
                        ("post", "/api/v1/orders/ord_nope/cancel"), ("get", "/api/v1/checkout/chk_nope/payment-types")):
        response = shopper.call(method, url, json={"reason": "x"})
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
