"""/_sim/console as HTTP: a page and its assets, no data, behind the same guards as /_sim."""

from __future__ import annotations

import re

import pytest

from simulator.console.routes import STATIC
from tests.helpers.problems import assert_problem

ADMIN = "s3cret-admin"
ASSETS = ("console.html", "console.js", "console.css")


@pytest.fixture
def shared(make_app):
    return make_app(admin_token=ADMIN).test_client()


def test_the_page_and_its_assets_load_without_the_token(shared):
    page = shared.get("/_sim/console")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.get_data() == (STATIC / "console.html").read_bytes()  # the file as it is: no data rendered in
    for name, mimetypes in (("console.js", ("text/javascript", "application/javascript")), ("console.css", ("text/css",))):
        asset = shared.get(f"/_sim/console/static/{name}")
        assert asset.status_code == 200 and asset.mimetype in mimetypes, name
    assert_problem(shared.get("/_sim/stats"), 401, "AUTHENTICATION_REQUIRED")  # the data it shows stays guarded


def test_every_asset_is_local_and_nothing_runs_inline(shared):
    html = shared.get("/_sim/console").get_data(as_text=True)
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(referenced) == ["/_sim/console/static/console.css", "/_sim/console/static/console.js", "data:,"]  # data: no favicon
    assert "<style" not in html and " style=" not in html and "onclick" not in html.lower()
    assert not re.search(r"<script>[^<]", html)  # no inline script: the CSP allows none
    script = (STATIC / "console.js").read_text()
    assert "innerHTML" not in script and "eval(" not in script  # data is written as text only
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", script + (STATIC / "console.css").read_text())


def test_the_page_cannot_be_framed_or_reach_elsewhere(shared):
    for path in ("/_sim/console", "/_sim/console/static/console.js"):
        headers = shared.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


def test_the_guards_apply_to_the_console(shared):
    assert_problem(shared.get("/_sim/console", headers={"Host": "evil.example"}), 421, "MISDIRECTED_REQUEST")
    assert_problem(shared.get("/_sim/console", headers={"Sec-Fetch-Site": "cross-site"}), 403, "CROSS_SITE_FORBIDDEN")


def test_an_unknown_asset_is_a_problem_404(shared):
    assert_problem(shared.get("/_sim/console/static/nothing.js"), 404)
    assert_problem(shared.get("/_sim/console/static/../routes.py"), 404)


def test_the_console_is_not_an_api_operation(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert not [path for path in paths if path.startswith("/_sim/console")]
    assert {"/_sim/orders", "/_sim/catalog/changes", "/_sim/webhooks/deliveries"} <= set(paths)


def test_the_assets_are_package_data():
    assert sorted(path.name for path in STATIC.iterdir()) == sorted(ASSETS)
