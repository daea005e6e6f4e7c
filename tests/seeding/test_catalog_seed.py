import hashlib
import json
import random
from collections import Counter

import pytest

from simulator.catalog.model import CATEGORY, PRODUCT
from simulator.catalog.serialize import category_to_dict, product_to_dict
from simulator.seed import seed_catalog
from simulator.seed.catalog import generate_categories, generate_products, uniform_below
from simulator.store import InMemoryStore


def catalog_bytes(seed: int, products: int) -> bytes:
    store = InMemoryStore(seed)
    seed_catalog(store, products)
    payload = {
        "categories": [category_to_dict(c) for c in store.values(CATEGORY)],
        "products": [product_to_dict(p, "EUR", "http://x") for p in store.values(PRODUCT)],
    }
    return json.dumps(payload, sort_keys=True).encode()


def test_same_seed_same_catalog_byte_for_byte():
    assert catalog_bytes(42, 300) == catalog_bytes(42, 300)


def test_the_catalog_of_a_seed_stays_what_it_was():
    """Speeding the generator up must not change a byte of what a seed gives (the digest
    changes only with a deliberate change of the generator, or of the pinned Faker)."""
    assert hashlib.sha256(catalog_bytes(42, 300)).hexdigest() == "509806fbd284a990b8b15443adb8eb83ad3149152abcbb192250d7aa3d0d5ac6"


def test_uniform_below_draws_what_random_draws():
    ours, theirs = random.Random(5), random.Random(5)
    below = uniform_below(ours)
    options = tuple(range(37))
    for _ in range(500):
        assert options[below(len(options))] == theirs.choice(options)
        assert 3 + below(250 - 3 + 1) == theirs.randint(3, 250)
        assert below(10**12) == theirs.randrange(10**12)
        assert below(1) == theirs.randrange(1)


def test_other_seed_other_catalog():
    assert catalog_bytes(42, 50) != catalog_bytes(43, 50)


def test_a_larger_catalog_starts_with_the_smaller_one():
    """Growing SIM_PRODUCTS keeps the products a smaller run had (handy for demos)."""
    _, leaves = generate_categories(42)
    small = list(generate_products(42, 20, leaves))
    large = list(generate_products(42, 40, leaves))
    assert large[:20] == small


def test_category_tree_has_three_levels_and_tens_of_categories():
    categories, leaves = generate_categories(42)
    levels = Counter(c.level for c in categories)
    assert set(levels) == {1, 2, 3}
    assert 20 <= len(categories) <= 99
    ids = {c.id for c in categories}
    assert all(c.parent_id in ids for c in categories if c.level > 1)
    assert len(leaves) == levels[3]


def ean13_valid(code: str) -> bool:
    digits = [int(d) for d in code]
    return len(code) == 13 and (sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) + digits[12]) % 10 == 0


@pytest.fixture(scope="module")
def products():
    _, leaves = generate_categories(7)
    return list(generate_products(7, 3000, leaves))


def test_products_look_like_a_shop(products):
    assert len({p.id for p in products}) == len(products)
    assert len({p.sku for p in products}) == len(products)
    assert all(ean13_valid(p.sku) for p in products)
    sold_out = sum(1 for p in products if p.stock == 0)
    assert 0.03 * len(products) < sold_out < 0.15 * len(products)
    with_compare = [p for p in products if p.compare_at_price is not None]
    assert 0.1 * len(products) < len(with_compare) < 0.3 * len(products)
    assert all(p.compare_at_price > p.price > 0 for p in with_compare)
    assert all(p.price.as_tuple().exponent == -2 for p in products)
    assert all(p.created_at <= p.updated_at for p in products)
    assert {str(p.tax_rate) for p in products} == {"0.19", "0.07"}
    assert all(1 <= p.image_count <= 4 and p.weight_grams > 0 for p in products)


def test_attributes_fit_the_category(products):
    categories, _ = generate_categories(7)
    by_id = {c.id: c for c in categories}

    def top(category_id):
        category = by_id[category_id]
        while category.parent_id:
            category = by_id[category.parent_id]
        return category.name

    for product in products:
        root = top(product.category_ids[0])
        if root == "Books & Media":
            assert product.attributes == {}
        if root == "Clothing":
            assert set(product.attributes) == {"colour", "size", "material"}
            assert product.attributes["material"] in product.name
        if root == "Beauty":
            assert set(product.attributes) == {"volume"}
