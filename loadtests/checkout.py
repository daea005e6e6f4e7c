"""Checkout: a buyer signs in, fills a basket and walks every checkout step to an order.

A buyer logs in as a seeded customer (`customer{N}@example.test`, N random in
1..`--customers`, one buyer per customer in this process) or, for `--register-ratio`
of them, registers a new account. Each journey:

1. empties the basket and adds one to three light products in stock (sometimes a coupon);
2. opens a checkout (`POST /api/v1/checkout`);
3. shipping address (the customer's default, or an inline one for a new account),
   billing address (the default billing one, or same as shipping);
4. payment types → card; delivery options → one of those offered;
5. pays with test card 4242 4242 4242 4242 (now and then first the 3-D Secure card,
   then confirms; or first a declined card, a 402 PAYMENT_DECLINED that is the right
   answer, then the good card);
6. places the order with an `Idempotency-Key`; sometimes sends the same request again
   and must get the same order back; reads the order; sometimes cancels it
   (`--cancel-ratio`) and lists the orders.

Every checkout answer is checked (checks.check_checkout), and the order must carry the
total the buyer last saw. A basket or price that changed meanwhile is the shop's
answer, not an error: 409 CHECKOUT_OUTDATED makes the buyer look again (and pay again
when the total changed) before placing the order; 409 INSUFFICIENT_STOCK or
BASKET_NOT_READY ends the journey.
"""

from __future__ import annotations

import logging
import uuid

import gevent
from locust import tag, task

from .checks import amount, check_basket, check_checkout, check_money, check_order, failure_message
from .settings import setting, think_range
from .shopper import BASKET, Shopper

logger = logging.getLogger("loadtests.checkout")

CHECKOUT = "/api/v1/checkout"
CHECKOUT_NAME = "/api/v1/checkout/[id]"
ORDERS = "/api/v1/orders"
ORDER_NAME = "/api/v1/orders/[id]"
GOOD_CARD = "4242424242424242"
CONFIRM_CARD = "4000002500003155"  # requires confirmation (3-D Secure style)
DECLINED_CARD = "4000000000000002"  # PAYMENT_DECLINED
CARD_EXPIRY_YEAR = 2035
INLINE_ADDRESS = {
    "first_name": "Lena", "last_name": "Load", "line1": "Unter den Linden 77", "postal_code": "10117",
    "city": "Berlin", "country": "DE", "phone": "+49 30 1234567",
}
#: Heavier products may leave no delivery option for the parcel; a buyer picks light ones.
MAX_PRODUCT_GRAMS = 5000
#: Place-order attempts when the checkout turned out outdated.
ORDER_ATTEMPTS = 3
OPEN_ACCEPT = [(409, "BASKET_EMPTY"), (409, "BASKET_NOT_READY"), (409, "INSUFFICIENT_STOCK"), (409, "PRODUCT_UNAVAILABLE")]
ORDER_ACCEPT = [
    (409, "CHECKOUT_OUTDATED"), (409, "INSUFFICIENT_STOCK"), (409, "PRODUCT_UNAVAILABLE"), (409, "BASKET_NOT_READY"),
    (409, "PAYMENT_NOT_AUTHORIZED"),
    # A changed basket may leave the chosen delivery option or payment type unfit: the backend drops it.
    (409, "DELIVERY_OPTION_NOT_SET"), (409, "PAYMENT_TYPE_NOT_SET"),
]
STEP_ACCEPT = [(409, "CHECKOUT_OUTDATED")]
#: Paying when a product of the basket sold out meanwhile is refused; that ends the journey.
PAY_ACCEPT = [(409, "BASKET_NOT_READY"), (409, "BASKET_EMPTY")]


def card(number: str) -> dict:
    return {"card": {"number": number, "expiry_month": 12, "expiry_year": CARD_EXPIRY_YEAR, "cvc": "123", "holder": "Lena Load"}}


def checkout_problems(body) -> list[str]:
    """A step's answer is the checkout (checked) or, where the contract is silent, anything JSON."""
    if isinstance(body, dict) and "totals" in body:
        return check_checkout(body)
    return []


def list_problems(body) -> list[str]:
    return [] if isinstance(body, list) else ["expected a JSON array"]


class CheckoutUser(Shopper):
    """Signs in or registers, then buys: basket → every checkout step → order (→ cancel)."""

    scenario = "checkout"
    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.registered = False
        self.checkout: dict | None = None
        self.sign_up_or_in()

    def sign_up_or_in(self) -> bool:
        self.forget_customer()
        if self.rng.random() < float(setting(self.environment, "register_ratio")):
            self.registered = self.register()
            return self.registered
        self.registered = False
        return self.sign_in()

    def pause(self) -> None:
        """The buyer reads and fills in the next form: one think time (--think-time)."""
        low, high = think_range(self.environment)
        gevent.sleep(self.rng.uniform(low, high))

    @tag("checkout")
    @task
    def buy(self) -> None:
        if not self.signed_in and not self.sign_up_or_in():
            return
        if self.fill_basket() and self.open_checkout():
            self.pause()
            if self.walk_steps():
                order = self.place_order()
                if order is not None:
                    self.after_order(order)
        if self.rng.random() < 0.1:
            self.sign_up_or_in()  # another buyer next time

    # -- 1. the basket ---------------------------------------------------------------------------
    def fill_basket(self) -> bool:
        self.basket_call("GET", BASKET, BASKET)
        if self.line_ids() or (self.basket or {}).get("coupons"):
            self.basket_call("DELETE", BASKET, BASKET)
        products = self.list_products(
            "/api/v1/products?in_stock=true", in_stock="true", page=self.rng.randint(1, 40), page_size=20,
            sort=self.rng.choice([None, "price", "-updated_at"]),
        )
        light = [p for p in products if p.get("stock", 0) >= 2 and p.get("weight_grams", 0) <= MAX_PRODUCT_GRAMS]
        for product in self.rng.sample(light, min(len(light), self.rng.randint(1, 3))):
            self.add_to_basket(product["id"], 1)
        roll = self.rng.random()
        if self.line_ids() and (self.registered and roll < 0.5 or roll < 0.1):
            code = "WELCOME5" if self.registered else "FLASH25"
            self.basket_call("POST", "/api/v1/basket/coupons", "/api/v1/basket/coupons", {"code": code})
        basket = self.basket or {}
        return bool(basket.get("lines")) and not basket.get("checkout_blocked_by")

    # -- 2. open -------------------------------------------------------------------------------
    def open_checkout(self) -> bool:
        answer = self.api("POST", CHECKOUT, name=CHECKOUT, json_body={}, expect=(201, 200), accept=OPEN_ACCEPT,
                          check=self._opened_problems, kind="checkout")
        if not answer.right:
            return False
        self.checkout = answer.body
        return True

    @staticmethod
    def _opened_problems(body) -> list[str]:
        if not isinstance(body, dict) or not str(body.get("id", "")).startswith("chk_"):
            return ["a new checkout needs an id chk_…"]
        return check_checkout(body)

    def step(self, method: str, suffix: str, body=None, expect=(200,), accept=(), check=checkout_problems):
        """One call on the open checkout; a checkout answer replaces what the buyer has seen."""
        answer = self.api(
            method, f"{CHECKOUT}/{self.checkout['id']}{suffix}", name=f"{CHECKOUT_NAME}{suffix}", json_body=body,
            expect=expect, accept=[*STEP_ACCEPT, *accept], check=check, kind="checkout",
        )
        if answer.right and isinstance(answer.body, dict) and "totals" in answer.body:
            self.checkout = answer.body
        return answer

    def refresh(self) -> bool:
        return self.step("GET", "").right

    # -- 3.–5. the steps -------------------------------------------------------------------------
    def walk_steps(self) -> bool:
        record = self.customer_record or {}
        shipping = {"address_id": record["default_shipping_address_id"]} if record.get("default_shipping_address_id") \
            else {"address": INLINE_ADDRESS}
        if not self.step("PUT", "/shipping-address", shipping).right:
            return False
        billing = {"address_id": record["default_billing_address_id"]} \
            if record.get("default_billing_address_id") and self.rng.random() < 0.5 else {"same_as_shipping": True}
        if not self.step("PUT", "/billing-address", billing).right:
            return False
        self.pause()

        types = self.step("GET", "/payment-types", check=list_problems)
        if not types.right:
            return False
        offered = {t.get("id"): t for t in types.body if isinstance(t, dict)}
        if not offered.get("card", {}).get("available"):
            self.fail_check("payment types", [f"card is not offered: {offered.get('card')!r}"])
            return False
        if not self.step("PUT", "/payment-type", {"payment_type": "card"}).right:
            return False

        options = self.step("GET", "/delivery-options", check=lambda b: list_problems(b) or check_money(b, "options")[0])
        if not options.right:
            return False
        if not options.body:
            logger.info("no delivery option for checkout %s (parcel too heavy for the destination)", self.checkout["id"])
            return False
        option = self.rng.choice(options.body)
        if not self.step("PUT", "/delivery-option", {"delivery_option_id": option["id"]},
                         accept=[(409, "DELIVERY_OPTION_NOT_AVAILABLE")]).right:
            return False
        self.pause()
        return self.pay()

    def pay(self) -> bool:
        """Pay until authorized; a total that moved meanwhile voids a payment, so look again and pay again."""
        for _ in range(ORDER_ATTEMPTS):
            outcome = self.pay_once()
            if outcome is not None:
                return outcome
            if not self.refresh():
                return False
        return False

    def pay_once(self) -> bool | None:
        """True: authorized; False: failed (reported); None: the checkout changed under the payment, retry."""
        seen_total = self.total()
        roll = self.rng.random()
        if roll < 0.05:
            declined = self.step("POST", "/payment", card(DECLINED_CARD), expect=(), accept=[(402, "PAYMENT_DECLINED"), *PAY_ACCEPT])
            if declined.code == "CHECKOUT_OUTDATED":
                return None
            if not declined.ok:
                return False
        number = CONFIRM_CARD if 0.05 <= roll < 0.15 else GOOD_CARD
        answer = self.step("POST", "/payment", card(number), expect=(200, 201), accept=PAY_ACCEPT)
        if answer.right and number == CONFIRM_CARD and self.payment_state() == "requires_confirmation":
            answer = self.step("POST", "/payment/confirm", {}, expect=(200, 201), accept=[(409, "NOTHING_TO_CONFIRM")])
            if answer.code == "NOTHING_TO_CONFIRM":
                return None  # voided meanwhile (the total moved): nothing left to confirm
        if answer.code == "CHECKOUT_OUTDATED":
            return None
        if not answer.right:
            return False
        if self.payment_state() == "authorized":
            return True
        if self.total() != seen_total:
            return None  # the total moved while paying: the payment was voided, as it must be
        self.fail_check("payment", [f"the payment is {self.payment_state()!r} after a good card, not 'authorized', "
                                    f"and the total {seen_total} did not change"])
        return False

    def total(self):
        return amount(((self.checkout or {}).get("totals") or {}).get("total"))

    def payment_state(self) -> str | None:
        payment = (self.checkout or {}).get("payment")
        return payment.get("state") if isinstance(payment, dict) else None

    def fail_check(self, what: str, problems: list[str]) -> None:
        self.report_check(f"checkout: {what}", 0, 0, failure_message(what, problems))

    # -- 6. the order ------------------------------------------------------------------------------
    def place_order(self) -> dict | None:
        for _ in range(ORDER_ATTEMPTS):
            seen_total = self.total()
            key = uuid.uuid4().hex
            answer = self._order_call(key)
            if answer.right:
                order = answer.body
                total = amount((order.get("totals") or {}).get("total"))
                if seen_total is not None and total != seen_total:
                    self.fail_check("order total", [f"order {order.get('id')} total {total} != {seen_total} the buyer saw"])
                if self.rng.random() < 0.2:
                    self.replay_order(key, order)
                return order
            if answer.code == "CHECKOUT_OUTDATED" or answer.code == "PAYMENT_NOT_AUTHORIZED":
                # The basket or a price changed: look again, pay again if the total moved, retry.
                if not self.refresh():
                    return None
                steps = (self.checkout or {}).get("steps", {})
                if steps.get("payment", {}).get("state") != "done" or self.payment_state() != "authorized":
                    if not self.pay():
                        return None
                continue
            return None  # sold out meanwhile (accepted) or a failure (reported)
        return None

    def _order_call(self, key: str):
        return self.api(
            "POST", f"{CHECKOUT}/{self.checkout['id']}/order", name=f"{CHECKOUT_NAME}/order", json_body={},
            headers={"Idempotency-Key": key}, expect=(201, 200), accept=ORDER_ACCEPT, check=self._order_problems,
            kind="order",
        )

    @staticmethod
    def _order_problems(body) -> list[str]:
        if not isinstance(body, dict) or not str(body.get("id", "")).startswith("ord_"):
            return ["an order needs an id ord_…"]
        return check_order(body)

    def replay_order(self, key: str, order: dict) -> None:
        """The same Idempotency-Key and body again: the same order, not a second one."""
        def same_order(body) -> list[str]:
            problems = self._order_problems(body)
            if isinstance(body, dict) and body.get("id") != order.get("id"):
                problems.append(f"a replay of key {key} answered order {body.get('id')}, not {order.get('id')}")
            return problems

        self.api(
            "POST", f"{CHECKOUT}/{self.checkout['id']}/order", name=f"{CHECKOUT_NAME}/order (replay)", json_body={},
            headers={"Idempotency-Key": key}, expect=(201, 200), check=same_order, kind="idempotent replay",
        )

    def after_order(self, order: dict) -> None:
        order_id = order["id"]
        self.api("GET", f"{ORDERS}/{order_id}", name=ORDER_NAME,
                 check=lambda body: self._order_problems(body) + (
                     [] if isinstance(body, dict) and body.get("id") == order_id else ["another order than asked for"]),
                 kind="order")
        if self.registered:
            # Nobody else uses this new account: its basket must be empty after the order.
            answer = self.api("GET", BASKET, name=BASKET, check=lambda body: check_basket(body) + (
                [] if isinstance(body, dict) and not body.get("lines") else ["the basket still has lines after the order"]),
                kind="basket after order")
            if answer.right:
                self.basket = answer.body
        if self.rng.random() < float(setting(self.environment, "cancel_ratio")):
            self.pause()
            self.api("POST", f"{ORDERS}/{order_id}/cancel", name=f"{ORDER_NAME}/cancel", json_body={"reason": "changed my mind"},
                     accept=[(409, "ORDER_NOT_CANCELLABLE")], kind="cancelled order",
                     check=lambda body: self._order_problems(body) + (
                         [] if isinstance(body, dict) and body.get("status") == "cancelled"
                         else [f"a cancelled order has status {body.get('status') if isinstance(body, dict) else body!r}"]))
        if self.rng.random() < 0.3:
            self.api("GET", ORDERS, name=ORDERS, params={"page_size": 10},
                     check=lambda body: list_problems(body) or check_money(body, "orders")[0], kind="order list")
