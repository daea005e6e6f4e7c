"""A locustfile for tests/test_loadtests.py: a catalog sync user whose replica misses every change.

Not a test module (pytest does not collect it): Locust loads it in a child process. It
imports loadtests.locustfile for its hooks (settings, SLO check, tag pruning) but
exposes only its own User classes (modules, not classes, are imported by name).
"""

from __future__ import annotations

import loadtests.catalog_sync as catalog_sync
import loadtests.locustfile  # noqa: F401  (the init hooks and settings)
import loadtests.shopper as shopper


class BrokenSyncUser(catalog_sync.CatalogSyncUser):
    """Pulls the changes feed like CatalogSyncUser, but never applies it to its replica."""

    def drain(self, replica, token):
        if replica is self.replica:
            return super().drain({}, token)
        return super().drain(replica, token)


class IdleShopper(shopper.ShopperUser):
    """Present so that `--tags catalog_sync` has a scenario to leave out."""
