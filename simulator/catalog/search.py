"""The `q` search rule, and the term index that answers it.

A product's terms are the words of its name and brand and its SKU, lower-cased (a
word is a run of letters, digits or `_`). A query matches when every one of its
words is one of those terms, except the last, which only has to begin one: the
shopper may still be typing it. A query without any word searches nothing (it
matches every product), like an empty search box.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import takewhile
from operator import attrgetter

from sortedcontainers import SortedList

from .model import Product

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    lowered = text.lower()
    if lowered.isascii() and lowered.replace(" ", "").isalnum():
        return lowered.split()  # the same words, without the regex: most names are like this
    return _WORD.findall(lowered)


def text_terms(name: str, brand: str) -> set[str]:
    return set(words(f"{name} {brand}"))


def sku_terms(sku: str) -> list[str]:
    if sku.isascii() and sku.isdigit():
        # The record's own string: the index then holds no copy of a million EAN-13s.
        return [sku]
    return words(sku)


def product_terms(product: Product) -> set[str]:
    terms = text_terms(product.name, product.brand)
    terms.update(sku_terms(product.sku))
    return terms


@dataclass(frozen=True)
class TextQuery:
    exact: frozenset[str]  # every word but the last: each must be a term
    prefix: str  # the last word: some term must begin with it

    def matches(self, terms: Collection[str]) -> bool:
        return self.exact.issubset(terms) and any(term.startswith(self.prefix) for term in terms)


def parse_query(q: str | None) -> TextQuery | None:
    """The query's words; None when there are none to search for."""
    found = words(q or "")
    return TextQuery(frozenset(found[:-1]), found[-1]) if found else None


#: A set operation in C costs a small fraction of checking one product in Python, so
#: the term index answers even when its sets are this many times larger than the
#: other candidates.
SET_ADVANTAGE = 8


class TermIndex:
    """Term → ids of the products that have it, and the terms in order for prefixes.

    A term that only one product has (a SKU, mostly) maps to that id itself rather
    than to a set of one: a set costs ~200 bytes, and there are as many SKUs as products.
    Not thread-safe: the read model holds its lock around every call.
    """

    def __init__(self) -> None:
        self._postings: dict[str, str | set[str]] = {}
        self._vocabulary = SortedList()

    @classmethod
    def of(cls, products: list[Product]) -> TermIndex:
        """The index of these products, in bulk: the few name and brand terms gather
        their ids in lists first; SKUs, nearly one per product, go straight in."""
        index = cls()
        ids = list(map(attrgetter("id"), products))
        named: dict[str, list[str]] = defaultdict(list)
        for product_id, terms in zip(ids, map(text_terms, map(attrgetter("name"), products), map(attrgetter("brand"), products))):
            for term in terms:
                named[term].append(product_id)
        for term, term_ids in named.items():
            index._put(term, term_ids)
        for product_id, sku in zip(ids, map(attrgetter("sku"), products)):
            for term in sku_terms(sku):
                index._put(term, (product_id,))
        index._vocabulary = SortedList(index._postings)
        return index

    def add(self, product_id: str, terms: Iterable[str]) -> None:
        for term in terms:
            if self._put(term, (product_id,)):
                self._vocabulary.add(term)

    def _put(self, term: str, product_ids: Sequence[str]) -> bool:
        """Add the ids to the term's posting; True when the term is new."""
        posting = self._postings.get(term)
        if posting is None:
            self._postings[term] = product_ids[0] if len(product_ids) == 1 else set(product_ids)
            return True
        if isinstance(posting, str):
            merged = {posting, *product_ids}
            if len(merged) > 1:
                self._postings[term] = merged
        else:
            posting.update(product_ids)
        return False

    def remove(self, product_id: str, terms: Iterable[str]) -> None:
        for term in terms:
            posting = self._postings.get(term)
            if posting is None:
                continue
            if isinstance(posting, str):
                if posting == product_id:
                    del self._postings[term]
                    self._vocabulary.remove(term)
                continue
            posting.discard(product_id)
            if len(posting) == 1:
                self._postings[term] = next(iter(posting))

    def _ids(self, term: str) -> set[str] | None:
        posting = self._postings.get(term)
        return {posting} if isinstance(posting, str) else posting

    def _prefixed(self, prefix: str) -> Iterator[str]:
        return takewhile(lambda term: term.startswith(prefix), self._vocabulary.irange(prefix))

    def lookup(self, query: TextQuery, limit: int, terms_of: Callable[[str], Collection[str]]) -> set[str] | None:
        """The ids of the products the query matches, or None when the sets to combine
        would be far larger than `limit` (the caller then checks its own `limit`
        candidates one by one instead). `terms_of(id)` gives a product's terms."""
        budget = limit * SET_ADVANTAGE
        exact = []
        for term in query.exact:
            ids = self._ids(term)
            if ids is None:
                return set()
            exact.append(ids)
        if exact:
            exact.sort(key=len)
            if len(exact[0]) > budget:
                return None
            found = exact[0].intersection(*exact[1:])
            return self._narrow(found, query.prefix, terms_of)
        found, size = [], 0
        for term in self._prefixed(query.prefix):
            ids = self._ids(term)
            size += len(ids)
            if size > budget:
                return None
            found.append(ids)
        return set().union(*found)

    def _narrow(self, found: set[str], prefix: str, terms_of: Callable[[str], Collection[str]]) -> set[str]:
        """Those of `found` with a term that begins with `prefix`: a set operation per
        such term while there are fewer such terms than products, else product by product."""
        if not found:
            return found
        prefixed = []
        for term in self._prefixed(prefix):
            prefixed.append(term)
            if len(prefixed) > len(found):
                return {i for i in found if any(t.startswith(prefix) for t in terms_of(i))}
        return set().union(*(found.intersection(self._ids(term)) for term in prefixed))
