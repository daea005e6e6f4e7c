"""How a worker catches up with what another worker did (SIM_STORE=redis://…), in this
process: two apps on one Redis are two workers."""

from __future__ import annotations

import threading
import time

from simulator.http.blueprints import EXTENSION
from simulator.shared import runtime as shared_runtime
from tests.helpers.concurrency import run_at_once
from tests.helpers.redis_server import redis_server, redis_url  # noqa: F401 (fixtures)


def test_requests_arriving_together_after_a_reset_elsewhere_build_the_catalog_once(make_app, redis_url, monkeypatch):  # noqa: F811
    worker, other = make_app(store=redis_url), make_app(store=redis_url)
    assert other.test_client().post("/_sim/reset", json={"seed": 7}).status_code == 200
    builds = []

    def slow_index(store, products):  # a large catalog takes a while to index: the others arrive meanwhile
        builds.append(store.generation)
        time.sleep(0.3)
        return store

    monkeypatch.setattr(shared_runtime, "index_catalog", slow_index)
    answers = []

    def browse() -> None:
        answers.append(worker.test_client().get("/api/v1/products?page_size=1").status_code)

    run_at_once(*[browse] * 3)
    assert answers == [200, 200, 200]
    new_generation = other.extensions[EXTENSION].store.generation
    assert builds == [new_generation]
    assert worker.extensions[EXTENSION].store.generation == new_generation


def test_a_profile_read_ahead_on_one_worker_sees_an_address_added_on_another(make_app, redis_url):  # noqa: F811
    """The addresses read ahead with the profile come with the freshness check: a default set
    elsewhere since is named, and the address book lists it."""
    from tests.helpers.accounts import address, bearer, register

    worker, other = make_app(store=redis_url).test_client(), make_app(store=redis_url).test_client()
    token, _ = register(other)
    auth = bearer(token)
    assert worker.get("/api/v1/customers/me", headers=auth).get_json()["default_shipping_address_id"] is None
    added = other.post("/api/v1/customers/me/addresses", json=address(), headers=auth).get_json()
    assert worker.get("/api/v1/customers/me", headers=auth).get_json()["default_shipping_address_id"] == added["id"]
    assert [a["id"] for a in worker.get("/api/v1/customers/me/addresses", headers=auth).get_json()] == [added["id"]]


def test_a_read_ahead_that_fails_reads_nothing_ahead_and_the_route_answers(make_app, redis_url, caplog):  # noqa: F811
    """Reading ahead only saves a round trip: a bug in one must not fail the request."""
    app = make_app(store=redis_url)
    catch_up = app.wsgi_app
    while not hasattr(catch_up, "aheads"):  # the CatchUp layer among the WSGI middlewares
        catch_up = catch_up.app

    def broken(environ):
        raise ValueError("a bug in a route group's read ahead")

    catch_up.aheads = (broken, *catch_up.aheads)
    client = app.test_client()
    token = client.post("/api/v1/baskets").get_json()["token"]
    answer = client.get("/api/v1/basket", headers={"X-Basket-Token": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "reading ahead failed" in caplog.text


def test_requests_finding_the_counter_moved_together_catch_up_once(make_app, redis_url, monkeypatch):  # noqa: F811
    worker, other = make_app(store=redis_url), make_app(store=redis_url)
    runtime = worker.extensions[EXTENSION]
    product_id = worker.test_client().get("/api/v1/products?page_size=1").get_json()[0]["id"]
    assert other.test_client().patch(f"/_sim/products/{product_id}", json={"stock": 321}).status_code == 200
    catch_up, catch_ups = runtime._catch_up, []

    def slow_catch_up() -> None:  # the others find the counter moved meanwhile
        catch_ups.append(1)
        time.sleep(0.2)
        catch_up()

    monkeypatch.setattr(runtime, "_catch_up", slow_catch_up)
    stocks = []

    def read() -> None:
        stocks.append(worker.test_client().get(f"/api/v1/products/{product_id}").get_json()["stock"])

    run_at_once(*[read] * 4)
    assert stocks == [321] * 4
    assert len(catch_ups) == 1


def test_a_request_that_read_an_older_counter_does_not_set_the_worker_back(make_app, redis_url, monkeypatch):  # noqa: F811
    worker = make_app(store=redis_url)
    runtime = worker.extensions[EXTENSION]
    client = worker.test_client()
    assert client.get("/api/v1/categories").status_code == 200
    newest = runtime.seen_version
    catch_ups = []
    monkeypatch.setattr(runtime, "_catch_up", lambda: catch_ups.append(1))

    def older_counter() -> bytes:  # while it was on its way, another request caught up with a newer one
        runtime._catch_up_to(str(int(newest) + 1).encode(), runtime._catch_ups_begun)
        return newest

    monkeypatch.setattr(runtime, "read_version", older_counter)
    assert client.get("/api/v1/categories").status_code == 200
    assert catch_ups == [1] and int(runtime.seen_version) == int(newest) + 1


def test_a_worker_follows_a_counter_that_went_back(make_app, redis_url):  # noqa: F811
    """A Redis restarted without its data is seeded again by whichever worker finds it
    empty; its counter starts again from below what the others last saw, and they follow."""
    import redis as redis_py

    worker, other = make_app(store=redis_url), make_app(store=redis_url)
    product_id = worker.test_client().get("/api/v1/products?page_size=1").get_json()[0]["id"]
    for stock in range(20):  # the counter moves on
        assert other.test_client().patch(f"/_sim/products/{product_id}", json={"stock": stock}).status_code == 200
    assert worker.test_client().get(f"/api/v1/products/{product_id}").get_json()["stock"] == 19
    redis_py.Redis.from_url(redis_url).flushall()
    assert other.test_client().get("/api/v1/products?page_size=1").status_code == 200  # seeds it again
    assert int(redis_py.Redis.from_url(redis_url).get(shared_runtime.NAMESPACE + ":version")) < int(worker.extensions[EXTENSION].seen_version)
    assert worker.test_client().get("/api/v1/products?page_size=1").status_code == 200
    assert worker.extensions[EXTENSION].store.generation == other.extensions[EXTENSION].store.generation


def test_a_request_whose_store_was_replaced_meanwhile_starts_on_the_new_one(make_app, redis_url, monkeypatch):  # noqa: F811
    """Another request caught up with a reset while this one read the counter: this one needs
    no catch-up of its own, but what it began on the old store is dropped and it starts on
    the new one."""
    worker, other = make_app(store=redis_url), make_app(store=redis_url)
    runtime = worker.extensions[EXTENSION]
    assert worker.test_client().get("/api/v1/categories").status_code == 200
    old = runtime.store
    read_version = runtime.read_version

    def reset_meanwhile() -> bytes:
        assert other.test_client().post("/_sim/reset", json={"seed": 7}).status_code == 200
        version = read_version()
        runtime._catch_up_to(version, runtime._catch_ups_begun)  # another request's catch-up
        return version

    monkeypatch.setattr(runtime, "read_version", reset_meanwhile)
    runtime.refresh()
    assert runtime.store is not old
    assert getattr(old._ahead, "reads", None) is None
    assert getattr(runtime.store._ahead, "reads", None) is not None


def test_requests_waiting_on_a_catch_up_that_cannot_reach_redis_answer_503_together(make_app, redis_url, monkeypatch):  # noqa: F811
    # A stuck Redis: the catch-up times out after a while. Those that waited on it answer
    # 503 with it, not after a timeout each in turn; a request arriving later tries anew.
    import redis

    worker, other = make_app(store=redis_url), make_app(store=redis_url)
    runtime = worker.extensions[EXTENSION]
    product_id = worker.test_client().get("/api/v1/products?page_size=1").get_json()[0]["id"]
    assert other.test_client().patch(f"/_sim/products/{product_id}", json={"stock": 55}).status_code == 200
    catch_up, read_version, attempts = runtime._catch_up, runtime.read_version, []
    arrived = threading.Barrier(4, timeout=5)

    def together():  # every request has arrived before any catch-up begins
        arrived.wait()
        return read_version()

    def stuck() -> None:
        attempts.append(1)
        time.sleep(0.3)
        raise redis.exceptions.TimeoutError("Timeout reading from 127.0.0.1")

    monkeypatch.setattr(runtime, "read_version", together)
    monkeypatch.setattr(runtime, "_catch_up", stuck)
    answers = []

    def read() -> None:
        answer = worker.test_client().get(f"/api/v1/products/{product_id}")
        answers.append((answer.status_code, answer.get_json()["code"]))

    started = time.monotonic()
    run_at_once(*[read] * 4)
    assert answers == [(503, "STORE_UNAVAILABLE")] * 4
    assert len(attempts) == 1 and time.monotonic() - started < 1.5
    monkeypatch.setattr(runtime, "_catch_up", catch_up)  # Redis answers again
    monkeypatch.setattr(runtime, "read_version", read_version)
    assert worker.test_client().get(f"/api/v1/products/{product_id}").get_json()["stock"] == 55
