from simulator.catalog.model import PRODUCT
from simulator.console import routes as console_routes
from simulator.http.blueprints import EXTENSION
from tests.helpers.problems import assert_problem


def test_reset_reseeds_with_another_seed_and_size(client, sim):
    first_ids = [p.id for p in sim.store.values(PRODUCT)]
    client.delete(f"/_sim/products/{first_ids[0]}")
    response = client.post("/_sim/reset", json={"seed": 7, "products": 30})
    assert response.get_json() == {"seed": 7, "products": 30}
    assert sim.store.count(PRODUCT) == 30 and sim.store.seed == 7
    client.post("/_sim/reset", json={"seed": 42, "products": 200})
    assert [p.id for p in sim.store.values(PRODUCT)] == first_ids  # back to the seeded catalog, deletion undone


def test_reset_without_a_body_keeps_seed_and_size(client, sim):
    assert client.post("/_sim/reset").get_json() == {"seed": 42, "products": 200}


def test_create_product_by_hand(client, sim):
    leaf = next(c for c in sim.store.values("category") if c.level == 3)
    response = client.post("/_sim/products", json={"name": "Hand Made Mug", "category_ids": [leaf.id], "price": "14.90", "stock": 4})
    assert response.status_code == 201
    body = response.get_json()
    assert body["price"]["amount"] == "14.90" and body["version"] == 1 and body["stock"] == 4
    assert client.get(f"/api/v1/products/{body['id']}").get_json() == body


def test_clock_controls(client):
    frozen = client.post("/_sim/clock", json={"action": "freeze"}).get_json()
    assert frozen["frozen"] is True
    moved = client.post("/_sim/clock", json={"action": "advance", "seconds": 86400}).get_json()
    from simulator.clock import parse_rfc3339

    assert (parse_rfc3339(moved["now"]) - parse_rfc3339(frozen["now"])).total_seconds() == 86400
    set_to = client.post("/_sim/clock", json={"action": "set", "to": "2030-05-01T12:00:00Z"}).get_json()
    assert set_to["now"] == "2030-05-01T12:00:00Z"
    assert client.get("/_sim/clock").get_json()["now"] == "2030-05-01T12:00:00Z"
    assert client.post("/_sim/clock", json={"action": "resume"}).get_json()["frozen"] is False
    assert_problem(client.post("/_sim/clock", json={"action": "set"}), 422, "VALIDATION_FAILED")


def test_advancing_the_clock_answers_once_what_it_made_due_is_applied(shopper, products):
    """Found in review: a changes pull right after an advance saw nothing, one second later 353 changes."""
    client = shopper.client
    sim = client.application.extensions[EXTENSION]
    sim.settings = sim.settings.replace(churn_per_minute=6, token_ttl_seconds=30 * 24 * 3600)
    client.post("/_sim/clock", json={"action": "freeze"})
    shopper.add(products[0], 2)
    checkout = shopper.open()
    shopper.ready_to_pay(checkout, payment_type="bank_transfer")
    shopper.pay(checkout, {})
    order = shopper.order(checkout).get_json()
    key = {"Authorization": "Bearer " + client.post("/_sim/integration-keys", json={"name": "clock"}).get_json()["key"]}
    webhook = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["order.cancelled"]}, headers=key).get_json()
    token = client.get("/api/v1/catalog/export", query_string={"limit": 1}).get_json()["sync_token"]

    client.post("/_sim/clock", json={"action": "advance", "seconds": sim.settings.bank_transfer_timeout_seconds})

    changes = client.get("/api/v1/catalog/changes", query_string={"since": token, "limit": 1000}).get_json()["changes"]
    assert len(changes) > 100  # a week of churn at 6 a minute (capped per tick), coalesced per product
    cancelled = client.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", headers=key).get_json()["items"]
    assert [(d["event_type"], d["resource_id"]) for d in cancelled] == [("order.cancelled", order["id"])]


def test_churn_run_on_demand(client, sim):
    response = client.post("/_sim/churn/run", json={"changes": 25})
    assert sum(response.get_json()["applied"].values()) == 25
    assert sim.store.last_seq(PRODUCT) >= 20  # some changes may hit the same product twice
    assert client.get("/_sim/churn").get_json()["per_minute"] == 0


def test_admin_token_guards_every_sim_call(make_app):
    app = make_app(admin_token="s3cret")
    client = app.test_client()
    for method, url in (("get", "/_sim/clock"), ("post", "/_sim/reset"), ("post", "/_sim/churn/run")):
        response = getattr(client, method)(url, json={})
        assert_problem(response, 401, "AUTHENTICATION_REQUIRED")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.get("/_sim/clock", headers={"Authorization": "Bearer wrong"}), 401, "INVALID_TOKEN")
    assert client.get("/_sim/clock", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/api/v1/categories").status_code == 200  # the webservices are not guarded by it
    assert app.extensions[EXTENSION].store.count(PRODUCT) == 200


#: The one exception: the console's page and static assets hold no data (the page asks for
#: the token and sends it with each /_sim call it makes); tests/console checks them.
NO_DATA_BLUEPRINTS = {console_routes.blp.name}


def test_every_sim_route_needs_the_admin_token(make_app):
    """Every /_sim blueprint, today's and tomorrow's: the URL map is the list."""
    app = make_app(admin_token="s3cret")
    client = app.test_client()
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/_sim") and rule.endpoint.partition(".")[0] not in NO_DATA_BLUEPRINTS]
    assert len(rules) >= 10
    for rule in rules:
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, json={})
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            assert response.get_json()["code"] == "AUTHENTICATION_REQUIRED"
