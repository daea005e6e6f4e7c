"""The catalog read model: indexes that answer browse queries without scanning the catalog.

One model per store instance in this process (`read_model(store)`), so a reset, which
swaps in a new store, starts a new model, and a shared store can have one per worker.
It is built once from the store's products and then kept up to date from the store's
change log: before each query it re-reads the products changed since the position it
last applied (nothing to do when the log has not moved). Every product write logs its
change (the catalog service does); categories only change with a new store, or with
writes that log a CATEGORY change, and then the model is rebuilt.

What it holds, per category (sub-categories included; None for the whole catalog) and
stock state (in stock or not), is one sorted list of products per order (id, price,
name, updated_at); and a term index for `q`. Answers:

- filters and a sort: a positional slice of one list, or of two merged (in and out of
  stock), with price bounds found by bisection in price order. O(page + log n).
- price bounds in another order, or text: the smallest set of candidates, filtered,
  then either sorted or found by walking the ordered list, whichever reads fewer.

Every order ends with the product id, so no two products tie and the answer is the
same as sorting the whole catalog would give.
"""

from __future__ import annotations

import heapq
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import chain, compress
from operator import attrgetter, itemgetter, le, not_
from typing import TypeVar

from sortedcontainers import SortedList

from simulator import offload
from simulator.sortedlists import presorted
from simulator.store import Store

from .model import CATEGORY, PRODUCT, Category, Product
from .search import ITEMS_PER_PAUSE, SET_ADVANTAGE, TermIndex, TextQuery, parse_query, product_terms

#: What each order but the id order is about. Their keys are (value, id): no two tie.
VALUES: dict[str, Callable[[Product], object]] = {
    "price": attrgetter("price"),
    "name": lambda p: p.name.lower(),
    "updated_at": attrgetter("updated_at"),
}


#: A float in each value's order (equal for equal values) for the orders whose values
#: compare slowly: a sort of a million by it is 5-8 times as fast as by the Decimals or
#: datetimes themselves, and its rare ties of unequal values are found and sorted again.
STAND_INS: dict[str, Callable[[object], float]] = {"price": float, "updated_at": datetime.timestamp}


def _order_key(order: str) -> Callable[[Product], object]:
    if order == "id":
        return attrgetter("id")
    value = VALUES[order]
    return lambda p: (value(p), p.id)


#: Each order's key.
ORDERS = {order: _order_key(order) for order in ("id", *VALUES)}
ID_OF = {"id": lambda key: key, "price": itemgetter(1), "name": itemgetter(1), "updated_at": itemgetter(1)}
#: The `sort` argument → (order, descending).
SORTS = {
    "price": ("price", False),
    "-price": ("price", True),
    "name": ("name", False),
    "-updated_at": ("updated_at", True),
}
T = TypeVar("T")
#: Changes read from the log at a time while catching up.
CATCH_UP_BATCH = 1000


@dataclass(frozen=True)
class ProductQuery:
    category: str | None = None
    q: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: str | None = None


PriceRange = tuple[Decimal | None, Decimal | None]
Span = tuple[SortedList, int, int]  # keys [start, stop) of one sorted list


class _AfterAll:
    """Sorts after any product id: (price, AFTER_ALL) bounds every key with that price."""

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return True


AFTER_ALL = _AfterAll()


class CatalogReadModel:
    def __init__(self, store: Store) -> None:
        self._store = weakref.ref(store)  # the registry maps store → model: no cycle back
        self._lock = threading.Lock()
        self._built = False
        self._seq = 0  # the change-log position applied
        self._category_seq = 0
        self._tree: list[dict] = []
        self._rendered: dict[Callable, object] = {}  # render → what it made of the tree
        self._categories: dict[str, Category] = {}
        self._nodes_cache: dict[tuple[str, ...], tuple[str | None, ...]] = {}
        self._ancestry_by_seq: tuple[int, Callable[[tuple[str, ...]], frozenset[str]]] = (-1, _ancestry({}))
        self._products: dict[str, Product] = {}
        self._lists: dict[tuple[str | None, bool, str], SortedList] = {}
        self._terms = TermIndex()

    # -- reading ----------------------------------------------------------------------
    def category_tree(self, render: Callable[[list[dict]], T] | None = None) -> list[dict] | T:
        """Top-level categories with nested `children`, siblings in their shop order; or
        what `render` makes of them. Both are kept until the categories change: read
        them, never change them."""
        with self._lock:
            self._refresh()
            if render is None:
                return self._tree
            if render not in self._rendered:
                self._rendered[render] = render(self._tree)
            return self._rendered[render]

    def browse(self, query: ProductQuery, start: int, count: int) -> tuple[list[Product], int]:
        """`count` products from position `start` of those matching, and how many match."""
        order, descending = SORTS[query.sort] if query.sort else ("id", False)
        price = None if query.min_price is None and query.max_price is None else (query.min_price, query.max_price)
        text = parse_query(query.q)
        with self._lock:
            self._refresh()
            ids, total = self._query(query.category, query.in_stock, price, text, order, descending, start, count)
            return [self._products[i] for i in ids], total

    def ancestry(self) -> Callable[[tuple[str, ...]], frozenset[str]]:
        """category ids → those categories and all their ancestors, as the categories are
        now (a promotion's category condition matches the whole subtree). Made once per
        category version; the one returned keeps answering for that version.

        It never takes this model's lock: pricing asks from inside store transactions
        (the store's lock held), while a refresh holds this lock and then reads the store.
        Taking it here would invert that order, and under load two such requests
        deadlock. The categories are read from the store directly instead (a few dozen
        records, only when they changed)."""
        store = self._store()
        if store is None:
            return self._ancestry_by_seq[1]
        seq = store.last_seq(CATEGORY)  # first: the categories read below are at least this new
        known_seq, known = self._ancestry_by_seq  # one attribute, replaced whole: no lock needed
        if known_seq != seq:
            known = _ancestry({category.id: category for category in store.values(CATEGORY)})
            self._ancestry_by_seq = (seq, known)
        return known

    def refresh(self) -> None:
        """Catch up with the store now (a warm-up: queries catch up by themselves)."""
        with self._lock:
            self._refresh()

    # -- queries ----------------------------------------------------------------------
    def _query(self, category, in_stock, price, text, order, descending, start, count) -> tuple[list[str], int]:
        spans = self._spans(category, in_stock, order, price if order == "price" else None)
        id_of = ID_OF[order]
        if text is None and (price is None or order == "price"):
            return [id_of(key) for key in _select(spans, start, count, descending)], _size(spans)
        if text is None:
            # Price bounds in another order: the price list counts and finds the matches.
            matching = self._spans(category, in_stock, "price", price)
            total = _size(matching)
            collect = lambda: list(_ids(matching, "price"))  # noqa: E731
            accept = lambda i: _within(self._products[i].price, price)  # noqa: E731
        else:
            found = self._text_matches(category, in_stock, price, text)
            total = len(found)
            collect = lambda: found  # noqa: E731
            accept = found.__contains__
        if start >= total:
            return [], total
        if walk_is_cheaper(start + count, _size(spans), total):
            return _walk(spans, id_of, accept, start, count, descending), total
        key = None if order == "id" else (lambda i: ORDERS[order](self._products[i]))
        ordered = offload.cooperative_sorted(list(collect()), key, ITEMS_PER_PAUSE)  # every key ends with the id: no ties
        if descending:
            ordered.reverse()
        return ordered[start : start + count], total

    def _text_matches(self, category, in_stock, price, text: TextQuery) -> set[str]:
        order = "price" if price else "id"
        candidates = self._spans(category, in_stock, order, price)
        size = _size(candidates)
        found = self._terms.lookup(text, size, self._terms_of)
        if found is None:  # the text matches many more: check the other candidates one by one
            return {i for i in offload.cooperatively(_ids(candidates, order), ITEMS_PER_PAUSE) if text.matches(self._terms_of(i))}
        if category is None and in_stock is None and price is None:
            return found
        if category is None and price is None:  # in stock or not: drop the other state's, when fewer
            other = self._spans(None, not in_stock, "id", None)
            if _size(other) < size:
                return found.difference(_keys(other))
        if size <= len(found) * SET_ADVANTAGE:  # keep those among the candidates: a set operation
            return found.intersection(_ids(candidates, order))
        products = self._products
        return {i for i in found if self._fits(products[i], category, in_stock, price)}

    def _terms_of(self, product_id: str) -> set[str]:
        return product_terms(self._products[product_id])

    def _fits(self, product: Product, category, in_stock, price) -> bool:
        return (
            (in_stock is None or (product.stock > 0) == in_stock)
            and (price is None or _within(product.price, price))
            and (category is None or category in self._nodes(product.category_ids))
        )

    def _spans(self, category: str | None, in_stock: bool | None, order: str, price: PriceRange | None) -> list[Span]:
        """The non-empty spans of the lists that hold the products asked for, in `order`
        (price bounds only in price order)."""
        spans = []
        for stock in (True, False) if in_stock is None else (in_stock,):
            keys = self._lists.get((category, stock, order))
            if keys is None:
                continue
            start, stop = 0, len(keys)
            if price is not None:
                low, high = price
                start = 0 if low is None else keys.bisect_left((low,))
                stop = stop if high is None else keys.bisect_left((high, AFTER_ALL))
            if start < stop:
                spans.append((keys, start, stop))
        return spans

    # -- keeping up with the store --------------------------------------------------------
    def _refresh(self) -> None:
        store = self._store()
        if store is None:
            return
        last = store.last_seq(PRODUCT)  # one read when nothing changed (two with the categories)
        if (
            not self._built
            or store.last_seq(CATEGORY) != self._category_seq
            or (last > self._seq and store.oldest_valid_seq(PRODUCT) > self._seq)  # a deletion never seen was purged
        ):
            self._build(store)
        while self._seq < last:
            if self._seq:  # between batches of a long catch-up, other requests run
                offload.cooperative_yield()
            changes = store.changes_since(PRODUCT, self._seq, CATCH_UP_BATCH)
            if not changes:
                break
            for change in changes:
                self._apply(store.get(PRODUCT, change.record_id), self._products.get(change.record_id))
            self._seq = changes[-1].seq

    def _apply(self, current: Product | None, indexed: Product | None) -> None:
        if current is indexed:
            return
        if indexed is not None:
            self._unindex(indexed)
        if current is not None:
            self._index(current)

    def _index(self, product: Product) -> None:
        self._products[product.id] = product
        nodes, stock = self._nodes(product.category_ids), product.stock > 0
        for order, key_of in ORDERS.items():
            key = key_of(product)
            for node in nodes:
                keys = self._lists.get((node, stock, order))
                if keys is None:
                    keys = self._lists[(node, stock, order)] = SortedList()
                keys.add(key)
        self._terms.add(product.id, product_terms(product))

    def _unindex(self, product: Product) -> None:
        del self._products[product.id]
        nodes, stock = self._nodes(product.category_ids), product.stock > 0
        for order, key_of in ORDERS.items():
            key = key_of(product)
            for node in nodes:
                self._lists[(node, stock, order)].discard(key)
        self._terms.remove(product.id, product_terms(product))

    def _nodes(self, category_ids: tuple[str, ...]) -> tuple[str | None, ...]:
        """The lists a product of these categories belongs to: the whole catalog (None),
        its categories and their ancestors."""
        nodes = self._nodes_cache.get(category_ids)
        if nodes is None:
            nodes = self._nodes_cache[category_ids] = (None, *_lineage(self._categories, category_ids))
        return nodes

    def _build(self, store: Store) -> None:
        """Everything from a snapshot of the store, in bulk: each order sorted once over
        the whole catalog and dealt out to the lists in that order, which then need no
        sorting; the work per product stays in C where it can. A slice at a time
        (`_in_slices`, `offload.cooperative_sorted`): other requests run between slices
        while a million products are indexed."""
        with store.snapshot():  # the positions first: the records read then are at least as new
            seq, category_seq = store.last_seq(PRODUCT), store.last_seq(CATEGORY)
            categories, products = store.values(CATEGORY), store.values(PRODUCT)  # in id order
        self._load_categories(categories)
        # What needs no order is made from the records in the order they lie in memory
        # (CPython's id() is the address): a pass over a million then reads memory forward,
        # four times as fast as in id order, which scatters them.
        in_memory = offload.cooperative_sorted(products, id, ITEMS_PER_PAUSE)
        self._products = {}
        for start in _slice_starts(in_memory):
            part = in_memory[start : start + ITEMS_PER_PAUSE]
            self._products.update(zip(map(attrgetter("id"), part), part))
        ids = _in_slices(lambda part: list(map(attrgetter("id"), part)), products)
        placements: dict[tuple[tuple[str, ...], bool], int] = {}  # (categories, in stock) → its number
        placement_of = _in_slices(lambda part: [placements.setdefault((p.category_ids, p.stock > 0), len(placements)) for p in part], products)
        in_stock_of = [stock for _, stock in placements]
        self._lists = {}
        for order in ORDERS:
            if order == "id":
                keys, slots = ids, placement_of
            else:  # a stable sort on the value alone keeps ties in id order
                values, positions = _in_value_order(_in_slices(lambda part: list(map(VALUES[order], part)), products), STAND_INS.get(order))
                keys = []
                for start in _slice_starts(positions):
                    keys.extend(zip(values[start : start + ITEMS_PER_PAUSE], map(ids.__getitem__, positions[start : start + ITEMS_PER_PAUSE])))
                slots = _in_slices(lambda part: list(map(placement_of.__getitem__, part)), positions)
                del values, positions
            in_stock = _in_slices(lambda part: list(map(in_stock_of.__getitem__, part)), slots)
            lists = {(None, True, order): [], (None, False, order): []}
            appenders = [
                tuple(lists.setdefault((node, stock, order), []).append for node in self._nodes(category_ids)[1:])
                for category_ids, stock in placements
            ]
            for start in _slice_starts(keys):
                part, part_slots, part_in_stock = (k[start : start + ITEMS_PER_PAUSE] for k in (keys, slots, in_stock))
                lists[(None, True, order)].extend(compress(part, part_in_stock))
                lists[(None, False, order)].extend(compress(part, map(not_, part_in_stock)))
                for key, slot in zip(part, part_slots):
                    for append in appenders[slot]:
                        append(key)
            for slot in list(lists):  # each list freed once copied: the build's peak stays low
                keys = lists.pop(slot)
                if keys:
                    self._lists[slot] = presorted(keys)
        self._terms = TermIndex.of(in_memory)
        self._seq, self._category_seq, self._built = seq, category_seq, True

    def _load_categories(self, categories: list[Category]) -> None:
        shop_order = sorted(categories, key=lambda c: (c.level, c.position))
        nodes = {c.id: {"category": c, "children": []} for c in shop_order}
        roots = []
        for node in nodes.values():
            parent = node["category"].parent_id
            (nodes[parent]["children"] if parent in nodes else roots).append(node)
        self._tree, self._categories, self._nodes_cache, self._rendered = roots, {c.id: c for c in categories}, {}, {}


def _lineage(categories: Mapping[str, Category], category_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The categories and their ancestors, each once, nearest first."""
    found: dict[str, None] = {}
    for category_id in category_ids:
        current = category_id
        while current is not None and current not in found:
            found[current] = None
            parent = categories.get(current)
            current = parent.parent_id if parent else None
    return tuple(found)


def _ancestry(categories: Mapping[str, Category]) -> Callable[[tuple[str, ...]], frozenset[str]]:
    """`_lineage` over these categories as a set, made once per tuple of category ids."""
    made: dict[tuple[str, ...], frozenset[str]] = {}

    def ancestry(category_ids: tuple[str, ...]) -> frozenset[str]:
        found = made.get(category_ids)
        if found is None:
            found = made[category_ids] = frozenset(_lineage(categories, category_ids))
        return found

    return ancestry


# -- positional reads over sorted lists ---------------------------------------------------------
def _size(spans: list[Span]) -> int:
    return sum(stop - start for _, start, stop in spans)


def _keys(spans: list[Span]) -> Iterator:
    return chain.from_iterable(keys.islice(start, stop) for keys, start, stop in spans)


def _ids(spans: list[Span], order: str) -> Iterator[str]:
    return _keys(spans) if order == "id" else map(itemgetter(1), _keys(spans))


def _slice_starts(items: Sequence) -> Iterator[int]:
    """Where each slice of `ITEMS_PER_PAUSE` items starts, with a pause for other requests after each."""
    return offload.cooperatively(range(0, len(items), ITEMS_PER_PAUSE), 1)


def _in_slices(make: Callable[[Sequence], list], items: Sequence) -> list:
    """`make(items)`, for a `make` that maps a slice to a list, a slice at a time."""
    made: list = []
    for start in _slice_starts(items):
        made.extend(make(items[start : start + ITEMS_PER_PAUSE]))
    return made


def _in_value_order(values: list, stand_in: Callable[[object], float] | None) -> tuple[list, list[int]]:
    """The values sorted (stably: equal ones keep their order), and the positions they came
    from. With a `stand_in`, sorted by it, then checked pair by pair (in C): unequal values
    with equal stand-ins may have come out of order, and only then are sorted again."""
    positions: Sequence[int] = range(len(values))
    if stand_in is not None:
        stand_ins = _in_slices(lambda part: list(map(stand_in, part)), values)
        positions = offload.cooperative_sorted(positions, stand_ins.__getitem__, ITEMS_PER_PAUSE)
        del stand_ins
        ordered = _in_slices(lambda part: list(map(values.__getitem__, part)), positions)
        if all(all(map(le, ordered[start : start + ITEMS_PER_PAUSE], ordered[start + 1 : start + ITEMS_PER_PAUSE + 1]))
               for start in _slice_starts(ordered)):
            return ordered, positions
    positions = offload.cooperative_sorted(positions, values.__getitem__, ITEMS_PER_PAUSE)
    return _in_slices(lambda part: list(map(values.__getitem__, part)), positions), positions


def _within(value: Decimal, bounds: PriceRange) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


def _select(spans: list[Span], start: int, count: int, descending: bool) -> list:
    """Keys at positions [start, start + count) of the spans merged, in O(log n + count)."""
    total = _size(spans)
    if not descending:
        return _ascending(spans, start, count)
    stop = total - start  # counted from the end: read ascending, then reverse
    if stop <= 0:
        return []
    keys = _ascending(spans, max(stop - count, 0), min(count, stop))
    keys.reverse()
    return keys


def _ascending(spans: list[Span], start: int, count: int) -> list:
    if not spans:
        return []
    if len(spans) == 1:
        keys, low, high = spans[0]
        return keys[min(low + start, high) : min(low + start + count, high)]
    (a, a_start, a_stop), (b, b_start, b_stop) = spans
    start = min(start, (a_stop - a_start) + (b_stop - b_start))
    # How many of the first `start` merged keys come from `a`: the least `taken` such
    # that a's next key is not below the last key taken from `b`.
    low, high = max(0, start - (b_stop - b_start)), min(start, a_stop - a_start)
    while low < high:
        taken = (low + high) // 2
        if a[a_start + taken] < b[b_start + start - taken - 1]:
            low = taken + 1
        else:
            high = taken
    a_from, b_from = a_start + low, b_start + start - low
    merged = a[a_from : min(a_from + count, a_stop)] + b[b_from : min(b_from + count, b_stop)]
    merged.sort()
    return merged[:count]


def walk_is_cheaper(wanted: int, size: int, matching: int) -> bool:
    """Whether to find the first `wanted` of `matching` products by walking an ordered
    list of `size` (reads about wanted * size / matching keys) rather than sorting them."""
    return wanted * size <= matching * matching


def _walk(spans: list[Span], id_of, accept: Callable[[str], bool], start: int, count: int, descending: bool) -> list[str]:
    """The ids at positions [start, start + count) among the accepted, reading in order."""
    runs = [keys.islice(low, high, reverse=descending) for keys, low, high in spans]
    merged = runs[0] if len(runs) == 1 else heapq.merge(*runs, reverse=descending)
    page: list[str] = []
    for key in offload.cooperatively(merged, ITEMS_PER_PAUSE):
        product_id = id_of(key)
        if accept(product_id):
            if start:
                start -= 1
                continue
            page.append(product_id)
            if len(page) == count:
                break
    return page


# -- one model per store ---------------------------------------------------------------
_models: weakref.WeakKeyDictionary[Store, CatalogReadModel] = weakref.WeakKeyDictionary()
_models_lock = threading.Lock()


def read_model(store: Store) -> CatalogReadModel:
    """This process's read model of `store` (made on first use; built on its first read)."""
    model = _models.get(store)
    if model is None:
        with _models_lock:
            model = _models.get(store)
            if model is None:
                model = _models[store] = CatalogReadModel(store)
    return model
