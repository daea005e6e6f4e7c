"""Links in mails open pages that exist: the storefront's (SIM_STOREFRONT_URL), or the
simulator's own small account pages, whose reset form really sets the password."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlsplit

import pytest

PASSWORD, NEW_PASSWORD = "a fine long secret", "another fine secret"


def _mails(client, email):
    return client.get("/_sim/outbox", query_string={"recipient": email}).get_json()


def _account_mails(client, email="ada@example.org"):
    """Register, ask for a reset link, change the password: every account mail with a link."""
    token = client.post("/api/v1/customers", json={"email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "L"}).get_json()["token"]
    client.post("/api/v1/customers/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                headers={"Authorization": f"Bearer {token}"})
    client.post("/api/v1/auth/password/forgot", json={"email": email})
    return _mails(client, email)


def test_every_link_in_the_mails_opens_a_page_of_the_simulator(client):
    """Found in review: the reset link (/account/reset-password?token=…) answered 404."""
    links = [link for mail in _account_mails(client) for link in mail["links"]]
    assert {urlsplit(link).path for link in links} == {"/account", "/account/forgot-password", "/account/reset-password"}
    for link in links:
        parts = urlsplit(link)
        assert parts.netloc == "127.0.0.1:8000"  # the simulator's own base (SIM_PUBLIC_URL or HOST:PORT)
        response = client.get(f"{parts.path}?{parts.query}")
        assert response.status_code == 200 and response.mimetype == "text/html", link


def test_the_storefront_url_sets_the_base_of_mail_links(make_app):
    client = make_app(storefront_url="https://shop.example.test/").test_client()
    links = [link for mail in _account_mails(client) for link in mail["links"]]
    assert links and all(link.startswith("https://shop.example.test/account") for link in links)


@pytest.fixture(scope="module")
def server_url():
    from tests.helpers.server import running_server

    with running_server(SIM_PRODUCTS="50", SIM_CUSTOMERS="2", SIM_PASSWORD_HASH_PROFILE="fast") as url:
        yield url


def _call(url: str, body: dict) -> int:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_reset_page_sets_the_new_password_in_a_browser(server_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.helpers.browser import chromium

    email = "reset.me@example.org"
    assert _call(f"{server_url}/api/v1/customers", {"email": email, "password": PASSWORD, "first_name": "R", "last_name": "M"}) == 201
    assert _call(f"{server_url}/api/v1/auth/password/forgot", {"email": email}) == 202
    with urllib.request.urlopen(f"{server_url}/_sim/outbox?recipient={email}") as response:
        link = json.load(response)[0]["links"][0]
    with chromium() as browser:
        browser.get(server_url + urlsplit(link).path + "?" + urlsplit(link).query)
        browser.find_element(By.NAME, "password").send_keys(NEW_PASSWORD)
        browser.find_element(By.TAG_NAME, "button").click()
        WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "outcome").text)
        assert "password is set" in browser.find_element(By.ID, "outcome").text
    assert _call(f"{server_url}/api/v1/auth/login", {"email": email, "password": NEW_PASSWORD}) == 200
