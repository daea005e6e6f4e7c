"""Money's wire form: the text of whole cents is the text of the Decimal amount."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from simulator.money import money, money_of_cents


@given(st.integers(-10**12, 10**12) | st.integers(-300, 300))
def test_money_of_cents_says_what_money_says(amount_cents):
    assert money_of_cents(amount_cents, "EUR") == money(Decimal(amount_cents) / 100, "EUR")
