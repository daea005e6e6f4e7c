"""What readers keep of the promotion rules (the shop's promotions list, the rules pricing
runs) follows every rule change at once, and the rules' own start and end times."""

from datetime import timedelta

from simulator.clock import rfc3339

FIFTY = {"name": "Half price", "kind": "basket_percent", "percent": "50", "priority": 90}


def shown(client) -> list[str]:
    answer = client.get("/api/v1/promotions?page_size=100")
    assert answer.status_code == 200
    return [p["name"] for p in answer.get_json()]


def basket_total(client, token: str) -> str:
    return client.get("/api/v1/basket", headers={"X-Basket-Token": token}).get_json()["totals"]["total"]["amount"]


def guest_basket_with(client, product) -> str:
    token = client.post("/api/v1/baskets").get_json()["token"]
    added = client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": 2}, headers={"X-Basket-Token": token})
    assert added.status_code == 200
    return token


def test_the_promotions_list_follows_every_rule_change_at_once(client):
    seeded = shown(client)
    assert shown(client) == seeded  # read twice: the second answer is the kept one

    rule = client.post("/_sim/promotions", json={"name": "Fresh", "kind": "free_shipping"}).get_json()
    assert shown(client) == [*seeded, "Fresh"]

    renamed = client.put(f"/_sim/promotions/{rule['id']}", json={"name": "Renamed", "kind": "free_shipping", "priority": 1000})
    assert renamed.status_code == 200
    assert shown(client) == ["Renamed", *seeded]  # the highest priority comes first

    assert client.delete(f"/_sim/promotions/{rule['id']}").status_code == 204
    assert shown(client) == seeded

    client.put("/_sim/promotions", json={"promotions": [{"name": "Only", "kind": "free_shipping"}]})
    assert shown(client) == ["Only"]


def test_the_promotions_list_follows_the_rules_start_and_end_times(client, frozen):
    now = frozen.now()
    window = {"name": "Tomorrow only", "kind": "free_shipping",
              "starts_at": rfc3339(now + timedelta(days=1)), "ends_at": rfc3339(now + timedelta(days=2))}
    client.post("/_sim/promotions", json=window)
    assert "Tomorrow only" not in shown(client)
    frozen.advance(timedelta(days=1))
    assert "Tomorrow only" in shown(client)
    frozen.advance(timedelta(days=1))
    assert "Tomorrow only" not in shown(client)
    frozen.set(now)  # a clock set back shows what was in force then
    assert "Tomorrow only" not in shown(client)
    frozen.set(now + timedelta(hours=36))
    assert "Tomorrow only" in shown(client)


def test_a_rule_change_prices_every_basket_at_once(client, products):
    token = guest_basket_with(client, products[0])
    client.put("/_sim/promotions", json={"promotions": []})
    regular = basket_total(client, token)

    client.post("/_sim/promotions", json=FIFTY)
    half = basket_total(client, token)
    assert float(half) < float(regular)

    rule_id = client.get("/_sim/promotions").get_json()[0]["id"]
    changed = client.put(f"/_sim/promotions/{rule_id}", json={**FIFTY, "percent": "10"})
    assert changed.status_code == 200
    tenth = basket_total(client, token)
    assert float(half) < float(tenth) < float(regular)

    client.delete(f"/_sim/promotions/{rule_id}")
    assert basket_total(client, token) == regular


def test_a_rule_prices_baskets_only_within_its_start_and_end_times(client, frozen, products):
    token = guest_basket_with(client, products[0])
    client.put("/_sim/promotions", json={"promotions": []})
    regular = basket_total(client, token)
    now = frozen.now()
    client.post("/_sim/promotions", json={**FIFTY, "starts_at": rfc3339(now + timedelta(hours=1)), "ends_at": rfc3339(now + timedelta(hours=2))})
    assert basket_total(client, token) == regular
    frozen.advance(timedelta(hours=1))
    assert float(basket_total(client, token)) < float(regular)
    frozen.advance(timedelta(hours=1))
    assert basket_total(client, token) == regular
