"""alegra-sim load scenarios: catalog sync, shopper and checkout.

    .venv/bin/locust --config loadtests/locust.conf              # headless, the defaults of locust.conf
    .venv/bin/locust -f loadtests/locustfile.py                  # web UI on http://localhost:8089

The default mix: one catalog sync user (fixed_count 1) and, of the others, shoppers
and buyers 9 : 1. Run one scenario alone with its tag (`--tags catalog_sync`, `--tags
shopper`, `--tags checkout`; finer: browse, search, basket, coupons, account) or its
User class name. Settings and SLOs: loadtests/settings.py (and the web UI's "Custom parameters").
"""

from __future__ import annotations

from locust import events
from locust.runners import WorkerRunner

# Locust imports this file by path: `loadtests` is importable because the project is installed
# (`make` installs it, editable) or because Locust runs from the repository root (`python -m locust`).
from loadtests import settings  # noqa: F401  (registers the command-line settings)
from loadtests.catalog_sync import CatalogSyncUser
from loadtests.checkout import CheckoutUser
from loadtests.shapes import SHAPES
from loadtests.shopper import ShopperUser
from loadtests.slo import LoadRun

__all__ = ["CatalogSyncUser", "ShopperUser", "CheckoutUser"]


def _has_tasks_left(user_class, tags, exclude_tags) -> bool:
    """Whether --tags / --exclude-tags leave this user class any task (Locust filters them later)."""
    for task_function in user_class.tasks:
        task_tags = getattr(task_function, "locust_tag_set", set())
        if tags and not task_tags & tags:
            continue
        if exclude_tags and task_tags & exclude_tags:
            continue
        return True
    return False


@events.init.add_listener
def on_init(environment, runner, **_kwargs) -> None:
    environment.alegra_run = LoadRun(environment)
    options = environment.parsed_options
    if options is None or isinstance(runner, WorkerRunner):
        return  # a worker runs what its master dispatches, with the master's tags

    # A scenario left without tasks by --tags must not be spawned (its fixed_count would
    # still start it, and a User without tasks fails).
    tags = set(options.tags) if getattr(options, "tags", None) else None
    exclude_tags = set(options.exclude_tags) if getattr(options, "exclude_tags", None) else None
    if tags or exclude_tags:
        kept = [u for u in environment.user_classes if _has_tasks_left(u, tags, exclude_tags)]
        if not kept:
            raise SystemExit(f"no scenario has a task tagged {sorted(tags or [])} (and not {sorted(exclude_tags or [])})")
        environment.user_classes[:] = kept

    # The named load shape, if any; all of them in the web UI's class picker.
    if environment.available_shape_classes is not None:
        for shape_class in SHAPES.values():
            environment.available_shape_classes.setdefault(shape_class.__name__, shape_class())
    name = getattr(options, "shape_name", "")
    if name:
        shape = SHAPES[name]()
        shape.runner = runner
        environment.shape_class = shape
