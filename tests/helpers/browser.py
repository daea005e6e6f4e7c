"""Headless Chromium for tests that need a real browser: Debian's `chromium` driven by
Selenium through Debian's `chromium-driver` (no browser download), and a static page
server on its own loopback origin.

Where Chromium or its driver is missing, `chromium_or_skip()` skips with the reason, and
`make test` installs them when it can (root with apt). In CI (`CI=true`) a missing
browser fails the run instead: there the browser tests must run.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver",)
PAGES = Path(__file__).resolve().parent.parent / "browser_pages"


def _first(paths: tuple[str, ...], name: str) -> str | None:
    return next((path for path in paths if os.path.exists(path)), None) or shutil.which(name)


def chromium_or_skip() -> tuple[str, str]:
    """The Chromium and ChromeDriver executables; skip (or fail in CI) when missing."""
    browser, driver = _first(CHROMIUM, "chromium"), _first(CHROMEDRIVER, "chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        browser = None
    if browser and driver:
        return browser, driver
    reason = "headless Chromium tests need Debian's chromium and chromium-driver and the selenium package (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(reason + ": CI must run them")
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:  # noqa: F821
    """A headless Chromium session, closed afterwards. Flags as the machine's docs advise:
    no sandbox as root, and no background network (this machine has none)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_or_skip()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    with tempfile.TemporaryDirectory(prefix="alegra-sim-chromium-") as profile:
        for flag in (
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1280,800", f"--user-data-dir={profile}",
        ):
            options.add_argument(flag)
        session = webdriver.Chrome(service=Service(driver), options=options)
        session.set_script_timeout(30)
        try:
            yield session
        finally:
            session.quit()


@contextmanager
def page_server(host: str = "127.0.0.1", directory: Path = PAGES) -> Iterator[str]:
    """Serve `directory` on a free port of `host`; yields the origin (`http://host:port`)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass
