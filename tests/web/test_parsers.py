"""The webargs parsers of every blueprint: one schema instance per class, and the
arguments of a query string parsed lately kept, each request getting a copy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask, request
from marshmallow import Schema, fields, validate

from simulator.http.blueprints import BodyParser, QueryParser


class Args(Schema):
    price = fields.Decimal(validate=validate.Range(min=0))
    tags = fields.List(fields.String())


def parse(parser: QueryParser, app: Flask, query: str):
    with app.test_request_context(f"/?{query}"):
        return parser.parse(Args, location="query")


def test_a_repeated_query_string_gives_equal_arguments_each_in_a_copy_of_its_own():
    parser, app = QueryParser(), Flask(__name__)
    first, second = parse(parser, app, "price=2.50"), parse(parser, app, "price=2.50")
    assert first == second == {"price": Decimal("2.50")} and first is not second
    first["price"] = Decimal(0)
    assert parse(parser, app, "price=2.50") == {"price": Decimal("2.50")}


def test_arguments_holding_a_list_are_parsed_anew_each_time():
    parser, app = QueryParser(), Flask(__name__)
    first = parse(parser, app, "tags=a&tags=b")
    first["tags"].append("c")
    assert parse(parser, app, "tags=a&tags=b") == {"tags": ["a", "b"]}


def test_a_query_string_that_fails_fails_every_time():
    parser, app = QueryParser(), Flask(__name__)
    for _ in range(2):
        try:
            parse(parser, app, "price=-1")
        except Exception as error:  # webargs' handler: a 422 from Flask's abort
            assert getattr(error, "code", None) == 422
        else:
            raise AssertionError("a negative price must fail")


class Item(Schema):
    product_id = fields.String(required=True)
    quantity = fields.Integer(load_default=1)


@pytest.mark.parametrize("opened_first", [False, True], ids=["input read by the parser", "input opened by werkzeug first"])
def test_a_small_json_body_parses_and_stays_readable(opened_first: bool):
    parser, app = BodyParser(), Flask(__name__)
    body = b'{"product_id": "p1", "quantity": 3}'
    for _ in range(2):  # parsed, then kept
        with app.test_request_context("/", method="POST", data=body, content_type="application/json"):
            if opened_first:
                request.stream  # noqa: B018  # werkzeug holds the input now
            assert parser.parse(Item, location="json") == {"product_id": "p1", "quantity": 3}
            assert request.get_data() == body and request.get_json() == {"product_id": "p1", "quantity": 3}


def test_a_body_shorter_than_its_length_fails_even_when_the_whole_body_was_kept():
    parser, app = BodyParser(), Flask(__name__)
    body = b'{"product_id": "p1", "quantity": 3}'
    with app.test_request_context("/", method="POST", data=body, content_type="application/json"):
        assert parser.parse(Item, location="json") == {"product_id": "p1", "quantity": 3}  # kept
    short = {"CONTENT_LENGTH": str(len(body) + 20)}
    with app.test_request_context("/", method="POST", data=body, content_type="application/json", environ_overrides=short):
        with pytest.raises(Exception) as failed:  # werkzeug's ClientDisconnected: a 400
            parser.parse(Item, location="json")
        assert getattr(failed.value, "code", None) == 400
