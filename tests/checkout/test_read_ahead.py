"""What a checkout request names for a shared store to read ahead (checkout/routes.py
`read_ahead`): the caller, and the checkout its path names unless no checkout id could be
that long (a path is the caller's to make: it must not pick what Redis reads at any length)."""

import pytest

from simulator.checkout.model import CHECKOUT
from simulator.checkout.routes import read_ahead

GUEST = {"HTTP_X_BASKET_TOKEN": "bsk_token"}


@pytest.mark.parametrize("suffix", ["", "/payment-types", "/order"])
def test_the_checkout_the_path_names_is_read_ahead(suffix):
    ahead = read_ahead({"PATH_INFO": f"/api/v1/checkout/chk_abc123{suffix}", **GUEST})
    assert ahead is not None and ahead.by_id == ((CHECKOUT, "chk_abc123"),)


def test_an_id_longer_than_any_checkout_id_is_not_read_ahead_but_the_caller_is():
    ahead = read_ahead({"PATH_INFO": f"/api/v1/checkout/{'x' * 65}/payment", **GUEST})
    assert ahead is not None and ahead.by_id == () and ahead.owner  # the guest's basket still rides along
    assert read_ahead({"PATH_INFO": f"/api/v1/checkout/{'x' * 64}", **GUEST}).by_id == ((CHECKOUT, "x" * 64),)


def test_other_paths_and_callers_without_credentials_read_nothing_ahead():
    assert read_ahead({"PATH_INFO": "/api/v1/checkout/chk_abc123"}) is None
    assert read_ahead({"PATH_INFO": "/api/v1/checkouts/chk_abc123", **GUEST}) is None
    assert read_ahead({"PATH_INFO": "/api/v1/basket", **GUEST}) is None
