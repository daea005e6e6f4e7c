"""CORS as a browser sees it: headless Chromium on one loopback origin calls a real
simulator on another. Needs Debian's chromium + chromium-driver (see tests/helpers/browser.py)."""

from __future__ import annotations

import pytest

from simulator.seed.customers import SEEDED_PASSWORD
from tests.helpers.browser import chromium, chromium_or_skip, page_server
from tests.helpers.server import running_server

pytestmark = pytest.mark.usefixtures("browser_available")


@pytest.fixture(scope="module")
def browser_available():
    chromium_or_skip()


@pytest.fixture(scope="module")
def allowed_page():
    with page_server("localhost") as origin:
        yield origin


@pytest.fixture(scope="module")
def simulator_url(allowed_page):
    # Only the page server's origin is allowed: any other origin is refused by the browser.
    with running_server(SIM_PRODUCTS="200", SIM_CUSTOMERS="3", SIM_PASSWORD_HASH_PROFILE="fast",
                        SIM_CORS_ORIGINS=allowed_page) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as session:
        yield session


def run(browser, script: str, *args):
    """Await an async function of the page and return its result."""
    return browser.execute_async_script(
        f"const done = arguments[arguments.length - 1]; ({script})(...Array.from(arguments).slice(0, -1))"
        ".then(done, (error) => done({failed: String(error)}));",
        *args,
    )


def test_a_storefront_on_another_origin_shops_through_the_api(browser, allowed_page, simulator_url):
    browser.get(allowed_page + "/storefront.html")
    seen = run(browser, "shop", simulator_url, "demo@example.com", SEEDED_PASSWORD)
    assert "failed" not in seen, seen
    assert seen["browse"] == 200
    assert seen["pagination"]["page"] == 1 and seen["pagination"]["total"] > 0  # X-Pagination is exposed
    assert seen["guest"] == 201 and seen["guest_add"] == 200
    assert seen["login"] == 200 and seen["merged"]  # X-Basket-Token and Authorization pass the preflight
    assert seen["etag"]  # ETag is exposed
    assert seen["change"] == 200  # If-Match passes the preflight
    assert seen["stale_change"] == 412 and seen["stale_code"]  # the problem body is readable


def test_an_origin_not_allowed_is_refused_by_the_browser(browser, simulator_url):
    with page_server("127.0.0.1") as other_origin:  # another origin: same host, another port
        browser.get(other_origin + "/storefront.html")
        assert run(browser, "probe", simulator_url + "/api/v1/categories") == {"error": "TypeError"}


def test_the_simulator_controls_answer_no_cross_origin_request(browser, allowed_page, simulator_url):
    browser.get(allowed_page + "/storefront.html")
    assert run(browser, "probe", simulator_url + "/_sim/clock") == {"error": "TypeError"}
    # A JSON POST needs a preflight, which /_sim does not grant: the reset never runs.
    reset = run(browser, "probe", simulator_url + "/_sim/reset",
                {"method": "POST", "headers": {"Content-Type": "application/json"}, "body": "{}"})
    assert reset == {"error": "TypeError"}
