"""Running test callers at once, each in a thread of its own."""

import threading
from collections.abc import Callable


def run_at_once(*targets: Callable[[], object]) -> None:
    """Run each target in a thread of its own, all at once, and wait for them all."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
