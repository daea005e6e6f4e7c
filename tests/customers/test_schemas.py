"""The documented shapes (schemas.py) match what the routes send (serialize.py)."""

from __future__ import annotations

from simulator.seed.customers import DEMO_EMAIL
from simulator.customers.model import CUSTOMER
from simulator.customers.schemas import AddressSchema, CustomerSchema, SessionSchema
from simulator.customers.serialize import address_to_dict, customer_to_dict, session_to_dict
from simulator.customers.service import Session, default_address_ids
from simulator.mail import outbox
from simulator.mail.admin_routes import MailSchema, mail_to_dict


def test_serialized_records_have_exactly_the_documented_fields(sim):
    store = sim.store
    demo = next(c for c in store.values(CUSTOMER) if c.email == DEMO_EMAIL)
    customer = customer_to_dict(demo, default_address_ids(store, demo.id))
    assert set(customer) == set(CustomerSchema().fields)
    assert CustomerSchema().load(customer) == customer
    [address, *_] = store.by_owner("address", demo.id)
    assert set(address_to_dict(address)) == set(AddressSchema().fields)
    session = session_to_dict(Session(demo, "t", sim.clock.now()), sim.clock.now(), (None, None))
    assert set(session) == set(SessionSchema().fields)
    mail = outbox.send(store, sim.clock, recipient="a@b.example", subject="s", text="t", template="x")
    assert set(mail_to_dict(mail)) == set(MailSchema().fields)


def test_the_openapi_document_lists_every_customer_route(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    expected = {
        "/api/v1/customers": {"post"},
        "/api/v1/auth/login": {"post"},
        "/api/v1/auth/logout": {"post"},
        "/api/v1/auth/password/forgot": {"post"},
        "/api/v1/auth/password/reset": {"post"},
        "/api/v1/customers/me": {"get", "patch"},
        "/api/v1/customers/me/password": {"post"},
        "/api/v1/customers/me/addresses": {"get", "post"},
        "/api/v1/customers/me/addresses/{address_id}": {"get", "put", "delete"},
        "/_sim/outbox": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    register = paths["/api/v1/customers"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in register["parameters"])
