"""The `q` rule, by example, and the term index against it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from simulator.catalog import search
from simulator.catalog.model import Product
from simulator.catalog.search import TermIndex, parse_query, product_terms
from tests.catalog.reference import text_matches

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def product(name: str, brand: str = "Acme", sku: str = "2109744337910") -> Product:
    return Product("prd_x", sku, name, "", brand, ("cat_a",), Decimal(1), None, Decimal("0.19"), 1, 1, {}, 1, NOW, NOW)


@pytest.mark.parametrize(("q", "found"), [
    ("sleeping bag", True),
    ("SLEEPING BAG", True),
    ("acme slee", True),  # the last word is a prefix: the shopper is still typing
    ("slee bag", False),  # ...the others are whole words
    ("leeping", False),  # a word is matched from its start, not inside
    ("bag tent", False),  # every word must match
    ("2109744337910", True),  # the SKU is a term
    ("acme 210974", True),  # ...so typing one narrows down
    ("210974 acme", False),
    ("t-shirt", False),
    ("   ", True),  # no word: no text filter
    ("--", True),
])
def test_search_rule(q, found):
    bag = product("Daniel Modern Sleeping Bag")
    assert text_matches(bag, q) is found
    query = parse_query(q)
    assert (query is None or query.matches(product_terms(bag))) is found


def test_words_split_on_anything_but_letters_digits_and_underscore():
    shirt = product("Crew T-Shirt, Größe_L", brand="O'Neil", sku="AB-12")
    assert product_terms(shirt) == {"crew", "t", "shirt", "größe_l", "o", "neil", "ab", "12"}
    assert parse_query("t-shirt o'n").matches(product_terms(shirt))


@pytest.mark.parametrize("skus", [("2001", "2002", "2003"), ("2001", "2001", "2003"), ("2001", "2001", "AB-1"), ("2001", "2002", "acme"),
                                  ("2001", "2002", "4711")])  # a SKU that is also a word of a name
def test_the_bulk_index_is_the_one_built_product_by_product(skus):
    names = (("Red Mug", "Acme"), ("Red mug", "acme"), ("Reduced Cup 4711", ""))
    products = [product(name, brand, sku) for (name, brand), sku in zip(names, skus)]
    products = [dataclasses.replace(p, id=f"p{n}") for n, p in enumerate(products)]
    one_by_one = TermIndex()
    for p in products:
        one_by_one.add(p.id, product_terms(p))
    bulk = TermIndex.of(products)
    assert bulk._postings == one_by_one._postings and list(bulk._vocabulary) == list(one_by_one._vocabulary)


def test_a_sku_that_is_its_own_term_is_not_copied():
    sku = "2109744337910"
    (term,) = search.sku_terms(sku)
    assert term is sku
    for other in ("٣٤٥", "²3", "AB-12", "ab"):  # other digits too; else the words, as for any text
        assert search.sku_terms(other) == search.words(other)


def lookup(index: TermIndex, q: str, terms: dict[str, set[str]], limit: int = 100) -> set[str] | None:
    return index.lookup(parse_query(q), limit, terms.__getitem__)


def test_term_index_keeps_postings_through_adds_and_removes():
    terms = {"p1": {"red", "mug", "2001"}, "p2": {"red", "mug", "2002"}, "p3": {"reduced", "cup", "2003"}}
    index = TermIndex()
    for product_id, product_terms_ in terms.items():
        index.add(product_id, product_terms_)
    assert lookup(index, "red", terms) == {"p1", "p2", "p3"}  # "red" is also a prefix of "reduced"
    assert lookup(index, "red mug", terms) == {"p1", "p2"}
    assert lookup(index, "red mu", terms) == {"p1", "p2"}
    assert lookup(index, "mug 2", terms) == {"p1", "p2"}  # more terms begin with "2" than there are mugs
    assert lookup(index, "mug 2001", terms) == {"p1"}
    assert lookup(index, "mug cup", terms) == set()
    assert lookup(index, "blue mug", terms) == set()
    index.remove("p1", terms["p1"])
    index.remove("p3", terms["p3"])
    assert lookup(index, "re", terms) == {"p2"}
    assert lookup(index, "200", terms) == {"p2"}
    index.add("p3", terms["p3"])
    index.add("p1", terms["p1"])
    assert lookup(index, "red", terms) == {"p1", "p2", "p3"}
    assert lookup(index, "2", terms) == {"p1", "p2", "p3"}


def test_term_index_declines_when_its_sets_are_far_larger_than_the_other_candidates():
    many = {f"p{i}": {"mug"} for i in range(100)}
    index = TermIndex()
    for product_id in many:
        index.add(product_id, {"mug"})
    enough = -(-100 // search.SET_ADVANTAGE)  # the least limit whose budget covers 100
    assert lookup(index, "mug", many, limit=enough) == set(many)
    assert lookup(index, "mug", many, limit=enough - 1) is None
    assert lookup(index, "mug m", many, limit=1) is None
