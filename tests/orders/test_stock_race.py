"""Many customers race for the last units through HTTP against the real server."""

import threading

import requests

from tests.helpers.server import running_server
from tests.helpers.shopping import CARD_OK, INLINE_DE

BUYERS = 16
UNITS = 5


def prepare(base: str, product_id: str, n: int) -> tuple[dict, str]:
    """A customer with one unit in the basket and a checkout ready to place."""
    session = requests.Session()
    login = session.post(f"{base}/api/v1/auth/login", json={"email": f"customer{n}@example.test", "password": "alegra-sim-2026"})
    session.headers["Authorization"] = f"Bearer {login.json()['token']}"
    session.delete(f"{base}/api/v1/basket")
    assert session.post(f"{base}/api/v1/basket/items", json={"product_id": product_id, "quantity": 1}).status_code == 200
    checkout = session.post(f"{base}/api/v1/checkout", json={}).json()["id"]
    for path, body in (("shipping-address", {"address": INLINE_DE}), ("billing-address", {"same_as_shipping": True}),
                       ("payment-type", {"payment_type": "card"}), ("delivery-option", {"delivery_option_id": "dhl-standard"})):
        assert session.put(f"{base}/api/v1/checkout/{checkout}/{path}", json=body).status_code == 200
    assert session.post(f"{base}/api/v1/checkout/{checkout}/payment", json={"card": CARD_OK}).status_code == 200
    return session, checkout


def race(calls):
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        barrier.wait(10)
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_exactly_the_available_units_are_sold_and_retries_never_duplicate():
    with running_server(SIM_PRODUCTS="50", SIM_CUSTOMERS="40", SIM_PASSWORD_HASH_PROFILE="fast", SIM_CHURN_PER_MINUTE="0") as base:
        product = requests.get(f"{base}/api/v1/products", params={"in_stock": "true", "max_price": "100", "page_size": 1}).json()[0]
        assert requests.patch(f"{base}/_sim/products/{product['id']}", json={"stock": UNITS}).status_code == 200
        buyers = [prepare(base, product["id"], n) for n in range(1, BUYERS + 1)]

        def place(session, checkout, key):
            return lambda: session.post(f"{base}/api/v1/checkout/{checkout}/order", json={}, headers={"Idempotency-Key": key})

        # every buyer sends the same request twice at once: a client retry racing its original
        calls = [place(session, checkout, f"key-{i}") for i, (session, checkout) in enumerate(buyers)] * 2
        answers = race(calls)
        statuses = [answer.status_code for answer in answers]
        created = {answer.json()["id"] for answer in answers if answer.status_code == 201}
        assert len(created) == UNITS, statuses
        assert set(statuses) <= {201, 409}
        refused = [answer.json()["code"] for answer in answers if answer.status_code == 409]
        assert set(refused) <= {"INSUFFICIENT_STOCK", "IDEMPOTENCY_KEY_IN_USE", "CHECKOUT_COMPLETED"}
        assert requests.get(f"{base}/api/v1/products/{product['id']}").json()["stock"] == 0
