"""The console in headless Chromium against a real simulator (gunicorn + gevent, an admin
token set): traffic driven through the API shows up on the page, a knob turned on the page
changes what the API answers, the clock moves an order along, a wrong token is refused.
Needs Debian's chromium + chromium-driver (see tests/helpers/browser.py). Saves reports/console.png.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.helpers.accounts import PASSWORD
from tests.helpers.browser import chromium, chromium_or_skip
from tests.helpers.receiver import Receiver
from tests.helpers.server import running_server
from tests.helpers.shopping import CARD_OK, INLINE_DE

TOKEN = "console-s3cret"
SCREENSHOT = Path(__file__).resolve().parents[2] / "reports" / "console.png"
#: Load the screenshot test drives at least this long (docs/images/console.png: 120).
SCREENSHOT_SECONDS = float(os.environ.get("CONSOLE_SCREENSHOT_SECONDS", "0"))
WIDTH, HEIGHT = 1280, 800

pytestmark = pytest.mark.usefixtures("browser_available")


@pytest.fixture(scope="module")
def browser_available():
    chromium_or_skip()


@pytest.fixture(scope="module")
def server():
    with running_server(SIM_PRODUCTS="200", SIM_CUSTOMERS="3", SIM_PASSWORD_HASH_PROFILE="fast", SIM_ADMIN_TOKEN=TOKEN,
                        SIM_CHURN_PER_MINUTE="0") as url:
        yield url


class Api:
    """requests against the server, as the admin when asked."""

    def __init__(self, url: str, token: str | None = None):
        self.url = url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method: str):
        return lambda path, **kwargs: self.session.request(method.upper(), self.url + path, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def admin(server) -> Api:
    return Api(server, TOKEN)


@pytest.fixture(scope="module")
def browser():
    with chromium() as session:
        # The page's own size (not the window's): the console must work on a 1280×800 screen.
        session.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
        yield session


@pytest.fixture
def console(browser, server, admin):
    """A freshly reset simulator and its console, open with the token (given once per tab)."""
    assert admin.post("/_sim/reset", json={}).status_code == 200
    browser.get(server + "/_sim/console?refresh=1")
    wait(browser, lambda b: shown(b, "console") or shown(b, "login"), "the console or its token form")
    if shown(browser, "login"):
        give_token(browser, TOKEN)
    wait(browser, lambda b: shown(b, "console"), "the console")
    return browser


# -- page helpers --------------------------------------------------------------------------------
def find(browser, testid: str, within=None):
    return (within or browser).find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')


def shown(browser, testid: str) -> bool:
    return find(browser, testid).is_displayed()


def wait(browser, condition, what: str, timeout: float = 20):
    return WebDriverWait(browser, timeout, poll_frequency=0.2,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
        condition, message=f"waited {timeout:g} s for {what}")


def give_token(browser, token: str) -> None:
    field = find(browser, "token-input")
    field.clear()
    field.send_keys(token)
    find(browser, "token-submit").click()


def cell(browser, group: str, column: str, target: bool = False) -> str:
    """The text of a traffic table cell; of a latency cell, the measured figure or the target below it."""
    selector = f'[data-testid="traffic-{group}"] [data-col="{column}"]'
    if column in ("p50", "p95"):
        selector += f" > span:nth-child({2 if target else 1})"
    return browser.find_element(By.CSS_SELECTOR, selector).text


def number(text: str) -> float | None:
    try:
        return float(text.replace("%", "").strip())
    except ValueError:
        return None


def type_into(browser, testid: str, text: str) -> None:
    field = find(browser, testid)
    field.clear()
    field.send_keys(text)


# -- driving the API ------------------------------------------------------------------------------
@contextmanager
def traffic(url: str, paths: tuple[str, ...], clients: int = 2, headers: dict | None = None) -> Iterator[None]:
    """Clients looping over GETs of `paths` until the block ends."""
    stop = threading.Event()

    def loop():
        with requests.Session() as session:
            session.headers.update(headers or {})
            while not stop.is_set():
                for path in paths:
                    try:
                        session.get(url + path, timeout=10)
                    except requests.RequestException:
                        pass

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


def place_order(url: str, email: str) -> dict:
    """Register, fill a basket, walk the checkout and pay by card: the order, as placed."""
    shop = Api(url)
    registered = shop.post("/api/v1/customers", json={"email": email, "password": PASSWORD, "first_name": "Demo", "last_name": "Shopper"})
    assert registered.status_code == 201, registered.text
    shop.session.headers["Authorization"] = f"Bearer {registered.json()['token']}"
    product = shop.get("/api/v1/products", params={"in_stock": "true", "max_price": "100", "page_size": 1}).json()[0]
    assert shop.post("/api/v1/basket/items", json={"product_id": product["id"], "quantity": 1}).status_code == 200
    checkout = shop.post("/api/v1/checkout", json={}).json()["id"]
    for step, body in (("shipping-address", {"address": INLINE_DE}), ("billing-address", {"same_as_shipping": True}),
                       ("payment-type", {"payment_type": "card"}), ("delivery-option", {"delivery_option_id": "dhl-standard"})):
        assert shop.put(f"/api/v1/checkout/{checkout}/{step}", json=body).status_code == 200, step
    assert shop.post(f"/api/v1/checkout/{checkout}/payment", json={"card": CARD_OK}).status_code == 200
    order = shop.post(f"/api/v1/checkout/{checkout}/order", json={})
    assert order.status_code == 201, order.text
    return order.json()


# -- the tests ------------------------------------------------------------------------------------
def test_without_the_token_nothing_is_shown_and_a_wrong_one_is_refused(browser, server):
    browser.get(server + "/_sim/console?refresh=1")
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    wait(browser, lambda b: shown(b, "login"), "the token form")
    assert not shown(browser, "console")
    assert browser.find_elements(By.CSS_SELECTOR, "#traffic-rows tr, #orders li, #outbox li") == []  # no data on the page

    give_token(browser, "not-the-token")
    wait(browser, lambda b: "refused" in find(b, "token-error").text, "the refusal")
    assert not shown(browser, "console") and browser.execute_script("return sessionStorage.length") == 0

    give_token(browser, TOKEN)
    wait(browser, lambda b: shown(b, "console"), "the console")
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#traffic-rows tr"), "the traffic table")
    browser.refresh()  # kept for the tab: not asked again
    wait(browser, lambda b: shown(b, "console"), "the console after a reload")
    assert not shown(browser, "login")


def test_traffic_shows_rates_and_latency_beside_the_target(console, server, admin):
    assert admin.patch("/_sim/config", json={"latency": {"groups": {"browse": "30ms"}}}).status_code == 200
    with traffic(server, ("/api/v1/products", "/api/v1/categories")):
        wait(console, lambda b: (number(cell(b, "browse", "rps")) or 0) > 1, "requests per second of browse")
        wait(console, lambda b: (number(cell(b, "browse", "p50")) or 0) >= 30, "the measured p50 of browse")
    assert number(cell(console, "browse", "p50", target=True)) == 30  # the configured target beside it
    assert number(cell(console, "browse", "p95", target=True)) == 30
    assert cell(console, "browse", "errors") == "0.0 %"
    assert cell(console, "checkout", "rps") in ("0.0", "—")

    # Readable without colour: every line has its own dash pattern, a label at its end and a legend entry.
    chart = find(console, "rate-chart")
    dashes = [path.get_attribute("stroke-dasharray") for path in chart.find_elements(By.CSS_SELECTOR, "path.series")]
    assert len(dashes) == 3 and len(set(dashes)) == 3
    assert any(text.text.startswith("req ") for text in chart.find_elements(By.TAG_NAME, "text"))
    assert "requests/s" in console.find_element(By.ID, "rate-legend").text
    assert console.execute_script("return document.documentElement.scrollWidth") <= WIDTH  # no sideways scrolling


def test_a_knob_turned_in_the_console_changes_what_the_api_answers(console, server, admin):
    Select(find(console, "knob-group")).select_by_value("browse")
    type_into(console, "knob-error_rate", "1.5")
    find(console, "apply-group").click()
    wait(console, lambda b: "between 0 and 1" in find(b, "error-error_rate").text, "the error beside the field")
    assert "nothing changed" in find(console, "group-result").text
    assert "browse" not in admin.get("/_sim/config").json()["faults"]["groups"]

    type_into(console, "knob-error_rate", "1")
    Select(find(console, "knob-error_status")).select_by_value("503")
    Select(find(console, "knob-profile")).select_by_value("fixed")
    type_into(console, "profile-ms", "5")
    find(console, "apply-group").click()
    wait(console, lambda b: find(b, "group-result").text == "Applied to browse.", "the config to apply")
    assert admin.get("/_sim/config").json()["latency"]["groups"]["browse"] == {"profile": "fixed", "ms": 5.0}
    answer = requests.get(server + "/api/v1/products", timeout=10)
    assert answer.status_code == 503 and answer.headers["X-Sim-Injected"] == "503"
    with traffic(server, ("/api/v1/products",), clients=1):
        wait(console, lambda b: cell(b, "browse", "injected") == "100.0 %", "the injected share of browse")
    assert cell(console, "browse", "errors") == "100.0 %"

    find(console, "inherit-group").click()
    wait(console, lambda b: "follows the defaults" in find(b, "group-result").text, "the group to follow the defaults")
    assert requests.get(server + "/api/v1/products", timeout=10).status_code == 200

    type_into(console, "domain-card_declined", "two")
    find(console, "apply-domain").click()
    wait(console, lambda b: "between 0 and 1" in find(b, "error-domain-card_declined").text, "the domain fault's error")
    type_into(console, "domain-card_declined", "0.25")
    find(console, "apply-domain").click()
    wait(console, lambda b: find(b, "domain-result").text == "Domain fault rates applied.", "the domain fault rate")
    assert admin.get("/_sim/config").json()["faults"]["domain"]["card_declined"] == 0.25


#: Replaces the page's fetch: /_sim/stats answers a bare 503 (as a proxy or an overloaded
#: server would), a clock control gets no answer at all; `window.restoreFetch()` undoes it.
FAILING_FETCH = """
const real = window.fetch;
window.restoreFetch = () => { window.fetch = real; };
window.fetch = (path, init) => {
  if (String(path).startsWith("/_sim/stats"))
    return Promise.resolve(new Response("<html>busy</html>", {status: 503, statusText: "Service Unavailable"}));
  if (String(path).startsWith("/_sim/clock") && init && init.method === "POST")
    return Promise.reject(new TypeError("Failed to fetch"));
  return real(path, init);
};
"""


def test_a_503_or_no_answer_is_shown_and_the_console_recovers(console):
    console.execute_script(FAILING_FETCH)
    wait(console, lambda b: "HTTP 503 Service Unavailable" in find(b, "connection").text, "the 503 in the status line")
    assert "retrying" in find(console, "connection").text and shown(console, "console")
    find(console, "clock-freeze").click()
    wait(console, lambda b: "did not answer" in find(b, "clock-result").text, "the control's failure")

    console.execute_script("window.restoreFetch()")
    wait(console, lambda b: find(b, "connection").text.startswith("Live"), "the status line to recover")
    find(console, "clock-freeze").click()
    wait(console, lambda b: "frozen" in find(b, "clock-result").text, "the control to work again")


def test_an_order_moves_along_when_the_clock_advances(console, server, admin):
    find(console, "clock-freeze").click()
    wait(console, lambda b: "frozen" in find(b, "clock-state").text, "the clock to freeze")
    order = place_order(server, "clock.demo@example.com")
    item = f'order-{order["id"]}'
    wait(console, lambda b: find(b, item).get_attribute("data-status") == "placed", "the new order")
    assert order["number"] in find(console, item).text

    find(console, "clock-hour").click()  # paid a minute after it was placed, processing half an hour later
    wait(console, lambda b: find(b, item).get_attribute("data-status") == "processing", "the order to be processing")
    assert "was placed" in find(console, item).text
    find(console, "clock-day").click()
    wait(console, lambda b: find(b, item).get_attribute("data-status") == "shipped", "the order to ship")
    assert find(find(console, item), "order-status").text == "shipped"
    assert admin.get("/_sim/orders?page_size=1").json()[0]["status"] == "shipped"


def test_churn_deliveries_and_mails_show_as_they_happen(console, server, admin):
    find(console, "clock-freeze").click()  # the failed delivery's retry stays due later, however slow the machine
    wait(console, lambda b: "frozen" in find(b, "clock-state").text, "the clock to freeze")
    with Receiver() as receiver:
        receiver.statuses["/hook"] = [503]
        subscribed = admin.post("/api/v1/webhooks",  # the admin token may subscribe, as a key does
                                json={"url": receiver.url("/hook"), "events": ["product.created", "product.updated", "product.deleted"]})
        assert subscribed.status_code == 201, subscribed.text
        type_into(console, "churn-count", "3")
        find(console, "churn-run").click()
        wait(console, lambda b: find(b, "churn-result").text.startswith("Applied:"), "the churn to run")
        wait(console, lambda b: len(find(b, "changes").find_elements(By.CSS_SELECTOR, "li[data-type]")) >= 1, "catalog changes")
        latest = admin.get("/_sim/catalog/changes?limit=1").json()["changes"][0]
        wait(console, lambda b: f'#{latest["seq"]}' in find(b, "changes").text, "the latest change of the feed")
        wait(console, lambda b: "HTTP 5xx" in find(b, "deliveries").text, "the failed first attempt")
        wait(console, lambda b: "HTTP 2xx" in find(b, "deliveries").text, "a delivered attempt")
        deliveries = find(console, "deliveries").text
        assert "retrying" in deliveries and "next try" in deliveries and receiver.url("/hook") in deliveries

    assert requests.post(server + "/api/v1/auth/password/forgot", json={"email": "demo@example.com"}, timeout=10).status_code == 202
    mail = admin.get("/_sim/outbox?page_size=1").json()[0]
    wait(console, lambda b: find(b, f'mail-{mail["id"]}').is_displayed(), "the reset mail")
    find(find(console, f'mail-{mail["id"]}'), "mail-open").click()
    wait(console, lambda b: shown(b, "mail-dialog"), "the mail to open")
    assert find(console, "mail-tokens").text.split() == [name_or_value for pair in mail["tokens"].items() for name_or_value in pair]
    assert all(link in find(console, "mail-links").text for link in mail["links"])
    find(console, "mail-close").click()
    wait(console, lambda b: not shown(b, "mail-dialog"), "the mail to close")


def test_a_screenshot_of_the_console_under_load(console, server, admin):
    """reports/console.png: the console as a demo sees it, several groups busy, faults on."""
    config = {
        "latency": {"groups": {"browse": {"profile": "lognormal", "p50_ms": 20, "p95_ms": 90},
                               "basket": {"profile": "uniform", "min_ms": 10, "max_ms": 60}}},
        "faults": {"groups": {"browse": {"error_rate": 0.05, "error_status": 503}}},
    }
    # The setup's own calls go before the faults: its product lookup is a browse request too.
    place_order(server, "screenshot.demo@example.com")
    assert admin.patch("/_sim/config", json=config).status_code == 200
    admin.post("/_sim/churn/run", json={"changes": 5})
    sync_token = admin.get("/api/v1/catalog/export?limit=1").json()["sync_token"]
    guest = {"X-Basket-Token": admin.post("/api/v1/baskets").json()["token"]}
    started = time.monotonic()
    with traffic(server, ("/api/v1/products", "/api/v1/categories", "/api/v1/basket", f"/api/v1/catalog/changes?since={sync_token}"),
                 clients=4, headers=guest):
        wait(console, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#rate-chart path.series")) == 3
             and len(b.find_elements(By.CSS_SELECTOR, "#latency-chart path.series")) == 4, "both charts", timeout=30)
        wait(console, lambda b: (number(cell(b, "browse", "injected")) or 0) > 0, "injected faults on browse", timeout=30)
        time.sleep(max(0.0, SCREENSHOT_SECONDS - (time.monotonic() - started)))
    assert cell(console, "basket", "errors") == "0.0 %" and (number(cell(console, "basket", "p50")) or 0) >= 10
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert console.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
