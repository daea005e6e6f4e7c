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

Where gevent has not patched the standard library (tests with Flask's test client,
scripts, another WSGI server) both are plain calls: there is no loop to keep free.
"""

from __future__ import annotations

import heapq
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
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


def cooperative_yield() -> None:
    """Carry on after the event loop's next turn, in which every request whose socket is
    ready runs too; nothing without gevent."""
    if under_gevent():
        # Not gevent.sleep(0): that only queues a callback, and two exports yielding to
        # each other run up to 50 callbacks before the loop polls sockets again. A timer
        # due at once fires after the next poll, and the poll does not block for it.
        import gevent

        hub = gevent.get_hub()
        with hub.loop.timer(0) as due:
            hub.wait(due)


def cooperative_map(fn: Callable[[T], U], items: Sequence[T], slice_size: int) -> list[U]:
    """`[fn(item) for item in items]`, with a `cooperative_yield()` after every `slice_size` items."""
    done: list[U] = []
    for start in range(0, len(items), slice_size):
        if start:
            cooperative_yield()
        done.extend(map(fn, items[start : start + slice_size]))
    return done


def cooperatively(items: Iterable[T], slice_size: int) -> Iterator[T]:
    """The items one by one, with a `cooperative_yield()` after every `slice_size` of them:
    a long loop over a catalog lets requests run between slices."""
    for count, item in enumerate(items, 1):
        yield item
        if count % slice_size == 0:
            cooperative_yield()


def cooperative_sorted(items: Sequence[T], key: Callable[[T], object] | None, slice_size: int) -> list[T]:
    """`sorted(items, key=key)`, stable, with a `cooperative_yield()` between its pieces:
    slices sorted on their own, neighbouring runs merged pairwise while a merge stays
    small (a sort of two runs only merges them), the last runs merged a slice at a time."""
    runs = [sorted(items[start : start + slice_size], key=key) for start in cooperatively(range(0, len(items), slice_size), 1)]
    while len(runs) > 1 and len(runs[0]) + len(runs[1]) <= slice_size * MERGED_SLICES:
        merged = []
        for left, right in zip(runs[0::2], runs[1::2]):
            left.extend(right)  # neighbours, left first: ties keep their order
            left.sort(key=key)
            merged.append(left)
            cooperative_yield()
        if len(runs) % 2:
            merged.append(runs[-1])
        runs = merged
    if len(runs) <= 1:
        return runs[0] if runs else []
    merging, done = heapq.merge(*runs, key=key), []  # ties: the earlier run's first
    while piece := list(islice(merging, slice_size)):
        done.extend(piece)
        cooperative_yield()
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
