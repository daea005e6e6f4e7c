"""The `q` search rule, and the term index that answers it.

A product's terms are the words of its name and brand and its SKU, lower-cased (a
word is a run of letters, digits or `_`). A query matches when every one of its
words is one of those terms, except the last, which only has to begin one: the
shopper may still be typing it. A query without any word searches nothing (it
matches every product), like an empty search box.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter

from sortedcontainers import SortedList

from simulator import offload
from simulator.sortedlists import sorted_list

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
    if sku.isdigit():  # digits are word characters without case: the SKU is its one term
        return [sku]  # the record's own string: the index then holds no copy of a million EAN-13s
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


#: A set operation in C on this many ids costs about as much as checking one product in
#: Python: the term index answers with its sets while they are at most this many times
#: larger than the candidates the caller would otherwise check one by one.
SET_ADVANTAGE = 8

Posting = str | set[str]  # the one id of a term only one product has, else its ids
#: Products (or ids, or terms) handled between two pauses for other requests in a long
#: loop over the catalog (`offload.cooperatively`): a millisecond or a few of work.
ITEMS_PER_PAUSE = 4096


class TermIndex:
    """Term → ids of the products that have it, and the terms in order for prefixes.

    A term's ids are a set: intersecting two sets reads neither id (a set keeps each
    hash beside its pointer), where a list would read every id of both, scattered in
    memory, at several times the cost. A term that only one product has (a SKU, nearly
    always) maps to that id itself, not to a set of one (~200 bytes, a million times).
    Not thread-safe: the read model holds its lock around every call.
    """

    def __init__(self) -> None:
        self._postings: dict[str, Posting] = {}
        self._vocabulary = SortedList()

    @classmethod
    def of(cls, products: list[Product]) -> TermIndex:
        """The index of these products (in any order: the order they lie in memory reads
        fastest), in bulk, with its peak memory kept low: a catalog of a million is built
        once, and the memory it took is not given back."""
        index = cls()
        postings = index._postings
        # Names are made of few distinct pieces (brands, nouns…): gather ids by piece, then
        # find the terms of each piece once. Words never span white space, so the terms
        # of the pieces are the terms of the text.
        by_piece: dict[str, list[str]] = defaultdict(list)
        for start in offload.cooperatively(range(0, len(products), ITEMS_PER_PAUSE), 1):
            for product in products[start : start + ITEMS_PER_PAUSE]:
                for piece in f"{product.name} {product.brand}".split():
                    by_piece[piece].append(product.id)
        handled = 0  # ids put in sets since the last pause: a piece or a term may have many
        while by_piece:
            piece, ids = by_piece.popitem()  # each list freed once in the sets
            for term in set(words(piece)):
                posting = postings.get(term)
                if posting is None:
                    postings[term] = set(ids)
                else:
                    posting.update(ids)
            handled = _pause_past(handled + len(ids))
        for term in list(postings):  # the terms only: each replaced set is freed at once, not all at the end
            posting = postings[term]
            postings[term] = next(iter(posting)) if len(posting) == 1 else set(posting)  # a copy is sized to fit
            handled = _pause_past(handled + len(posting))
        ids = offload.cooperative_map(attrgetter("id"), products, ITEMS_PER_PAUSE)
        skus = offload.cooperative_map(attrgetter("sku"), products, ITEMS_PER_PAUSE)
        slices = range(0, len(skus), ITEMS_PER_PAUSE)
        if all(all(map(str.isdigit, skus[start : start + ITEMS_PER_PAUSE])) for start in offload.cooperatively(slices, 1)):
            # Each SKU its one term, nearly always of one product: the text's few terms join
            # the SKUs' postings, made in C, unless a SKU is shared or is also a word.
            by_sku: dict[str, Posting] = {}
            for start in offload.cooperatively(slices, 1):
                by_sku.update(zip(skus[start : start + ITEMS_PER_PAUSE], ids[start : start + ITEMS_PER_PAUSE]))
            if len(by_sku) == len(skus) and by_sku.keys().isdisjoint(postings.keys()):
                by_sku.update(postings)
                index._postings = by_sku
                index._vocabulary = index._sorted_vocabulary()
                return index
            del by_sku
        for product_id, sku in offload.cooperatively(zip(ids, skus), ITEMS_PER_PAUSE):
            for term in sku_terms(sku):
                index._put(term, product_id)
        index._vocabulary = index._sorted_vocabulary()
        return index

    def _sorted_vocabulary(self) -> SortedList:
        """The terms in order, sorted a slice at a time (a million SKUs are a second of sorting)."""
        return sorted_list(self._postings)

    def add(self, product_id: str, terms: Iterable[str]) -> None:
        for term in terms:
            if self._put(term, product_id):
                self._vocabulary.add(term)

    def _put(self, term: str, product_id: str) -> bool:
        """Add the id to the term's posting; True when the term is new."""
        posting = self._postings.get(term)
        if posting is None:
            self._postings[term] = product_id
            return True
        if isinstance(posting, str):
            if posting != product_id:
                self._postings[term] = {posting, product_id}
        else:
            posting.add(product_id)
        return False

    def remove(self, product_id: str, terms: Iterable[str]) -> None:
        for term in terms:
            posting = self._postings.get(term)
            if isinstance(posting, str):
                if posting == product_id:
                    del self._postings[term]
                    self._vocabulary.remove(term)
            elif posting is not None:
                posting.discard(product_id)
                if len(posting) == 1:
                    self._postings[term] = next(iter(posting))

    def _prefixed(self, prefix: str) -> tuple[int, Iterator[Posting]]:
        """How many terms begin with `prefix`, and their postings."""
        start = self._vocabulary.bisect_left(prefix)
        end = _after_prefix(prefix)
        stop = len(self._vocabulary) if end is None else self._vocabulary.bisect_left(end)
        return stop - start, map(self._postings.__getitem__, self._vocabulary.islice(start, stop))

    def lookup(self, query: TextQuery, limit: int, terms_of: Callable[[str], Collection[str]]) -> set[str] | None:
        """The ids of the products the query matches (a new set), or None when the ids to
        combine are far more than `limit` (the caller then checks its own `limit`
        candidates one by one instead). `terms_of(id)` gives a product's terms."""
        budget = limit * SET_ADVANTAGE
        if query.exact:
            postings = []
            for term in query.exact:
                posting = self._postings.get(term)
                if posting is None:
                    return set()
                postings.append({posting} if isinstance(posting, str) else posting)
            postings.sort(key=len)
            if len(postings[0]) > budget:
                return None
            found = postings[0].intersection(*postings[1:]) if len(postings) > 1 else postings[0]
            return self._narrow(found, query.prefix, terms_of)
        count, postings = self._prefixed(query.prefix)
        if count > budget:
            return None
        postings = list(postings)
        found = {posting for posting in offload.cooperatively(postings, ITEMS_PER_PAUSE) if posting.__class__ is str}  # of one product
        for posting in offload.cooperatively(postings, ITEMS_PER_PAUSE):
            if posting.__class__ is set:
                found.update(posting)
                if len(found) > budget:
                    return None
        return found

    def _narrow(self, found: set[str], prefix: str, terms_of: Callable[[str], Collection[str]]) -> set[str]:
        """Those of `found` with a term that begins with `prefix`, in a new set (`found`
        may be a posting): by set operations (an intersection reads the smaller set)
        while they read few enough ids, else product by product."""
        budget = len(found) * SET_ADVANTAGE
        count, postings = self._prefixed(prefix)
        if found and count <= budget:
            postings = list(postings)
            if sum(1 if isinstance(posting, str) else min(len(posting), len(found)) for posting in postings) <= budget:
                narrowed: set[str] = set()
                for posting in postings:
                    if isinstance(posting, str):
                        if posting in found:
                            narrowed.add(posting)
                    else:
                        narrowed.update(found.intersection(posting))
                return narrowed
        return {i for i in offload.cooperatively(found, ITEMS_PER_PAUSE) if any(term.startswith(prefix) for term in terms_of(i))}



def _pause_past(handled: int) -> int:
    """A pause for other requests once `handled` ids were put in sets (cheap ones: several
    slices' worth) since the last; what to count from now."""
    if handled < ITEMS_PER_PAUSE * 8:
        return handled
    offload.cooperative_yield()
    return 0


def _after_prefix(prefix: str) -> str | None:
    """The least string after every string that begins with `prefix` (None: no such string)."""
    while prefix and prefix[-1] == chr(sys.maxunicode):
        prefix = prefix[:-1]
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else None
