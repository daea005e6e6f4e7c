"""The record codec of the shared store: every kind of record the app stores comes back equal.

The records are real ones: the app's own flows run in memory (register, log in and
fail to, address book, guest and customer baskets, a coupon, checkout, an order with an
Idempotency-Key, a password reset mail, a webhook subscription and its deliveries, a
promotion rule made and used), then each record of every kind is encoded and decoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.catalog.model import PRODUCT
from simulator.records import KINDS
from simulator.store.codec import Codec, CodecError
from simulator.webhooks import dispatcher
from tests.helpers.accounts import PASSWORD
from tests.helpers.shopping import CARD_OK, Shopper, affordable_products, register_shopper

CODEC = Codec(KINDS)


@pytest.fixture(scope="module")
def lived_in_store():
    """A store after the app's flows ran against it (a module fixture: the flows take a while)."""
    from simulator import create_app
    from simulator.http.blueprints import EXTENSION
    from tests.helpers.apps import SMALL

    app = create_app(SMALL)
    sim = app.extensions[EXTENSION]
    client = app.test_client()
    product = affordable_products(sim.store)[0]

    key = client.post("/_sim/integration-keys", json={"name": "codec"}).get_json()["key"]
    subscribed = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["product.updated", "order.created"]},
                             headers={"Authorization": f"Bearer {key}"})
    assert subscribed.status_code == 201, subscribed.get_json()
    promotion = client.post("/_sim/promotions", json={"name": "Ten off", "kind": "basket_percent", "percent": "10", "coupon_code": "TENOFF"})
    assert promotion.status_code == 201, promotion.get_json()

    shopper = Shopper(client, register_shopper(client))
    shopper.call("post", "/api/v1/customers/me/addresses", json={
        "first_name": "Ada", "last_name": "Lovelace", "line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin", "country": "DE",
    })
    shopper.add(product, 2)
    assert shopper.call("post", "/api/v1/basket/coupons", json={"code": "TENOFF"}).status_code == 200
    checkout = shopper.open()
    shopper.ready_to_pay(checkout)
    shopper.pay(checkout, {"card": CARD_OK})
    assert shopper.order(checkout, key="codec-order-1").status_code == 201
    shopper.add(product, 1)  # a second checkout stays open, paid by redirect: its basket's record and link stay
    second = shopper.open()
    shopper.ready_to_pay(second, payment_type="paypal")
    shopper.pay(second, {"return_url": "http://shop.test/back"})

    guest = client.post("/api/v1/baskets").get_json()
    client.post("/api/v1/basket/items", json={"product_id": product.id, "quantity": 1}, headers={"X-Basket-Token": guest["token"]})
    client.post("/api/v1/auth/login", json={"email": "demo@example.com", "password": "wrong password"})
    client.post("/api/v1/auth/login", json={"email": "demo@example.com", "password": PASSWORD})
    client.post("/api/v1/auth/password/forgot", json={"email": "demo@example.com"})
    client.patch(f"/_sim/products/{product.id}", json={"price": "12.34"})
    dispatcher.deliver_due(sim, timeout=5)  # port 9 refuses: attempts are recorded
    return sim.store


def test_every_kind_the_app_stored_is_registered(lived_in_store):
    assert set(lived_in_store._records) <= set(KINDS), "register the new kind in simulator/records.py"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_record_round_trips(lived_in_store, kind):
    records = lived_in_store.values(kind)
    assert records, f"the flows stored no {kind} record: extend lived_in_store so that the round trip covers it"
    for record in records:
        decoded = CODEC.decode(kind, CODEC.encode(kind, record, keep=False))  # decoded, not the kept record
        assert decoded == record
        assert type(decoded) is type(record)


def test_nested_values_keep_their_types(lived_in_store):
    delivery = next(d for d in lived_in_store.values("webhook_delivery") if d.event_type == "product.updated")
    decoded = CODEC.decode("webhook_delivery", CODEC.encode("webhook_delivery", delivery, keep=False))
    assert type(decoded.payload).__name__ == "Product" and decoded.payload == delivery.payload
    assert type(decoded.status) is type(delivery.status) and type(decoded.attempts) is tuple
    order = lived_in_store.values("order")[-1]
    decoded = CODEC.decode("order", CODEC.encode("order", order, keep=False))
    assert type(decoded.payment.state) is type(order.payment.state) and type(decoded.total) is Decimal
    assert decoded.created_at.tzinfo is not None


def test_records_are_compact():
    product = next(iter(_seeded_products()))
    assert len(CODEC.encode(PRODUCT, product)) < 0.7 * len(repr(product))


def _seeded_products():
    from simulator.seed.catalog import faker_pools, generate_categories, generate_products

    leaves = generate_categories(7)[1]
    return generate_products(7, 3, leaves, faker_pools(7))


# -- the codec itself, on its own types --------------------------------------------------------
class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Inner:
    at: datetime
    amount: Decimal


@dataclass(frozen=True)
class Sample:
    id: str
    colour: Colour
    inner: Inner | None
    pairs: tuple[tuple[str, Decimal], ...]
    tags: Mapping[str, str | None]
    day: date
    ratio: float
    anything: Any = None
    items: list[int] = field(default_factory=list)
    version: int = 1


moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9)
plain = st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text() | decimals | moments
anything = st.recursive(plain, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                        | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
samples = st.builds(
    Sample, id=st.text(), colour=st.sampled_from(Colour), inner=st.none() | st.builds(Inner, moments, decimals),
    pairs=st.lists(st.tuples(st.text(), decimals), max_size=3).map(tuple),
    tags=st.dictionaries(st.text(), st.none() | st.text(), max_size=3), day=st.dates(),
    ratio=st.floats(allow_nan=False), anything=anything, items=st.lists(st.integers(-5, 5), max_size=3),
)
SAMPLES = Codec({"sample": Sample})


@given(samples)
def test_any_sample_round_trips(sample):
    assert SAMPLES.decode("sample", SAMPLES.encode("sample", sample, keep=False)) == sample


def test_a_record_written_before_a_field_was_added_gets_its_default():
    import msgpack

    older = msgpack.packb(["s_1", "red", None, [], {}, 700000, 0.5], use_bin_type=True)
    decoded = SAMPLES.decode("sample", older)
    assert decoded.anything is None and decoded.items == [] and decoded.version == 1


def test_unsupported_types_are_refused_when_registered():
    @dataclass(frozen=True)
    class Odd:
        id: str
        what: set[str]

    with pytest.raises(CodecError, match="no rule"):
        Codec({"odd": Odd})
    with pytest.raises(CodecError, match="not registered"):
        SAMPLES.encode("other", Inner(datetime.now(UTC), Decimal(1)))


def test_the_same_bytes_give_the_same_record_and_the_memo_is_bounded(monkeypatch):
    from simulator.store import codec as codec_module

    monkeypatch.setattr(codec_module, "MEMO_SIZE", 3)
    codec = Codec({"sample": Sample})
    records = [Sample(id=f"s_{n}", colour=Colour.RED, inner=None, pairs=(), tags={}, day=date(2026, 1, n + 1), ratio=0.5)
               for n in range(5)]
    first = codec.encode("sample", records[0])
    assert codec.decode("sample", first) is records[0]  # what was encoded is what its bytes give
    again = codec.decode("sample", bytes(first))  # other bytes objects, equal
    assert again is records[0]
    fresh = codec.decode("sample", first, keep=False)
    assert fresh == records[0] and fresh is not records[0]
    for record in records[1:]:
        codec.encode("sample", record)
    assert codec.decode("sample", first) is not records[0]  # the oldest went: decoded anew, equal
    assert codec.decode("sample", first) == records[0]
    assert codec.decode("sample", codec.encode("sample", records[4])) is records[4]
    unkept = codec.encode("sample", records[0], keep=False)
    assert codec.decode("sample", unkept, keep=False) is not records[0]
