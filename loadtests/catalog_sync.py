"""Catalog sync: what a storefront platform does to keep its copy of the catalog.

On start, a full export (`--export-mode pages`: cursor pages of `--export-page-size`;
`ndjson`: one streamed response whose last line is the sync token) fills a replica.
Then, every `--sync-poll-seconds`, the changes feed from the replica's token is pulled
to its end (`has_more`) and applied: upserts replace a product, deletes remove it.

On stop (and every `--sync-check-seconds` while running, when set) the replica is
checked against the live catalog: a fresh export is taken and
brought forward with the feed from its own token, the replica is brought forward too,
and once both have reached the same feed position they must be identical, product for
product. Any difference is a failure in the report (`CHECK catalog replica == fresh
export`, a WRONG_ANSWER), listing what is missing, extra or different. Run under churn
(`SIM_CHURN_PER_MINUTE`) and next to buyers whose orders change stock, this is the
contract's sync guarantee checked under load.

A 410 (`SYNC_TOKEN_EXPIRED`, or `EXPORT_CURSOR_EXPIRED` after a reset) is the contract's
answer, not an error: the user runs a full export again, as a storefront must.
"""

from __future__ import annotations

import logging
import time

import orjson
from locust import tag, task

from .checks import check_money, diff_catalogs, failure_message
from .common import ApiUser
from .settings import setting
from .slo import SYNC_CHECK_NAME

logger = logging.getLogger("loadtests.catalog_sync")

EXPORT = "/api/v1/catalog/export"
CHANGES = "/api/v1/catalog/changes"
NDJSON = "application/x-ndjson"
CHANGES_PAGE = 500
#: A drain stops after this many pages (500 changes each): a feed that never ends is a failure.
MAX_CHANGE_PAGES = 2000
EXPORT_ATTEMPTS = 3
#: Rounds of "bring both copies to the feed's end" before comparing anyway.
CONVERGE_ROUNDS = 10


class Expired(Exception):
    """The backend answered 410: the token or cursor is gone; export again."""


def poll_interval(user) -> float:
    return float(setting(user.environment, "sync_poll_seconds"))


def _products_problems(products: list, where: str) -> list[str]:
    problems = []
    for index, product in enumerate(products):
        if not isinstance(product, dict) or not isinstance(product.get("id"), str):
            problems.append(f"{where}[{index}]: not a product with an id")
            continue
        money_problems, _ = check_money(product, f"{where}[{product['id']}]")
        problems.extend(money_problems)
    return problems


class CatalogSyncUser(ApiUser):
    """One storefront platform keeping a replica of the catalog (fixed_count: one per run)."""

    scenario = "catalog_sync"
    fixed_count = 1
    wait_time = poll_interval

    def on_start(self) -> None:
        self.replica: dict[str, dict] | None = None
        self.token: str | None = None
        self.changes_applied = 0
        self.last_check = time.monotonic()
        self.replica, self.token = self.full_export()

    @tag("catalog_sync")
    @task
    def pull_changes(self) -> None:
        if self.replica is None or self.token is None:
            self.replica, self.token = self.full_export()
            return
        try:
            self.token = self.drain(self.replica, self.token)
        except Expired:
            self.replica, self.token = self.full_export()
            return
        every = float(setting(self.environment, "sync_check_seconds"))
        if every > 0 and time.monotonic() - self.last_check >= every:
            self.verify()

    def on_stop(self) -> None:
        self.verify()

    # -- export ---------------------------------------------------------------------------
    def full_export(self) -> tuple[dict[str, dict] | None, str | None]:
        mode = setting(self.environment, "export_mode")
        for _ in range(EXPORT_ATTEMPTS):
            try:
                return self._export_ndjson() if mode == "ndjson" else self._export_pages()
            except Expired:
                continue
        return None, None

    def _export_pages(self) -> tuple[dict[str, dict] | None, str | None]:
        limit = int(setting(self.environment, "export_page_size"))
        replica: dict[str, dict] = {}
        token, cursor = None, None
        while True:
            params = {"limit": limit, "cursor": cursor}
            answer = self.api(
                "GET", EXPORT, name=EXPORT, params=params, kind="catalog export page",
                accept=[(410, "EXPORT_CURSOR_EXPIRED")], check=self._page_problems,
            )
            if answer.status == 410 and answer.ok:
                raise Expired()
            if not answer.ok:
                return None, None
            token = token or answer.body["sync_token"]
            for product in answer.body["items"]:
                replica[product["id"]] = product
            cursor = answer.body["next_cursor"]
            if not cursor:
                return replica, token

    @staticmethod
    def _page_problems(body) -> list[str]:
        if not isinstance(body, dict) or not isinstance(body.get("items"), list) or not body.get("sync_token"):
            return ["an export page needs items, next_cursor and sync_token"]
        return _products_problems(body["items"], "items")

    def _export_ndjson(self) -> tuple[dict[str, dict] | None, str | None]:
        name = f"{EXPORT} (ndjson)"
        with self.client.request("GET", EXPORT, name=name, headers={**self.auth, "Accept": NDJSON}, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"GET {name}: {response.status_code} {(response.text or '')[:200]}")
                return None, None
            replica: dict[str, dict] = {}
            token = None
            # Split as bytes: only on line breaks, not on a U+2028 inside a JSON string as str.splitlines would.
            lines = (response.content or b"").splitlines()
            try:
                records = [orjson.loads(line) for line in lines if line.strip()]
            except ValueError as error:
                response.failure(f"GET {name}: a line is not JSON ({error})")
                return None, None
            if not records or set(records[-1]) != {"sync_token"}:
                response.failure(f"GET {name}: the stream does not end with a sync_token line (truncated?)")
                return None, None
            token = records[-1]["sync_token"]
            products = records[:-1]
            problems = _products_problems(products, "line")
            if problems:
                response.failure(failure_message("catalog export stream", problems))
                return None, None
            for product in products:
                replica[product["id"]] = product
            response.success()
            return replica, token

    # -- changes ---------------------------------------------------------------------------
    def drain(self, replica: dict[str, dict], token: str) -> str:
        """Pull the changes feed from `token` to its end into `replica`; the token to continue from."""
        for _ in range(MAX_CHANGE_PAGES):
            answer = self.api(
                "GET", CHANGES, name=CHANGES, params={"since": token, "limit": CHANGES_PAGE},
                accept=[(410, "SYNC_TOKEN_EXPIRED")], check=self._changes_problems, kind="changes page",
            )
            if answer.status == 410 and answer.ok:
                raise Expired()
            if not answer.ok:
                return token  # reported; try again from the same token at the next poll
            if replica is self.replica:
                self.changes_applied += len(answer.body["changes"])
            for change in answer.body["changes"]:
                if change["type"] == "delete":
                    replica.pop(change["product_id"], None)
                else:
                    replica[change["product_id"]] = change["product"]
            token = answer.body["next_token"]
            if not answer.body["has_more"]:
                return token
        logger.error("the changes feed did not end after %d pages", MAX_CHANGE_PAGES)
        return token

    @staticmethod
    def _changes_problems(body) -> list[str]:
        if not isinstance(body, dict) or not isinstance(body.get("changes"), list) or not body.get("next_token"):
            return ["a changes page needs changes, next_token and has_more"]
        problems, last_seq = [], None
        for change in body["changes"]:
            kind, pid = change.get("type"), change.get("product_id")
            if kind not in ("upsert", "delete") or not isinstance(pid, str):
                problems.append(f"change {change.get('seq')}: type {kind!r}, product_id {pid!r}")
                continue
            if kind == "upsert" and (not isinstance(change.get("product"), dict) or change["product"].get("id") != pid):
                problems.append(f"change {change.get('seq')}: an upsert of {pid} without that product")
                continue
            seq = change.get("seq")
            if last_seq is not None and isinstance(seq, int) and seq <= last_seq:
                problems.append(f"change {seq} comes after {last_seq}: not in sequence order")
            last_seq = seq if isinstance(seq, int) else last_seq
            if kind == "upsert":
                problems.extend(check_money(change["product"], f"change {seq}")[0])
        return problems

    # -- the check ---------------------------------------------------------------------------
    def verify(self) -> None:
        """Compare the replica with a fresh export, both brought to the same feed position."""
        if self.replica is None or self.token is None:
            logger.warning("catalog sync: no replica to check (the initial export did not finish)")
            return
        started = time.perf_counter()
        self.last_check = time.monotonic()
        try:
            fresh, fresh_token = self.full_export()
            if fresh is None or fresh_token is None:
                logger.warning("catalog sync: the fresh export for the check failed (reported); nothing compared")
                return
            replica_token, same_position = self.token, False
            for _ in range(CONVERGE_ROUNDS):
                replica_token = self.drain(self.replica, replica_token)
                fresh_token = self.drain(fresh, fresh_token)
                if replica_token == fresh_token:
                    same_position = True
                    break
            self.token = replica_token
        except Expired:
            logger.warning("catalog sync: a token expired during the check; nothing compared")
            return
        problems = diff_catalogs(self.replica, fresh)
        if problems and not same_position:
            problems.append(f"(the two copies did not reach the same feed position in {CONVERGE_ROUNDS} rounds)")
        self.report_check(
            SYNC_CHECK_NAME,
            time.perf_counter() - started,
            len(fresh),
            failure_message("catalog sync", problems) if problems else None,
        )
        if problems:
            logger.error("catalog sync: the replica differs from the catalog: %s", "; ".join(problems))
        else:
            logger.info("catalog sync: replica of %d products (%d changes applied since the first export) matches a fresh export",
                        len(fresh), self.changes_applied)
