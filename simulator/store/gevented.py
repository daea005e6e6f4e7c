"""What gevent patched in this process, and the standard library beneath it: the Redis
store's connections choose by it how they wait (see redis.py and batching.py)."""

from __future__ import annotations

import sys
from typing import Any


def patched(module: str) -> bool:
    """Whether gevent patched the standard library's `module` here (a gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched(module)


def original(module: str, name: str) -> Any:
    """The standard library's `module.name`, even where gevent patched it."""
    return sys.modules["gevent.monkey"].get_original(module, name) if patched(module) else getattr(sys.modules[module], name)


def native_thread_id() -> int:
    """The OS thread's id (patched, `threading.get_ident` names the greenlet)."""
    return original("_thread", "get_ident")()
