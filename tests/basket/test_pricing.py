"""The promotion engine and basket pricing, with totals computed by hand."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.basket.pricing import LineInput, PricingContext, price_basket
from simulator.promotions.rules import Promotion, PromotionUsage
from simulator.catalog.model import Product

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def product(pid, price, *, brand="Acme", category="cat_a", tax="0.19"):
    return Product(
        id=pid, sku="2000000000000", name=pid, description="", brand=brand, category_ids=(category,),
        price=D(price), compare_at_price=None, tax_rate=D(tax), stock=100, weight_grams=100,
        attributes={}, image_count=1, created_at=NOW, updated_at=NOW,
    )


def lines(*specs):
    """specs: (product, quantity) → line inputs itm_0, itm_1, …"""
    return [LineInput(f"itm_{i}", p, q) for i, (p, q) in enumerate(specs)]


def promo(pid, kind, **fields):
    return Promotion(id=pid, name=fields.pop("name", pid), kind=kind, **fields)


def ctx(**fields):
    return PricingContext(now=NOW, **fields)


def line_discounts(priced):
    return [line.discount for line in priced.lines]


# -- each kind ---------------------------------------------------------------------
def test_no_promotions():
    priced = price_basket(lines((product("p1", "10.00"), 2), (product("p2", "5.55"), 1)), [], ctx())
    assert (priced.subtotal, priced.discount, priced.total) == (D("25.55"), 0, D("25.55"))


def test_basket_percent_allocated_in_proportion_with_remainder_to_largest_line():
    # 10% of 33.33 = 3.333 → 3.33. Shares: 3.33 × 11.11/33.33 = 1.11 each (three lines).
    basket = lines((product("p1", "11.11"), 1), (product("p2", "11.11"), 1), (product("p3", "11.11"), 1))
    priced = price_basket(basket, [promo("prm_1", "basket_percent", percent=D(10))], ctx())
    assert priced.discount == D("3.33") and line_discounts(priced) == [D("1.11")] * 3
    # 10% of 10.00 + 0.05: 1.005 → 1.01 (half-up). Shares: 1.01×10/10.05 = 1.004 → 1.00, 0.005 → 0.00; remainder 0.01 → largest.
    priced = price_basket(lines((product("p1", "10.00"), 1), (product("p2", "0.05"), 1)), [promo("prm_1", "basket_percent", percent=D(10))], ctx())
    assert priced.discount == D("1.01") and line_discounts(priced) == [D("1.01"), D("0.00")]


def test_basket_amount_never_exceeds_the_basket():
    priced = price_basket(lines((product("p1", "3.00"), 1)), [promo("prm_1", "basket_amount", amount=D("5.00"))], ctx())
    assert priced.discount == D("3.00") and priced.total == 0


def test_line_percent_on_matching_category_only():
    basket = lines((product("p1", "19.99", category="cat_shoes"), 3), (product("p2", "10.00", category="cat_hats"), 1))
    priced = price_basket(basket, [promo("prm_1", "line_percent", percent=D(15), category_ids=("cat_shoes",))], ctx())
    # 59.97 × 15% = 8.9955 → 9.00 (one rounding per line)
    assert line_discounts(priced) == [D("9.00"), 0] and priced.total == D("60.97")


def test_line_percent_matches_sub_categories_through_the_context():
    basket = lines((product("p1", "20.00", category="cat_leaf"), 1))
    rule = promo("prm_1", "line_percent", percent=D(50), category_ids=("cat_top",))
    assert price_basket(basket, [rule], ctx()).discount == 0
    with_tree = ctx(categories_of=lambda p: frozenset(p.category_ids) | {"cat_top"})
    assert price_basket(basket, [rule], with_tree).discount == D("10.00")


def test_line_amount_per_unit_for_a_brand_capped_at_the_unit_price():
    basket = lines((product("p1", "4.00", brand="Nordwind"), 2), (product("p2", "30.00", brand="Other"), 1), (product("p3", "8.00", brand="Nordwind"), 1))
    priced = price_basket(basket, [promo("prm_1", "line_amount", amount=D("5.00"), brands=("Nordwind",))], ctx())
    assert line_discounts(priced) == [D("8.00"), 0, D("5.00")]


def test_buy_two_get_one_free_gives_the_cheapest_units():
    basket = lines((product("p1", "10.00"), 2), (product("p2", "4.00"), 2), (product("p3", "7.00"), 1))
    # 5 units → one group of 3 → 1 free unit: the cheapest (4.00)
    priced = price_basket(basket, [promo("prm_1", "buy_x_get_y", buy_quantity=2, get_quantity=1)], ctx())
    assert line_discounts(priced) == [0, D("4.00"), 0]
    basket = lines((product("p1", "10.00"), 4), (product("p2", "4.00"), 2))
    # 6 units → two groups → the two cheapest units free
    assert line_discounts(price_basket(basket, [promo("prm_1", "buy_x_get_y", buy_quantity=2, get_quantity=1)], ctx())) == [0, D("8.00")]


def test_buy_one_get_one_half_price():
    basket = lines((product("p1", "9.99"), 2))
    priced = price_basket(basket, [promo("prm_1", "buy_x_get_y", buy_quantity=1, get_quantity=1, percent=D(50))], ctx())
    assert priced.discount == D("5.00")  # 4.995 → 5.00 half-up


def test_tiered_spend_gives_the_best_tier_only():
    rule = promo("prm_1", "tiered_spend", tiers=((D(50), D(5)), (D(100), D(15))))
    assert price_basket(lines((product("p1", "49.99"), 1)), [rule], ctx()).discount == 0
    assert price_basket(lines((product("p1", "50.00"), 1)), [rule], ctx()).discount == D(5)
    assert price_basket(lines((product("p1", "60.00"), 2)), [rule], ctx()).discount == D(15)


def test_bundle_price_for_complete_sets_only():
    a, b, c = product("pa", "20.00"), product("pb", "10.00"), product("pc", "3.00")
    rule = promo("prm_1", "bundle_price", product_ids=("pa", "pb"), bundle_price=D("24.00"))
    priced = price_basket(lines((a, 2), (b, 1), (c, 1)), [rule], ctx())
    # one complete set: 30.00 → 24.00 saves 6.00, spread 2:1 by unit price
    assert line_discounts(priced) == [D("4.00"), D("2.00"), 0]
    assert price_basket(lines((a, 1), (c, 1)), [rule], ctx()).discount == 0


def test_free_shipping_above_a_threshold():
    rule = promo("prm_1", "free_shipping", min_subtotal=D("50.00"))
    assert price_basket(lines((product("p1", "49.00"), 1)), [rule], ctx()).free_shipping is False
    priced = price_basket(lines((product("p1", "50.00"), 1)), [rule], ctx())
    assert priced.free_shipping is True and priced.discount == 0 and [p.promotion.id for p in priced.promotions] == ["prm_1"]


# -- stacking and exclusivity ---------------------------------------------------------
def test_line_rules_run_before_basket_rules_whatever_the_priority():
    basket = lines((product("p1", "100.00"), 1))
    rules = [promo("prm_b", "basket_percent", percent=D(10), priority=10), promo("prm_l", "line_amount", amount=D("20.00"), priority=1)]
    priced = price_basket(basket, rules, ctx())
    # line first: 100 − 20 = 80; then 10% of 80 = 8 → total 72
    assert priced.total == D("72.00")
    assert [(p.promotion.id, p.amount) for p in priced.promotions] == [("prm_l", D("20.00")), ("prm_b", D("8.00"))]


def test_an_exclusive_rule_stops_lower_priorities_but_not_equal_or_higher():
    basket = lines((product("p1", "100.00"), 1))
    rules = [
        promo("prm_hi", "basket_amount", amount=D("1.00"), priority=30),
        promo("prm_ex", "basket_percent", percent=D(20), priority=20, exclusive=True),
        promo("prm_eq", "basket_amount", amount=D("2.00"), priority=20),
        promo("prm_lo", "basket_amount", amount=D("50.00"), priority=10),
    ]
    priced = price_basket(basket, rules, ctx())
    assert {p.promotion.id for p in priced.promotions} == {"prm_hi", "prm_ex", "prm_eq"}


def test_an_exclusive_rule_that_gives_nothing_stops_nothing():
    basket = lines((product("p1", "100.00", category="cat_a"), 1))
    rules = [
        promo("prm_ex", "line_percent", percent=D(50), priority=20, exclusive=True, product_ids=("p_other",)),
        promo("prm_lo", "basket_amount", amount=D("5.00"), priority=10),
    ]
    assert price_basket(basket, rules, ctx()).discount == D("5.00")


# -- conditions ---------------------------------------------------------------------------
def test_validity_window_on_the_clock():
    rule = promo("prm_1", "basket_amount", amount=D(5), starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(days=1))
    basket = lines((product("p1", "20.00"), 1))
    assert price_basket(basket, [rule], ctx()).discount == 0
    assert price_basket(basket, [rule], PricingContext(now=NOW + timedelta(hours=2))).discount == 5
    assert price_basket(basket, [rule], PricingContext(now=NOW + timedelta(days=1))).discount == 0


def test_customer_only_first_order_and_usage_limits():
    basket = lines((product("p1", "20.00"), 1))
    member = promo("prm_m", "basket_amount", amount=D(1), customer_only=True)
    first = promo("prm_f", "basket_amount", amount=D(2), first_order_only=True)
    limited = promo("prm_u", "basket_amount", amount=D(4), usage_limit=10, per_customer_limit=1)
    rules = [member, first, limited]
    assert price_basket(basket, rules, ctx()).discount == 4  # a guest: only the limited one
    assert price_basket(basket, rules, ctx(customer_id="cus_1", first_order=True)).discount == 7
    used = {"prm_u": PromotionUsage("prm_u", total=3, by_customer=(("cus_1", 1),))}
    assert price_basket(basket, rules, ctx(customer_id="cus_1", first_order=False, usage=used)).discount == 1
    assert price_basket(basket, rules, ctx(customer_id="cus_2", first_order=False, usage=used)).discount == 5
    exhausted = {"prm_u": PromotionUsage("prm_u", total=10)}
    assert price_basket(basket, rules, ctx(customer_id="cus_2", first_order=False, usage=exhausted)).discount == 1


def test_min_quantity_counts_matching_units():
    rule = promo("prm_1", "line_percent", percent=D(10), min_quantity=3, brands=("Acme",))
    assert price_basket(lines((product("p1", "10.00"), 2), (product("p2", "10.00", brand="X"), 5)), [rule], ctx()).discount == 0
    assert price_basket(lines((product("p1", "10.00"), 3)), [rule], ctx()).discount == D("3.00")


# -- coupons --------------------------------------------------------------------------
def test_coupon_states():
    basket = lines((product("p1", "30.00"), 1))
    rules = [
        promo("prm_ok", "basket_amount", amount=D(5), coupon_code="SAVE5"),
        promo("prm_min", "basket_amount", amount=D(10), coupon_code="BIG10", min_subtotal=D(100)),
        promo("prm_old", "basket_amount", amount=D(3), coupon_code="OLD", ends_at=NOW - timedelta(days=1)),
    ]
    priced = price_basket(basket, rules, ctx(coupons=("SAVE5", "BIG10", "OLD", "NOPE")))
    states = {c.code: (c.state, c.reason) for c in priced.coupons}
    assert states == {
        "SAVE5": ("applied", None),
        "BIG10": ("not_applicable", "spend at least 100.00"),
        "OLD": ("expired", "this coupon has expired"),
        "NOPE": ("unknown", "no such coupon"),
    }
    assert priced.discount == 5
    assert price_basket(basket, rules, ctx()).discount == 0  # coupon rules need their code


def test_a_coupon_blocked_by_an_exclusive_rule_says_why():
    basket = lines((product("p1", "30.00"), 1))
    rules = [promo("prm_ex", "basket_percent", percent=D(10), priority=50, exclusive=True, name="Winter sale"),
             promo("prm_c", "basket_amount", amount=D(5), coupon_code="SAVE5")]
    coupon = price_basket(basket, rules, ctx(coupons=("SAVE5",))).coupons[0]
    assert coupon.state == "not_applicable" and "Winter sale" in coupon.reason


# -- tax ---------------------------------------------------------------------------------
def test_tax_contained_per_rate_after_discounts():
    basket = lines((product("p1", "119.00", tax="0.19"), 1), (product("p2", "10.70", tax="0.07"), 1))
    priced = price_basket(basket, [], ctx())
    assert [(t.rate, t.gross, t.tax) for t in priced.taxes] == [(D("0.07"), D("10.70"), D("0.70")), (D("0.19"), D("119.00"), D("19.00"))]
    discounted = price_basket(basket, [promo("prm_1", "line_percent", percent=D(50), product_ids=("p1",))], ctx())
    # 59.50 gross at 19 %: 59.50 × 19/119 = 9.50
    assert [t.tax for t in discounted.taxes] == [D("0.70"), D("9.50")] and discounted.tax == D("10.20")


# -- properties -----------------------------------------------------------------------------
money = st.decimals(min_value=D("0.01"), max_value=D("500"), places=2)
product_specs = st.lists(st.tuples(money, st.integers(1, 5), st.sampled_from(["cat_a", "cat_b"]), st.sampled_from(["0.19", "0.07"])), min_size=1, max_size=8)
rule_specs = st.lists(
    st.one_of(
        st.builds(lambda p, pr, ex: ("basket_percent", {"percent": D(p), "priority": pr, "exclusive": ex}), st.integers(1, 100), st.integers(0, 5), st.booleans()),
        st.builds(lambda a, pr: ("basket_amount", {"amount": a, "priority": pr}), money, st.integers(0, 5)),
        st.builds(lambda p, c: ("line_percent", {"percent": D(p), "category_ids": (c,)}), st.integers(1, 100), st.sampled_from(["cat_a", "cat_b"])),
        st.builds(lambda a: ("line_amount", {"amount": a}), money),
        st.builds(lambda x, y, p: ("buy_x_get_y", {"buy_quantity": x, "get_quantity": y, "percent": D(p)}), st.integers(1, 3), st.integers(1, 2), st.integers(1, 100)),
        st.builds(lambda t1, a1, a2: ("tiered_spend", {"tiers": ((t1, a1), (t1 * 2, a2))}), money, money, money),
        st.builds(lambda price: ("bundle_price", {"product_ids": ("p0", "p1"), "bundle_price": price}), money),
    ),
    max_size=6,
)


def build(product_spec, rule_spec):
    basket = lines(*[(product(f"p{i}", price, category=cat, tax=tax), qty) for i, (price, qty, cat, tax) in enumerate(product_spec)])
    rules = [promo(f"prm_{i}", kind, **fields) for i, (kind, fields) in enumerate(rule_spec)]
    return basket, rules


@settings(max_examples=400, deadline=None)
@given(product_spec=product_specs, rule_spec=rule_specs)
def test_totals_always_add_up_and_nothing_is_negative(product_spec, rule_spec):
    basket, rules = build(product_spec, rule_spec)
    priced = price_basket(basket, rules, ctx())
    assert priced.total == priced.subtotal - priced.discount
    assert priced.discount == sum(line.discount for line in priced.lines)
    assert priced.discount == sum(p.amount for p in priced.promotions)
    assert all(0 <= line.discount <= line.subtotal and line.total >= 0 for line in priced.lines)
    assert all(sum(line.discounts.values()) == line.discount for line in priced.lines)
    assert sum(t.gross for t in priced.taxes) == priced.total
    assert all(0 <= t.tax <= t.gross for t in priced.taxes)
    assert all(amount.as_tuple().exponent >= -2 for line in priced.lines for amount in (line.discount, line.total))


@settings(max_examples=200, deadline=None)
@given(product_spec=product_specs, rule_spec=rule_specs, data=st.data())
def test_the_order_lines_were_added_in_does_not_change_the_price(product_spec, rule_spec, data):
    basket, rules = build(product_spec, rule_spec)
    shuffled = data.draw(st.permutations(basket))
    a, b = price_basket(basket, rules, ctx()), price_basket(list(shuffled), rules, ctx())
    assert (a.subtotal, a.discount, a.tax) == (b.subtotal, b.discount, b.tax)
    assert {l.line_id: l.discount for l in a.lines} == {l.line_id: l.discount for l in b.lines}
