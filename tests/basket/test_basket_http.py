"""Baskets through HTTP: guests and customers, lines, stock, coupons, versions."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from simulator.basket.model import BASKET
from simulator.catalog import service as catalog
from simulator.catalog.model import PRODUCT
from simulator.order_history import ORDER, has_ordered
from simulator.promotions import rules as promotions
from tests.helpers.problems import assert_problem
from tests.helpers.shopping import Shopper, affordable_products, register_shopper


def stocked(sim, minimum=5, maximum=10_000, skip=0):
    products = [p for p in sim.store.values(PRODUCT) if minimum <= p.stock <= maximum]
    return products[skip]


def test_add_the_same_product_twice_adds_up(client, sim, guest):
    product = stocked(sim)
    client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": 2}, headers=guest)
    body = client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": 1}, headers=guest).get_json()
    assert [(ln["product_id"], ln["quantity"]) for ln in body["lines"]] == [(product.id, 3)]
    assert body["item_count"] == 3
    assert Decimal(body["totals"]["subtotal"]["amount"]) == product.price * 3
    assert body["totals"]["shipping"] == {"amount": "0.00", "currency": "EUR"}


def test_quantity_change_zero_removes_and_delete_removes(client, sim, guest):
    a, b = stocked(sim), stocked(sim, skip=1)
    client.post("/api/v1/basket/items", json={"product_id": a.id}, headers=guest)
    body = client.post("/api/v1/basket/items", json={"product_id": b.id}, headers=guest).get_json()
    line_a, line_b = body["lines"][0]["id"], body["lines"][1]["id"]
    body = client.patch(f"/api/v1/basket/items/{line_a}", json={"quantity": 4}, headers=guest).get_json()
    assert body["lines"][0]["quantity"] == 4
    body = client.patch(f"/api/v1/basket/items/{line_a}", json={"quantity": 0}, headers=guest).get_json()
    assert [ln["id"] for ln in body["lines"]] == [line_b]
    body = client.delete(f"/api/v1/basket/items/{line_b}", headers=guest).get_json()
    assert body["lines"] == [] and body["totals"]["total"]["amount"] == "0.00"
    assert_problem(client.delete(f"/api/v1/basket/items/{line_b}", headers=guest), 404, "BASKET_ITEM_NOT_FOUND")


def test_stock_limits(client, sim, guest):
    product = stocked(sim, minimum=2, maximum=20)
    body = assert_problem(client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": product.stock + 1}, headers=guest), 409, "INSUFFICIENT_STOCK")
    assert body["available"] == product.stock
    sold_out = next(p for p in sim.store.values(PRODUCT) if p.stock == 0)
    assert assert_problem(client.post("/api/v1/basket/items", json={"product_id": sold_out.id}, headers=guest), 409, "INSUFFICIENT_STOCK")["available"] == 0
    assert_problem(client.post("/api/v1/basket/items", json={"product_id": "prd_nope"}, headers=guest), 404, "PRODUCT_NOT_FOUND")
    assert_problem(client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": 100}, headers=guest), 422)
    assert client.get("/api/v1/basket", headers=guest).get_json()["lines"] == []


def test_reprices_on_read_and_flags_what_blocks_checkout(client, sim, guest):
    cheap, gone, scarce = stocked(sim), stocked(sim, skip=1), stocked(sim, minimum=3, maximum=50, skip=2)
    for product, quantity in ((cheap, 1), (gone, 1), (scarce, 3)):
        client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": quantity}, headers=guest)
    catalog.update_product(sim.store, sim.clock, cheap.id, {"price": cheap.price + 1, "compare_at_price": None})
    catalog.delete_product(sim.store, sim.clock, gone.id)
    catalog.update_product(sim.store, sim.clock, scarce.id, {"stock": 2})
    body = client.get("/api/v1/basket", headers=guest).get_json()
    by_product = {ln["product_id"]: ln for ln in body["lines"]}
    assert by_product[cheap.id]["status"] == "ok"
    assert by_product[cheap.id]["previous_unit_price"]["amount"] == f"{cheap.price:.2f}"
    assert by_product[cheap.id]["unit_price"]["amount"] == f"{cheap.price + 1:.2f}"
    assert by_product[gone.id]["status"] == "unavailable" and by_product[gone.id]["product"]["name"] == gone.name
    assert by_product[scarce.id]["status"] == "insufficient_stock"
    # for programs a code and the line, for people the text (found in review: text only)
    lines = {product.id: by_product[product.id]["id"] for product in (cheap, gone, scarce)}
    assert [(m["code"], m["line_id"], m["product_id"]) for m in body["checkout_blocked_by"]] == [
        ("PRODUCT_UNAVAILABLE", lines[gone.id], gone.id), ("INSUFFICIENT_STOCK", lines[scarce.id], scarce.id),
    ]
    messages = {(m["code"], m["line_id"]): m["text"] for m in body["messages"]}
    assert "changed from" in messages["PRICE_CHANGED", lines[cheap.id]] and "Only 2" in messages["INSUFFICIENT_STOCK", lines[scarce.id]]
    # the deleted line is not priced
    assert Decimal(body["totals"]["subtotal"]["amount"]) == cheap.price + 1 + scarce.price * 3


def test_coupons_apply_stay_when_not_applicable_and_unknown_is_refused(client, sim, guest):
    product = stocked(sim)
    client.post("/api/v1/basket/items", json={"product_id": product.id}, headers=guest)
    assert_problem(client.post("/api/v1/basket/coupons", json={"code": "NOSUCH"}, headers=guest), 422, "COUPON_UNKNOWN")
    body = client.post("/api/v1/basket/coupons", json={"code": "welcome5"}, headers=guest).get_json()
    assert body["coupons"] == [{"code": "WELCOME5", "state": "not_applicable", "reason": "only for signed-in customers"}]
    body = client.post("/api/v1/basket/coupons", json={"code": "FLASH25"}, headers=guest).get_json()
    flash = next(c for c in body["coupons"] if c["code"] == "FLASH25")
    assert flash["state"] == "applied"
    assert Decimal(body["totals"]["discount"]["amount"]) >= (product.price / 4).quantize(Decimal("0.01")) - Decimal("0.01")
    promotion_id = promotions.find_by_coupon(sim.store, "FLASH25").id
    assert client.delete(f"/_sim/promotions/{promotion_id}").status_code == 204
    body = client.get("/api/v1/basket", headers=guest).get_json()
    assert next(c for c in body["coupons"] if c["code"] == "FLASH25")["state"] == "unknown"
    body = client.delete("/api/v1/basket/coupons/flash25", headers=guest).get_json()
    assert [c["code"] for c in body["coupons"]] == ["WELCOME5"]
    assert_problem(client.delete("/api/v1/basket/coupons/FLASH25", headers=guest), 404, "COUPON_NOT_ON_BASKET")


def test_totals_line_discounts_and_tax_add_up(client, sim, guest):
    for skip in range(6):
        client.post("/api/v1/basket/items", json={"product_id": stocked(sim, skip=skip).id, "quantity": 2}, headers=guest)
    body = client.post("/api/v1/basket/coupons", json={"code": "FLASH25"}, headers=guest).get_json()
    totals = {k: Decimal(v["amount"]) for k, v in body["totals"].items()}
    assert totals["total"] == totals["subtotal"] - totals["discount"] + totals["shipping"]
    assert sum(Decimal(ln["discount"]["amount"]) for ln in body["lines"]) == totals["discount"]
    assert sum(Decimal(p["amount"]["amount"]) for p in body["promotions"]) == totals["discount"]
    assert sum(Decimal(t["tax"]["amount"]) for t in body["taxes"]) == totals["tax"]
    assert sum(Decimal(t["gross"]["amount"]) for t in body["taxes"]) == totals["total"]


def test_version_etag_and_if_match(client, sim, guest):
    product = stocked(sim)
    first = client.post("/api/v1/basket/items", json={"product_id": product.id}, headers=guest)
    version = first.get_json()["version"]
    assert first.headers["ETag"] == f'"{version}"'
    stale = client.post("/api/v1/basket/items", json={"product_id": product.id}, headers={**guest, "If-Match": f'"{version - 1}"'})
    assert_problem(stale, 412, "VERSION_MISMATCH")
    ok = client.post("/api/v1/basket/items", json={"product_id": product.id}, headers={**guest, "If-Match": f'"{version}"'})
    assert ok.status_code == 200 and ok.get_json()["version"] == version + 1 and ok.get_json()["lines"][0]["quantity"] == 2


def test_fifty_concurrent_adds_lose_none(app, sim, guest):
    product = next(p for p in sim.store.values(PRODUCT) if p.stock >= 50)
    results = []

    def add():
        response = app.test_client().post("/api/v1/basket/items", json={"product_id": product.id}, headers=guest)
        results.append(response.status_code)

    threads = [threading.Thread(target=add) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 50
    body = app.test_client().get("/api/v1/basket", headers=guest).get_json()
    assert body["lines"][0]["quantity"] == 50 and body["version"] == 51


def test_guest_basket_expires_on_the_simulated_clock(client, sim, guest, frozen):
    from datetime import timedelta

    assert client.get("/api/v1/basket", headers=guest).status_code == 200
    frozen.advance(timedelta(seconds=sim.settings.guest_basket_ttl_seconds + 1))
    assert_problem(client.get("/api/v1/basket", headers=guest), 404, "BASKET_NOT_FOUND")
    assert sim.store.count(BASKET) == 0


def test_the_sweep_forgets_abandoned_guest_baskets_only(client, sim, guest, frozen):
    from datetime import timedelta

    from simulator.basket import service

    rules = service.BasketRules.from_settings(sim.settings)
    service.customer_basket(sim.store, frozen, "cus_someone")  # a customer's basket never expires
    frozen.advance(timedelta(seconds=sim.settings.guest_basket_ttl_seconds + 1))
    fresh = {"X-Basket-Token": client.post("/api/v1/baskets").get_json()["token"]}
    assert sim.store.count(BASKET) == 3  # creating a basket sweeps nothing: the background loop does
    assert service.sweep_expired(sim.store, frozen, rules) == 1
    assert sim.store.count(BASKET) == 2
    assert client.get("/api/v1/basket", headers=fresh).status_code == 200
    assert_problem(client.get("/api/v1/basket", headers=guest), 404, "BASKET_NOT_FOUND")


def test_the_sweep_never_takes_a_guest_basket_early_within_its_last_second(client, sim, frozen):
    """Guest baskets are indexed to the second: touched at x.9 s, one is stamped x+1, so a
    sweep 50 ms before its time is up leaves it (stamped x, it would go 50 ms early)."""
    from simulator.basket import service

    rules = service.BasketRules.from_settings(sim.settings)
    frozen.advance(timedelta(seconds=(0.9 - frozen.timestamp() % 1) % 1))
    basket, token = service.create_guest_basket(sim.store, frozen, rules)
    assert round(basket.updated_at.timestamp() % 1, 3) == 0.9
    frozen.advance(timedelta(seconds=rules.guest_ttl_seconds - 0.05))
    assert service.sweep_expired(sim.store, frozen, rules) == 0
    assert client.get("/api/v1/basket", headers={"X-Basket-Token": token}).status_code == 200
    frozen.advance(timedelta(seconds=1))  # its time is up: at most a second later, the sweep takes it
    assert service.sweep_expired(sim.store, frozen, rules) == 1


def test_past_the_cap_making_a_guest_basket_forgets_the_one_untouched_longest(make_app):
    from datetime import timedelta

    from simulator.http.blueprints import EXTENSION

    app = make_app(max_guest_baskets=3)
    client, store, clock = app.test_client(), app.extensions[EXTENSION].store, app.extensions[EXTENSION].clock
    clock.freeze()

    def new_guest():
        clock.advance(timedelta(seconds=1))
        return {"X-Basket-Token": client.post("/api/v1/baskets").get_json()["token"]}

    first, second, third = new_guest(), new_guest(), new_guest()
    clock.advance(timedelta(seconds=1))
    product = stocked(app.extensions[EXTENSION])
    assert client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": 1}, headers=first).status_code == 200
    fourth, fifth = new_guest(), new_guest()  # the cap is met: second, then third, go
    assert store.count(BASKET) == 3
    for gone in (second, third):
        assert_problem(client.get("/api/v1/basket", headers=gone), 404, "BASKET_NOT_FOUND")
    for kept in (first, fourth, fifth):  # first was touched after the others were made
        assert client.get("/api/v1/basket", headers=kept).status_code == 200


def test_forgotten_guest_baskets_leave_no_owner_behind_in_the_memory_store(make_app):
    """Anyone may make guest baskets: past the cap, nothing of the forgotten ones may stay
    in memory, not even an empty entry of the store's owner index."""
    from simulator.http.blueprints import EXTENSION
    from simulator.store.memory import InMemoryStore

    app = make_app(max_guest_baskets=2)
    client, store = app.test_client(), app.extensions[EXTENSION].store
    if not isinstance(store, InMemoryStore):
        pytest.skip("the memory store's own index")
    for _ in range(5):
        assert client.post("/api/v1/baskets").status_code == 201
    assert store.count(BASKET) == 2
    assert len(store._owners[BASKET]) == 2


def test_no_credentials_or_a_bad_token(client):
    response = client.get("/api/v1/basket")
    assert_problem(response, 401, "AUTHENTICATION_REQUIRED")
    assert "WWW-Authenticate" in response.headers
    assert_problem(client.get("/api/v1/basket", headers={"X-Basket-Token": "forged"}), 404, "BASKET_NOT_FOUND")


def test_empty_the_basket(client, sim, guest):
    client.post("/api/v1/basket/items", json={"product_id": stocked(sim).id}, headers=guest)
    client.post("/api/v1/basket/coupons", json={"code": "FLASH25"}, headers=guest)
    body = client.delete("/api/v1/basket", headers=guest).get_json()
    assert body["lines"] == [] and body["coupons"] == []


def test_promotions_on_display_hide_codes(client):
    shown = client.get("/api/v1/promotions").get_json()
    assert len(shown) >= 8
    assert all("coupon_code" not in p for p in shown)
    assert {p["kind"] for p in shown} >= {"basket_percent", "line_percent", "buy_x_get_y", "tiered_spend", "free_shipping", "bundle_price"}


PASSWORD = "alegra-sim-2026"


def login(client, email="demo@example.com", **extra):
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD, **extra})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_customer_basket_follows_the_bearer_token_and_is_private(client, sim):
    demo = login(client)
    other = login(client, "customer1@example.test")
    product = stocked(sim)
    mine = client.post("/api/v1/basket/items", json={"product_id": product.id}, headers=demo).get_json()
    assert mine["customer_id"] and [ln["product_id"] for ln in mine["lines"]] == [product.id]
    assert client.get("/api/v1/basket", headers=other).get_json()["lines"] == []
    again = login(client)  # another session of the same customer sees the same basket
    assert client.get("/api/v1/basket", headers=again).get_json()["id"] == mine["id"]
    assert_problem(client.get("/api/v1/basket", headers={"Authorization": "Bearer forged"}), 401)


def test_login_merges_the_guest_basket_capping_at_stock(client, sim, guest):
    scarce = stocked(sim, minimum=3, maximum=30)
    plenty = stocked(sim, minimum=40, skip=0)
    demo = login(client)
    client.post("/api/v1/basket/items", json={"product_id": scarce.id, "quantity": scarce.stock - 1}, headers=demo)
    client.post("/api/v1/basket/items", json={"product_id": scarce.id, "quantity": 2}, headers=guest)
    client.post("/api/v1/basket/items", json={"product_id": plenty.id, "quantity": 3}, headers=guest)
    client.post("/api/v1/basket/coupons", json={"code": "FLASH25"}, headers=guest)
    merged_headers = login(client, basket_token=guest["X-Basket-Token"])
    body = client.get("/api/v1/basket", headers=merged_headers).get_json()
    quantities = {ln["product_id"]: ln["quantity"] for ln in body["lines"]}
    assert quantities == {scarce.id: scarce.stock, plenty.id: 3}
    [lowered] = [m for m in body["messages"] if m["code"] == "MERGE_QUANTITY_LOWERED"]
    assert lowered["product_id"] == scarce.id and lowered["line_id"] == body["lines"][0]["id"] and scarce.name in lowered["text"]
    assert [c["code"] for c in body["coupons"]] == ["FLASH25"]
    assert_problem(client.get("/api/v1/basket", headers=guest), 404, "BASKET_NOT_FOUND")
    # the notice is shown until the next change
    after = client.post("/api/v1/basket/items", json={"product_id": plenty.id}, headers=merged_headers).get_json()
    assert not any(m["code"] == "MERGE_QUANTITY_LOWERED" for m in after["messages"])


def test_login_with_an_expired_guest_basket_still_logs_in_and_says_so(client, frozen, sim, guest):
    """Found in review: a stale basket_token was ignored without a word."""
    frozen.advance(timedelta(seconds=sim.settings.guest_basket_ttl_seconds + 1))
    for token in ("gone", guest["X-Basket-Token"]):
        response = client.post("/api/v1/auth/login", json={"email": "demo@example.com", "password": PASSWORD, "basket_token": token})
        assert response.status_code == 200
        merge = response.get_json()["basket_merge"]
        assert merge["state"] == "not_found" and merge["basket_id"].startswith("bsk_")
    plain = client.post("/api/v1/auth/login", json={"email": "demo@example.com", "password": PASSWORD}).get_json()
    assert plain["basket_merge"] is None


def test_registration_merges_the_guest_basket_as_login_does(client, sim, guest):
    """Found in review: a guest who registered at checkout lost the basket."""
    product = stocked(sim)
    client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": 2}, headers=guest)
    response = client.post("/api/v1/customers", json={
        "email": "new.guest@example.org", "password": "a fine long secret", "first_name": "Gia", "last_name": "Guest",
        "basket_token": guest["X-Basket-Token"],
    })
    assert response.status_code == 201
    session = response.get_json()
    basket = client.get("/api/v1/basket", headers={"Authorization": f"Bearer {session['token']}"}).get_json()
    assert session["basket_merge"] == {"state": "merged", "basket_id": basket["id"]}
    assert [(line["product_id"], line["quantity"]) for line in basket["lines"]] == [(product.id, 2)]
    assert_problem(client.get("/api/v1/basket", headers=guest), 404, "BASKET_NOT_FOUND")


def test_a_first_order_coupon_stops_applying_once_the_customer_has_an_order(client, sim):
    shopper = Shopper(client, register_shopper(client))
    product = next(p for p in affordable_products(sim.store) if p.price >= 30)

    def welcome_state():
        coupons = shopper.call("post", "/api/v1/basket/coupons", json={"code": "WELCOME5"}).get_json()["coupons"]
        shopper.call("delete", "/api/v1/basket/coupons/WELCOME5")
        return next((c["state"], c.get("reason")) for c in coupons if c["code"] == "WELCOME5")

    shopper.add(product)
    assert welcome_state() == ("applied", None)
    checkout = shopper.open()  # the first order goes without the coupon: its per-customer limit stays unused
    shopper.ready_to_pay(checkout)
    shopper.pay(checkout)
    assert shopper.order(checkout).status_code == 201
    shopper.add(product)
    assert welcome_state() == ("not_applicable", "only on a customer's first order")
    seeded = next(order.customer_id for order in sim.store.values(ORDER))  # seeded history counts as well
    assert has_ordered(sim.store, seeded) and not has_ordered(sim.store, "cus_never_ordered")


def test_welcome_coupon_for_a_signed_in_first_order(client, sim):
    registered = client.post("/api/v1/customers", json={
        "email": "new.shopper@example.org", "password": "a fine long secret", "first_name": "Nia", "last_name": "New",
    })
    demo = {"Authorization": f"Bearer {registered.get_json()['token']}"}
    product = next(p for p in sim.store.values(PRODUCT) if 30 <= p.price <= 100 and p.stock >= 2)
    client.post("/api/v1/basket/items", json={"product_id": product.id}, headers=demo)
    body = client.post("/api/v1/basket/coupons", json={"code": "WELCOME5"}, headers=demo).get_json()
    welcome = next(c for c in body["coupons"] if c["code"] == "WELCOME5")
    assert welcome["state"] == "applied"
    assert any(p["coupon_code"] == "WELCOME5" and p["amount"]["amount"] == "5.00" for p in body["promotions"])
