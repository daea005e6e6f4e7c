"""Shopper: browses and searches, opens products, fills a basket, tries coupons.

Most shoppers are guests (`POST /api/v1/baskets`, then `X-Basket-Token`); a share
(`--signed-in-ratio`) signs in as a seeded customer, and guests sometimes sign in
mid-visit with their basket token (the guest basket merges into the customer's) or
signed-in shoppers sign out. Every basket answer is checked with checks.check_basket;
a basket whose money does not add up is a WRONG_ANSWER failure.

Legitimate shop answers are successes, not failures: 409 INSUFFICIENT_STOCK,
PRODUCT_UNAVAILABLE or BASKET_FULL on an add, 404 PRODUCT_NOT_FOUND for a product that
churn deleted since it was listed, 422 COUPON_UNKNOWN for the bogus coupon it tries on
purpose (a bogus coupon that is accepted is a wrong answer).
"""

from __future__ import annotations

import uuid
from collections import deque

from locust import tag, task

from .checks import check_basket, check_money
from .common import ApiUser
from .settings import setting

PRODUCTS = "/api/v1/products"
PRODUCT_NAME = "/api/v1/products/[id]"
BASKET = "/api/v1/basket"
ITEMS = "/api/v1/basket/items"
ITEM_NAME = "/api/v1/basket/items/[id]"
COUPONS = "/api/v1/basket/coupons"
COUPON_NAME = "/api/v1/basket/coupons/[code]"
REAL_COUPONS = ("FLASH25", "WELCOME5")
COUPON_STATES = {"applied", "not_applicable", "expired"}
FALLBACK_WORDS = ("classic", "pro", "ultra", "mini", "set", "premium", "sport")
SORTS = (None, "price", "-price", "name", "-updated_at")
ADD_ACCEPT = [
    (409, "INSUFFICIENT_STOCK"), (409, "PRODUCT_UNAVAILABLE"), (409, "BASKET_FULL"),
    (404, "PRODUCT_NOT_FOUND"), (422, "QUANTITY_TOO_HIGH"),
]


def product_list_problems(body) -> list[str]:
    if not isinstance(body, list):
        return ["a product list must be a JSON array"]
    return check_money(body, "products")[0]


class Shopper(ApiUser):
    """Shared by the shopper and the checkout scenario: signing in, listing products, basket calls."""

    abstract = True

    def on_start(self) -> None:
        self.customer: int | None = None
        self.customer_record: dict | None = None
        self.seen: deque[dict] = deque(maxlen=60)
        self.words: deque[str] = deque(FALLBACK_WORDS, maxlen=40)
        self.basket: dict | None = None
        self.categories: list[str] = []

    def on_stop(self) -> None:
        self.forget_customer()

    # -- who -------------------------------------------------------------------------------
    def forget_customer(self) -> None:
        if self.load_run is not None:
            self.load_run.release_customer(self.customer)
        self.customer, self.customer_record = None, None

    def sign_in(self, basket_token: str | None = None) -> bool:
        """Log in as a free seeded customer (merging a guest basket when given its token)."""
        number = self.load_run.take_customer(self.rng) if self.load_run else self.rng.randint(1, int(setting(self.environment, "customers")))
        body = {"email": f"customer{number}@example.test", "password": setting(self.environment, "customer_password")}
        if basket_token:
            body["basket_token"] = basket_token
        previous, self.auth = self.auth, {}
        answer = self.api("POST", "/api/v1/auth/login", name="/api/v1/auth/login", json_body=body,
                          check=lambda answered: self._session_problems(answered, merging=bool(basket_token)))
        if not answer.ok:
            if self.load_run:
                self.load_run.release_customer(number)
            self.auth = previous
            return False
        self.customer, self.customer_record = number, answer.body["customer"]
        self.auth = {"Authorization": f"Bearer {answer.body['token']}"}
        return True

    def register(self) -> bool:
        """A new account (honouring Idempotency-Key); signed in with its token."""
        email = f"load-{uuid.uuid4().hex[:20]}@example.test"
        body = {"email": email, "password": "load-test-2026-pw", "first_name": "Lena", "last_name": "Load"}
        self.auth = {}
        answer = self.api(
            "POST", "/api/v1/customers", name="/api/v1/customers", json_body=body, expect=(201,),
            headers={"Idempotency-Key": uuid.uuid4().hex}, check=self._session_problems,
        )
        if not answer.ok:
            return False
        self.customer, self.customer_record = None, answer.body["customer"]
        self.auth = {"Authorization": f"Bearer {answer.body['token']}"}
        return True

    @staticmethod
    def _session_problems(body, merging: bool = False) -> list[str]:
        if not isinstance(body, dict) or not body.get("token") or not isinstance(body.get("customer"), dict):
            return ["a session answer needs token and customer"]
        merge = body.get("basket_merge")
        if merging and not (isinstance(merge, dict) and merge.get("state") in ("merged", "not_found")):
            return [f"a login with a basket_token must say what became of it, not basket_merge={merge!r}"]
        if not merging and merge is not None:
            return [f"a login without a basket_token merged something: basket_merge={merge!r}"]
        return []

    def new_guest_basket(self) -> bool:
        self.auth = {}
        answer = self.api("POST", "/api/v1/baskets", name="/api/v1/baskets", expect=(201,),
                          check=lambda b: [] if isinstance(b, dict) and b.get("token") else ["no basket token"])
        if not answer.ok:
            return False
        self.auth = {"X-Basket-Token": answer.body["token"]}
        self.basket = None
        return True

    @property
    def signed_in(self) -> bool:
        return "Authorization" in self.auth

    # -- catalog ------------------------------------------------------------------------------
    def remember(self, products) -> None:
        for product in products or ():
            if isinstance(product, dict) and product.get("id"):
                self.seen.append({"id": product["id"], "stock": product.get("stock", 0)})
                for word in str(product.get("name", "")).split():
                    if len(word) >= 4 and word.isalpha() and self.rng.random() < 0.1:
                        self.words.append(word.lower())

    def load_categories(self) -> None:
        answer = self.api("GET", "/api/v1/categories", name="/api/v1/categories",
                          check=lambda b: [] if isinstance(b, list) else ["categories must be a list"])
        if answer.ok:
            stack = list(answer.body)
            while stack:
                node = stack.pop()
                self.categories.append(node["id"])
                stack.extend(node.get("children") or ())

    def list_products(self, name: str, **params) -> list[dict]:
        answer = self.api("GET", PRODUCTS, name=name, params=params, check=product_list_problems, kind="product list")
        if answer.ok:
            self.remember(answer.body)
            return answer.body
        return []

    def in_stock_product(self) -> str | None:
        candidates = [p for p in self.seen if p["stock"] > 0]
        return self.rng.choice(candidates)["id"] if candidates else None

    # -- basket ---------------------------------------------------------------------------------
    def basket_call(self, method: str, path: str, name: str, body=None, accept=()) -> bool:
        answer = self.api(method, path, name=name, json_body=body, accept=accept, check=check_basket, kind="basket")
        if answer.right:
            self.basket = answer.body
        return answer.right

    def add_to_basket(self, product_id: str, quantity: int) -> bool:
        return self.basket_call("POST", ITEMS, ITEMS, {"product_id": product_id, "quantity": quantity}, accept=ADD_ACCEPT)

    def line_ids(self) -> list[str]:
        return [line["id"] for line in (self.basket or {}).get("lines", [])]

    def line_accept(self) -> list[tuple[int, str]]:
        # A signed-in customer's basket may be changed by another session of the same
        # customer (another Locust process): a line it removed is gone here too.
        shared = [(404, "BASKET_ITEM_NOT_FOUND"), (404, "COUPON_NOT_ON_BASKET")] if self.signed_in else []
        return [(409, "INSUFFICIENT_STOCK"), (409, "PRODUCT_UNAVAILABLE"), (422, "QUANTITY_TOO_HIGH")] + shared


class ShopperUser(Shopper):
    """Browses, searches, opens products and changes a basket; never checks out."""

    scenario = "shopper"
    weight = 9  # shoppers : buyers 9 : 1 (a buyer makes ~4x the requests of a browser per minute)

    def on_start(self) -> None:
        super().on_start()
        self.load_categories()
        if self.rng.random() < float(setting(self.environment, "signed_in_ratio")):
            if not self.sign_in():
                self.new_guest_basket()
        else:
            self.new_guest_basket()
        self.browse()

    @tag("shopper", "browse")
    @task(4)
    def browse(self) -> None:
        category = self.rng.choice(self.categories) if self.categories else None
        self.list_products(
            "/api/v1/products?category=[id]", category=category, page=self.rng.randint(1, 3),
            page_size=20, sort=self.rng.choice(SORTS), in_stock=self.rng.choice([None, "true"]),
        )

    @tag("shopper", "search")
    @task(3)
    def search(self) -> None:
        self.list_products("/api/v1/products?q=[q]", q=self.rng.choice(self.words), page_size=20,
                           sort=self.rng.choice(SORTS))

    @tag("shopper", "browse")
    @task(4)
    def open_product(self) -> None:
        if not self.seen:
            return self.browse()
        product = self.rng.choice(self.seen)
        answer = self.api(
            "GET", f"{PRODUCTS}/{product['id']}", name=PRODUCT_NAME, accept=[(404, "PRODUCT_NOT_FOUND")],
            check=lambda body: check_money(body, "product")[0] + (
                [] if isinstance(body, dict) and body.get("id") == product["id"] else ["another product than asked for"]),
            kind="product",
        )
        if answer.status == 404:
            self.seen.remove(product)
        elif answer.right:
            product["stock"] = answer.body.get("stock", 0)

    @tag("shopper", "basket")
    @task(3)
    def add_item(self) -> None:
        product_id = self.in_stock_product()
        if product_id is None:
            return self.browse()
        self.add_to_basket(product_id, self.rng.choice([1, 1, 1, 2, 3]))

    @tag("shopper", "basket")
    @task(2)
    def change_quantity(self) -> None:
        lines = self.line_ids()
        if not lines:
            return self.add_item()
        self.basket_call("PATCH", f"{ITEMS}/{self.rng.choice(lines)}", ITEM_NAME, {"quantity": self.rng.randint(1, 3)},
                         accept=self.line_accept())

    @tag("shopper", "basket")
    @task(1)
    def remove_line(self) -> None:
        lines = self.line_ids()
        if not lines:
            return self.add_item()
        self.basket_call("DELETE", f"{ITEMS}/{self.rng.choice(lines)}", ITEM_NAME, accept=self.line_accept())

    @tag("shopper", "basket")
    @task(2)
    def view_basket(self) -> None:
        self.basket_call("GET", BASKET, BASKET)

    @tag("shopper", "coupons")
    @task(2)
    def coupon(self) -> None:
        applied = [c["code"] for c in (self.basket or {}).get("coupons", [])]
        roll = self.rng.random()
        if applied and roll < 0.25:
            self.basket_call("DELETE", f"{COUPONS}/{self.rng.choice(applied)}", COUPON_NAME, accept=self.line_accept())
        elif roll < 0.5:
            self.bogus_coupon()
        else:
            self.real_coupon(self.rng.choice(REAL_COUPONS))

    def real_coupon(self, code: str) -> None:
        def problems(body) -> list[str]:
            found = check_basket(body)
            states = {c.get("code"): c.get("state") for c in (body or {}).get("coupons", []) if isinstance(c, dict)}
            if states.get(code) not in COUPON_STATES:
                found.append(f"coupon {code} shows as {states.get(code)!r} on the basket")
            return found

        answer = self.api("POST", COUPONS, name=COUPONS, json_body={"code": code}, check=problems, kind="basket")
        if answer.right:
            self.basket = answer.body

    def bogus_coupon(self) -> None:
        code = f"BOGUS{self.rng.randint(1000, 9999)}"

        def problems(body) -> list[str]:
            if isinstance(body, dict) and body.get("code") == "COUPON_UNKNOWN":
                return []
            if isinstance(body, dict) and "lines" in body:
                return [f"the bogus coupon {code} was accepted"]
            return [f"the bogus coupon {code} answered {body!r:.200}"]

        self.api("POST", COUPONS, name=COUPONS, json_body={"code": code}, expect=(422, 200), check=problems, kind="coupon")

    @tag("shopper", "account")
    @task(1)
    def sign_in_or_out(self) -> None:
        if self.signed_in:
            answer = self.api("POST", "/api/v1/auth/logout", name="/api/v1/auth/logout", expect=(204,))
            if answer.ok:
                self.forget_customer()
                self.new_guest_basket()
            return
        if float(setting(self.environment, "signed_in_ratio")) <= 0:
            return self.browse()  # no seeded accounts on this backend: shoppers stay guests
        guest_token = self.auth.get("X-Basket-Token")
        if self.sign_in(basket_token=guest_token):
            self.basket_call("GET", BASKET, BASKET)  # the merged basket, checked like every other
