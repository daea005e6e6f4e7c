"""The engine prices every basket exactly as the engine before it did (tests/helpers/reference_pricing.py):
random baskets against random rules of every kind and condition, compared field by field."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.basket.pricing import LineInput, PricingContext, price_basket
from simulator.catalog.model import Product
from simulator.promotions.rules import Promotion, PromotionUsage
from tests.helpers import reference_pricing

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
#: cat_a1 is below cat_a: a rule on cat_a matches its products too
ANCESTRY = {"cat_a": frozenset({"cat_a"}), "cat_a1": frozenset({"cat_a1", "cat_a"}), "cat_b": frozenset({"cat_b"})}
CATEGORIES = sorted(ANCESTRY)
PRODUCT_IDS = [f"p{i}" for i in range(6)]


def categories_of(product: Product) -> frozenset[str]:
    return frozenset().union(*(ANCESTRY[c] for c in product.category_ids))


money = st.decimals(min_value=D("0.01"), max_value=D(300), places=2)
products = st.builds(
    lambda pid, price, category, brand, tax: Product(
        id=pid, sku="2000000000000", name=pid, description="", brand=brand, category_ids=(category,), price=price,
        compare_at_price=None, tax_rate=D(tax), stock=100, weight_grams=100, attributes={}, image_count=1, created_at=NOW, updated_at=NOW,
    ),
    st.sampled_from(PRODUCT_IDS), money, st.sampled_from(CATEGORIES), st.sampled_from(["Acme", "Nordwind"]), st.sampled_from(["0.19", "0.07", "0"]),
)
baskets = st.lists(st.tuples(products, st.integers(1, 7)), min_size=0, max_size=9)
effects = st.one_of(
    st.builds(lambda p: ("basket_percent", {"percent": p}), st.decimals(min_value=D("0.5"), max_value=D(100), places=1)),
    st.builds(lambda a: ("basket_amount", {"amount": a}), money),
    st.builds(lambda p: ("line_percent", {"percent": D(p)}), st.integers(1, 100)),
    st.builds(lambda a: ("line_amount", {"amount": a}), money),
    st.builds(lambda x, y, p: ("buy_x_get_y", {"buy_quantity": x, "get_quantity": y, "percent": p}),
              st.integers(1, 3), st.integers(1, 2), st.none() | st.builds(D, st.integers(1, 100))),
    st.builds(lambda t1, a1, a2: ("tiered_spend", {"tiers": ((t1, a1), (t1 * 2, a2))}), money, money, money),
    st.builds(lambda ids, price: ("bundle_price", {"product_ids": tuple(ids), "bundle_price": price}),
              st.lists(st.sampled_from(PRODUCT_IDS), min_size=2, max_size=3, unique=True), money),
    st.just(("free_shipping", {})),
)
moments = st.none() | st.sampled_from([NOW - timedelta(days=1), NOW, NOW + timedelta(hours=1)])
conditions = st.fixed_dictionaries({}, optional={
    "category_ids": st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True).map(tuple),
    "brands": st.lists(st.sampled_from(["Acme", "Nordwind", "Other"]), min_size=1, max_size=2, unique=True).map(tuple),
    "product_ids": st.lists(st.sampled_from(PRODUCT_IDS), min_size=1, max_size=3, unique=True).map(tuple),
    "min_subtotal": money,
    "min_quantity": st.integers(0, 6),
    "customer_only": st.booleans(),
    "first_order_only": st.booleans(),
    "usage_limit": st.integers(0, 3),
    "per_customer_limit": st.integers(0, 2),
    "starts_at": moments,
    "ends_at": moments,
})
rules = st.lists(
    st.tuples(effects, conditions, st.integers(0, 3), st.sampled_from([False, False, True]), st.booleans()),
    max_size=7,
)
usages = st.dictionaries(st.sampled_from([f"prm_{i}" for i in range(7)]),
                         st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=4)


def build_rules(specs) -> tuple[Promotion, ...]:
    made = []
    for i, ((kind, effect), conditions, priority, exclusive, coupon) in enumerate(specs):
        fields = {**conditions, **effect}  # a bundle's products are its effect's
        made.append(Promotion(id=f"prm_{i}", name=f"rule {i}", kind=kind, priority=priority, position=i, exclusive=exclusive,
                              coupon_code=f"C{i}" if coupon else None, **fields))
    return tuple(made)


def summary(priced) -> tuple:
    """Everything a priced basket says, as plain values (the two engines' enums and classes differ)."""
    return (
        [(ln.line_id, ln.product.id, ln.quantity, ln.unit_cents, ln.subtotal_cents, ln.discount_cents, list(ln.discounts_cents.items()),
          str(ln.total), str(ln.discount)) for ln in priced.lines],
        [(p.promotion.id, str(p.amount), p.line_ids) for p in priced.promotions],
        [(c.code, str(c.state), c.reason, c.promotion_id) for c in priced.coupons],
        str(priced.subtotal), str(priced.discount), str(priced.total), str(priced.tax), priced.free_shipping,
        [(str(t.rate), str(t.gross), str(t.tax)) for t in priced.taxes],
    )


@settings(max_examples=600, deadline=None)
@given(basket=baskets, rule_specs=rules, customer=st.sampled_from([None, "cus_1", "cus_2"]), first_order=st.booleans(),
       usage=usages, extra_coupons=st.lists(st.sampled_from(["NOPE", "C0", "C3"]), max_size=2, unique=True), data=st.data())
def test_the_engine_prices_as_the_reference_does(basket, rule_specs, customer, first_order, usage, extra_coupons, data):
    rule_set = build_rules(rule_specs)
    codes = [rule.coupon_code for rule in rule_set if rule.coupon_code]
    on_basket = data.draw(st.lists(st.sampled_from(codes), unique=True)) if codes else []
    coupons = tuple(dict.fromkeys([*on_basket, *extra_coupons]))
    inputs = [LineInput(f"itm_{i}", product, quantity) for i, (product, quantity) in enumerate(basket)]
    used = {rule_id: PromotionUsage(rule_id, total, (("cus_1", by_one),)) for rule_id, (total, by_one) in usage.items()}
    ctx = PricingContext(now=NOW, coupons=coupons, customer_id=customer, first_order=first_order, usage=used, categories_of=categories_of)
    expected = summary(reference_pricing.price_basket(inputs, list(rule_set), ctx))
    assert summary(price_basket(inputs, rule_set, ctx)) == expected
    assert summary(price_basket(inputs, rule_set, ctx)) == expected  # again: what the rule set kept serves as well
    assert summary(price_basket(inputs, list(rule_set), ctx)) == expected  # a rule set it keeps nothing of


def test_the_tax_in_whole_cents_is_tax_lines_tax():
    """Exact halves included (a 20 % rate splits 0.03 into 0.025 tax): every gross up to 300.00."""
    from simulator.basket.pricing import _tax_cents, tax_line

    for rate in map(D, ("0.19", "0.07", "0.055", "0.2", "0.25", "0")):
        assert all(_tax_cents(gross, rate) == tax_line(rate, D(gross) / 100).tax * 100 for gross in range(30_001))
