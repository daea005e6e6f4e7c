"""Keeping CPU-heavy work from holding the event loop.

The server runs one gevent worker: every request is a greenlet on one OS thread, so a
request that computes for 40 ms without a pause (an Argon2 hash, a whole catalog
export) stalls every other request for those 40 ms. Two ways out:

- `run_blocking(fn, *args)` runs `fn` on a native thread of a small pool while the
  calling greenlet waits cooperatively. It helps only for work that releases the GIL,
  as Argon2 does; Python code would hold the GIL and stall the loop all the same.
  (concurrent.futures would not do: under gevent its threads are greenlets.) The pool's
  threads run at a lower CPU priority, so on a machine short of cores the loop's thread
  goes first: logins slow down before every other request does.
- `cooperative_yield()` lets the other greenlets run: long Python loops call it
  between slices of a millisecond or so (`cooperative_map` does it for a list).
  Within `nothing_waiting()` (a worker making its app, before it serves) no request
  can be waiting for them: the loops run straight through, sorts in one go.

Where gevent has not patched the standard library (tests with Flask's test client,
scripts, another WSGI server) both are plain calls: there is no loop to keep free.
"""

from __future__ import annotations

import os
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

#: The `offload_threads` setting's default: one fewer than the machine's cores (at least
#: one), so that hashing leaves a core to the event loop. More threads hash faster on a
#: large machine; beyond the cores they add memory (19 MiB per `secure` hash), not speed.
AUTO = 0

#: The most slices `cooperative_sorted` merges in one step (in C, without a pause).
MERGED_SLICES = 64

#: How much nicer (Linux nice values) the pool's threads run than the event loop's thread.
POOL_NICENESS = 10

_threads = AUTO
_pool = None  # gevent.threadpool.ThreadPool, made on first use in the serving process
_pool_pid = 0  # the process it was made in: a pool does not survive a fork
_pool_nice = 0  # the nice value its threads take
_straight_through = False  # within `nothing_waiting()`


def configure(threads: int) -> None:
    """Size the pool (the `offload_threads` setting; AUTO: from the cores)."""
    global _threads
    _threads = threads
    if _pool is not None and _pool_pid == os.getpid():
        _pool.maxsize = pool_size()


def pool_size() -> int:
    if _threads != AUTO:
        return _threads
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores - 1)


def under_gevent() -> bool:
    """True when gevent has patched threading: then requests are greenlets of one thread."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def run_blocking(fn: Callable[..., T], *args) -> T:
    """`fn(*args)`, on a pool thread under gevent; its exception, if any, is raised here."""
    if not under_gevent():
        return fn(*args)
    pool = _thread_pool()
    return pool.apply(_behind_the_loop, (_pool_nice, fn, args))


def _behind_the_loop(nice: int, fn: Callable[..., T], args: tuple) -> T:
    """On a pool thread: `fn(*args)` at a lower CPU priority than the event loop's thread,
    so that on a machine short of cores the loop goes first and the hash waits."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)  # Linux: who=0 is this thread alone
    except (AttributeError, OSError):  # no such call here, or not allowed: same priority then
        pass
    return fn(*args)


@contextmanager
def nothing_waiting() -> Iterator[None]:
    """Within: no request can be waiting for the event loop (the worker makes its app, and
    seeds and indexes its first catalog, before it serves), so the cooperative helpers
    run straight through: no pauses, and `cooperative_sorted` one sort, not pieces and
    merges (which made the sorts of indexing a million products 2.5 times as long). A
    reset of a serving worker runs outside it and pauses as before."""
    global _straight_through
    before, _straight_through = _straight_through, True
    try:
        yield
    finally:
        _straight_through = before


def pausing() -> bool:
    """Whether `cooperative_yield()` lets other requests run now: under gevent, outside
    `nothing_waiting()`."""
    return under_gevent() and not _straight_through


def cooperative_yield() -> None:
    """Carry on after the event loop's next turn, in which every request whose socket is
    ready runs too; nothing unless `pausing()`."""
    if pausing():
        # Not gevent.sleep(0): that only queues a callback, and two exports yielding to
        # each other run up to 50 callbacks before the loop polls sockets again. A timer
        # due at once fires after the next poll, and the poll does not block for it.
        import gevent

        hub = gevent.get_hub()
        with hub.loop.timer(0) as due:
            hub.wait(due)


def cooperative_map(fn: Callable[[T], U], items: Sequence[T], slice_size: int) -> list[U]:
    """`[fn(item) for item in items]`, with a `cooperative_yield()` after every `slice_size` items."""
    if _straight_through:
        return list(map(fn, items))
    done: list[U] = []
    for start in range(0, len(items), slice_size):
        if start:
            cooperative_yield()
        done.extend(map(fn, items[start : start + slice_size]))
    return done


def cooperatively(items: Iterable[T], slice_size: int) -> Iterator[T]:
    """The items one by one, with a `cooperative_yield()` after every `slice_size` of them:
    a long loop over a catalog lets requests run between slices."""
    return iter(items) if _straight_through else _paced(items, slice_size)


def _paced(items: Iterable[T], slice_size: int) -> Iterator[T]:
    for count, item in enumerate(items, 1):
        yield item
        if count % slice_size == 0:
            cooperative_yield()


def cooperative_sorted(items: Sequence[T], key: Callable[[T], object] | None, slice_size: int) -> list[T]:
    """`sorted(items, key=key)`, stable, with a `cooperative_yield()` between its pieces:
    slices sorted on their own, then neighbouring runs merged pairwise (`_merged`) until
    one is left. Every piece is sorted or merged in C (`list.sort` finds the runs), so
    the pauses cost next to nothing: a merge item by item in Python (`heapq.merge`) made
    indexing a million products twice as slow."""
    if _straight_through:
        return sorted(items, key=key)
    runs = [sorted(items[start : start + slice_size], key=key) for start in cooperatively(range(0, len(items), slice_size), 1)]
    while len(runs) > 1:
        merged = [_merged(left, right, key, slice_size) for left, right in zip(runs[0::2], runs[1::2])]
        if len(runs) % 2:
            merged.append(runs[-1])
        runs = merged
    return runs[0] if runs else []


def _merged(left: list[T], right: list[T], key: Callable[[T], object] | None, slice_size: int) -> list[T]:
    """Two sorted runs as one, ties left first. Small runs merge in one go (a pause after);
    large ones a piece at a time: some `slice_size` items of one run with every item of the
    other that sorts before the piece's last, which makes each piece the next stretch of
    the result (see the comments), then a pause."""
    if len(left) + len(right) <= slice_size * MERGED_SLICES:
        left.extend(right)  # left first: the stable sort keeps ties in that order
        left.sort(key=key)
        cooperative_yield()
        return left
    key_of = key or (lambda item: item)
    done: list[T] = []
    i = j = 0
    while i < len(left) and j < len(right):
        i_end = min(i + slice_size, len(left))
        # Right's items below left's last key go before it; equal ones wait (left wins ties,
        # and left may hold more of that key beyond this piece).
        j_end = bisect_left(right, key_of(left[i_end - 1]), j, key=key)
        if j_end - j > slice_size:  # right runs far below: take a slice of right instead
            j_end = j + slice_size
            # Left's items up to right's last key, equal ones included, go before it.
            i_end = bisect_right(left, key_of(right[j_end - 1]), i, key=key)
        piece = left[i:i_end]
        piece.extend(right[j:j_end])
        piece.sort(key=key)
        done.extend(piece)
        i, j = i_end, j_end
        cooperative_yield()
    done.extend(left[i:])
    done.extend(right[j:])
    return done


def _thread_pool():
    global _pool, _pool_pid, _pool_nice
    if _pool is None or _pool_pid != os.getpid():
        loop_nice = os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0
        _pool_nice = min(19, loop_nice + POOL_NICENESS)
        from gevent.threadpool import ThreadPool

        # A pool of its own, not the hub's: that one also resolves host names (webhook
        # deliveries), which must not queue behind hashes. Tasks beyond its size wait
        # their turn cooperatively, which also bounds the memory hashes take at once.
        _pool, _pool_pid = ThreadPool(pool_size()), os.getpid()
    return _pool
