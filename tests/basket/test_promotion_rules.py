"""Promotion rules as data: from a file, and edited at run time through /_sim/promotions."""

import json

import pytest

from simulator.config import SettingsError
from simulator.http.blueprints import EXTENSION
from simulator.money import quantize
from simulator.promotions.rules import PROMOTION
from tests.helpers.problems import assert_problem


def test_a_promotions_file_replaces_the_default_rules(tmp_path, make_app):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"promotions": [
        {"name": "Books 10 %", "kind": "line_percent", "percent": "10", "category_slugs": ["books-media/books"]},
        {"name": "HELLO", "kind": "basket_amount", "amount": "2.50", "coupon_code": "hello"},
    ]}))
    sim = make_app(promotions_file=str(rules)).extensions[EXTENSION]
    loaded = {p.name: p for p in sim.store.values(PROMOTION)}
    assert set(loaded) == {"Books 10 %", "HELLO"}
    assert loaded["HELLO"].coupon_code == "HELLO" and loaded["Books 10 %"].category_ids


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read promotions file"),
    (json.dumps({"promotions": [{"name": "x", "kind": "teleport"}]}), "invalid rules"),
    (json.dumps({"promotions": [{"name": "x", "kind": "line_percent", "percent": "5", "category_slugs": ["nowhere"]}]}), "unknown category slugs"),
])
def test_a_bad_promotions_file_stops_start_up_with_a_reason(tmp_path, content, message, make_app):
    rules = tmp_path / "rules.json"
    rules.write_text(content)
    with pytest.raises(SettingsError, match=message):
        make_app(promotions_file=str(rules))


def test_edit_rules_at_run_time(client):
    created = client.post("/_sim/promotions", json={"name": "Tenner", "kind": "basket_amount", "amount": "10.00", "coupon_code": "TEN"})
    assert created.status_code == 201
    rule = created.get_json()
    assert rule["coupon_code"] == "TEN" and rule["version"] == 1
    assert any(p["id"] == rule["id"] for p in client.get("/_sim/promotions").get_json())
    shown = {p["id"]: p for p in client.get("/api/v1/promotions").get_json()}
    assert "coupon_code" not in shown[rule["id"]] and shown[rule["id"]]["coupon_required"] is True

    body = {"name": "Twenty", "kind": "basket_amount", "amount": "20.00", "coupon_code": "TEN"}
    assert_problem(client.put(f"/_sim/promotions/{rule['id']}", json=body, headers={"If-Match": '"7"'}), 412, "VERSION_MISMATCH")
    replaced = client.put(f"/_sim/promotions/{rule['id']}", json=body, headers={"If-Match": created.headers["ETag"]})
    assert replaced.get_json()["amount"]["amount"] == "20.00" and replaced.get_json()["version"] == 2

    everything = client.put("/_sim/promotions", json={"promotions": [{"name": "Only", "kind": "free_shipping"}]})
    assert [p["name"] for p in everything.get_json()] == ["Only"]
    assert_problem(client.get(f"/_sim/promotions/{rule['id']}"), 404, "PROMOTION_NOT_FOUND")


def test_the_rule_set_keeps_its_order_which_decides_between_equal_priorities(client, shopper, products):
    tenth = {"name": "10 %", "kind": "basket_percent", "percent": "10"}
    five = {"name": "5 off", "kind": "basket_amount", "amount": "5.00"}
    client.put("/_sim/promotions", json={"promotions": [tenth, five]})
    assert client.post("/_sim/promotions", json={"name": "Later", "kind": "free_shipping"}).status_code == 201
    listed = client.get("/_sim/promotions").get_json()
    assert [(p["name"], p["position"]) for p in listed] == [("10 %", 0), ("5 off", 1), ("Later", 2)]
    replaced = client.put(f"/_sim/promotions/{listed[0]['id']}", json={**tenth, "name": "Still first"}).get_json()
    assert replaced["position"] == 0  # an edit keeps the rule's place

    price = products[0].price  # 10 % first, then 5.00 off what is left
    shopper.add(products[0])
    shown = [(p["name"], p["amount"]["amount"]) for p in shopper.call("get", "/api/v1/basket").get_json()["promotions"]]
    assert shown[:2] == [("Still first", f"{quantize(price / 10):.2f}"), ("5 off", "5.00")]
    client.put("/_sim/promotions", json={"promotions": [five, tenth]})  # now 5.00 off first, then 10 % of the rest
    shown = [(p["name"], p["amount"]["amount"]) for p in shopper.call("get", "/api/v1/basket").get_json()["promotions"]]
    assert shown == [("5 off", "5.00"), ("10 %", f"{quantize((price - 5) / 10):.2f}")]
