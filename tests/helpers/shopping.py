"""Shopping helpers for the checkout and order tests: a caller that walks the steps."""

from __future__ import annotations

from simulator.catalog.model import PRODUCT
from tests.helpers.accounts import bearer, register

CARD_OK = {"number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2031, "cvc": "123"}


def card(number: str) -> dict:
    return {**CARD_OK, "number": number}


INLINE_DE = {"first_name": "Ada", "last_name": "Lovelace", "line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin", "country": "DE"}
INLINE_FR = {"first_name": "Ada", "last_name": "Lovelace", "line1": "1 Rue de Rivoli", "postal_code": "75001", "city": "Paris", "country": "FR"}


class Shopper:
    """Drives the HTTP API as one caller (headers) through the checkout steps."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def call(self, method, url, **kwargs):
        return getattr(self.client, method)(url, headers={**self.headers, **kwargs.pop("extra", {})}, **kwargs)

    def add(self, product, quantity=1):
        response = self.call("post", "/api/v1/basket/items", json={"product_id": product.id, "quantity": quantity})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def open(self, **body):
        response = self.call("post", "/api/v1/checkout", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def step(self, checkout_id, path, body, expect=200):
        response = self.call("put", f"/api/v1/checkout/{checkout_id}/{path}", json=body)
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def ready_to_pay(self, checkout_id, address=INLINE_DE, payment_type="card", delivery="dhl-standard"):
        self.step(checkout_id, "shipping-address", {"address": address})
        self.step(checkout_id, "billing-address", {"same_as_shipping": True})
        self.step(checkout_id, "payment-type", {"payment_type": payment_type})
        return self.step(checkout_id, "delivery-option", {"delivery_option_id": delivery})

    def pay(self, checkout_id, body=None, expect=200):
        response = self.call("post", f"/api/v1/checkout/{checkout_id}/payment", json=body if body is not None else {"card": CARD_OK})
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def order(self, checkout_id, key=None, body=None):
        extra = {"Idempotency-Key": key} if key else {}
        return self.call("post", f"/api/v1/checkout/{checkout_id}/order", json=body or {}, extra=extra)

    def place(self, product, payment_type="card", quantity=1, coupon=None) -> dict:
        """The whole walk from basket to placed order (with `coupon` applied, if any): the order."""
        self.add(product, quantity)
        if coupon:
            self.call("post", "/api/v1/basket/coupons", json={"code": coupon})
        checkout = self.open()
        self.ready_to_pay(checkout, payment_type=payment_type)
        self.pay(checkout, None if payment_type == "card" else {})
        response = self.order(checkout)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


def register_shopper(client) -> dict:
    """A new customer's bearer header."""
    token, _customer = register(client)
    return bearer(token)



def affordable_products(store):
    """In-stock products under 100.00 each, so totals stay below the cash-on-delivery limit."""
    return [p for p in store.values(PRODUCT) if p.stock >= 5 and p.price < 100][:6]
