"""The seeded catalog: a category tree from `categories.json`, products from Faker.

Speed comes from calling Faker a few thousand times per seed to fill pools of
brands, colours and sentences, then drawing every product field from those pools
(and from plain `random.Random`) rather than calling a Faker provider per field per
product. The result depends only on the seed (and the pinned Faker version).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from faker import Faker

from simulator import offload
from simulator.catalog.model import Category, Product, ean13
from simulator.store import encode_id

DATA = json.loads((Path(__file__).parent / "categories.json").read_text(encoding="utf-8"))

#: Seeded records are dated relative to this instant, not to "now", so that the same
#: seed yields the same catalog byte for byte whenever it runs.
SEED_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)

SOLD_OUT_SHARE = 0.08
COMPARE_AT_SHARE = 0.2
PRICE_ENDINGS = (Decimal("0.99"), Decimal("0.49"), Decimal("0.95"), Decimal("0.00"))

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Leaf:
    """A leaf category with what its products look like."""

    category_ids: tuple[str, ...]  # the leaf only: filters walk the tree for ancestors
    nouns: tuple[str, ...]
    price_range: tuple[int, int]
    weight_range: tuple[int, int]
    attributes: tuple[str, ...]
    tax_rate: Decimal


def slugify(name: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


def generate_categories(seed: int) -> tuple[list[Category], list[Leaf]]:
    rng = random.Random(f"{seed}:categories")
    categories: list[Category] = []
    leaves: list[Leaf] = []

    def walk(node: dict, parent: Category | None, position: int, inherited: dict) -> None:
        inherited = {**inherited, **{k: node[k] for k in ("attributes", "tax_rate") if k in node}}
        category = Category(
            id=encode_id("cat", rng.getrandbits(60)),
            name=node["name"],
            slug=slugify(node["name"]) if parent is None else f"{parent.slug}/{slugify(node['name'])}",
            parent_id=parent.id if parent else None,
            level=parent.level + 1 if parent else 1,
            position=position,
        )
        categories.append(category)
        for index, child in enumerate(node.get("children", ())):
            walk(child, category, index, inherited)
        if "nouns" in node:
            leaves.append(
                Leaf(
                    category_ids=(category.id,),
                    nouns=tuple(node["nouns"]),
                    price_range=tuple(node["price"]),
                    weight_range=tuple(node["weight"]),
                    attributes=tuple(inherited.get("attributes", ())),
                    tax_rate=Decimal(inherited["tax_rate"]),
                )
            )

    for index, top in enumerate(DATA["tree"]):
        walk(top, None, index, {})
    return categories, leaves


@dataclass(frozen=True)
class Pools:
    """What Faker contributes, drawn once per seed."""

    brands: tuple[str, ...]
    colours: tuple[str, ...]
    sentences: tuple[str, ...]


def faker_pools(seed: int) -> Pools:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    brands = sorted({fake.last_name() for _ in range(400)})[:80]
    colours = sorted({fake.safe_color_name().title() for _ in range(200)})
    sentences = tuple(fake.sentence(nb_words=12) for _ in range(600))
    return Pools(tuple(brands), tuple(colours), sentences)


def uniform_below(rng: random.Random) -> Callable[[int], int]:
    """`below(n)`: the int in [0, n) that `rng.choice` / `rng.randint` would have drawn.

    CPython's Random draws both from `getrandbits` (`Random._randbelow`); calling that
    directly skips three Python-level calls per draw, and seeding a million products
    draws some fifteen million times. A test holds it to Random's own draws.
    """
    getrandbits = rng.getrandbits

    def below(n: int) -> int:
        bits = n.bit_length()
        drawn = getrandbits(bits)
        while drawn >= n:
            drawn = getrandbits(bits)
        return drawn

    return below


LOWEST_PRICE = Decimal("0.49")


def price_in(rng: random.Random, below: Callable[[int], int], low: int, high: int, made: dict[int, Decimal]) -> Decimal:
    """Skewed towards the cheap end, ending in .99, .49, .95 or .00 like shop prices. Each
    price is made once (kept in `made`) and shared: a catalog has a few thousand distinct
    prices, and a Decimal made per product cost time and 100 bytes."""
    whole = int(low + (high - low) * rng.random() ** 2)
    ending = below(len(PRICE_ENDINGS))
    key = whole * len(PRICE_ENDINGS) + ending
    price = made.get(key)
    if price is None:
        price = made[key] = max(Decimal(whole) + PRICE_ENDINGS[ending], LOWEST_PRICE)
    return price


COMPARE_AT_FACTORS = (110, 120, 125, 130, 150)
#: Products made between two pauses for other requests (a reset seeds while serving): a few milliseconds.
PRODUCTS_PER_PAUSE = 256


def generate_products(
    seed: int,
    count: int,
    leaves: list[Leaf],
    pools: Pools | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[Product]:
    rng = random.Random(f"{seed}:products")
    below, draw = uniform_below(rng), rng.random
    pools = pools or faker_pools(seed)
    adjectives = tuple(DATA["name_adjectives"])
    values = {name: tuple(options) for name, options in DATA["attribute_values"].items()}
    values["colour"] = pools.colours
    brands, sentences = pools.brands, pools.sentences
    # An affine map modulo 10**11 with a multiplier coprime to it: unique, scattered SKUs.
    sku_offset = rng.randrange(10**11)
    epoch_seconds = SEED_EPOCH.timestamp()
    year = 365 * 24 * 3600
    step = max(count // 10, 1)
    # Records never change in place: products with the same attributes share one dict
    # (~170 bytes each otherwise), and the same prices one Decimal.
    shared_attributes: dict[tuple, dict[str, str]] = {}
    prices: dict[int, Decimal] = {}
    compare_ats: dict[tuple[Decimal, int], Decimal] = {}
    for index in offload.cooperatively(range(count), PRODUCTS_PER_PAUSE):
        leaf = leaves[below(len(leaves))]
        brand = brands[below(len(brands))]
        nouns = leaf.nouns
        noun = nouns[below(len(nouns))]
        drawn = (leaf.attributes, *[values[name][below(len(values[name]))] for name in leaf.attributes])
        attributes = shared_attributes.get(drawn)
        if attributes is None:
            attributes = shared_attributes[drawn] = dict(zip(leaf.attributes, drawn[1:]))
        material = attributes.get("material")
        name = f"{brand} {adjectives[below(len(adjectives))]} {material + ' ' if material else ''}{noun}"
        price = price_in(rng, below, *leaf.price_range, prices)
        compare_at = None
        if draw() < COMPARE_AT_SHARE:
            factor = COMPARE_AT_FACTORS[below(len(COMPARE_AT_FACTORS))]
            compare_at = compare_ats.get((price, factor))
            if compare_at is None:
                compare_at = compare_ats[price, factor] = (price * Decimal(factor) / 100).quantize(Decimal("1")) + Decimal("0.99")
        created = epoch_seconds - draw() * year
        updated = created + draw() * (epoch_seconds - created)
        product_id = encode_id("prd", rng.getrandbits(60))
        description = f"{name}. {sentences[below(len(sentences))]} {sentences[below(len(sentences))]} {sentences[below(len(sentences))]}"
        stock = 0 if draw() < SOLD_OUT_SHARE else int(1 + 250 * draw() ** 3)
        low_weight, high_weight = leaf.weight_range
        yield Product(
            id=product_id,
            sku=ean13(sku_offset + index * 7_919_000_003),
            name=name,
            description=description,
            brand=brand,
            category_ids=leaf.category_ids,
            price=price,
            compare_at_price=compare_at,
            tax_rate=leaf.tax_rate,
            stock=stock,
            weight_grams=low_weight + below(high_weight - low_weight + 1),
            attributes=attributes,
            image_count=1 + below(4),
            created_at=datetime.fromtimestamp(int(created), UTC),
            updated_at=datetime.fromtimestamp(int(updated), UTC),
            version=1 + below(6),
        )
        if progress and (index + 1) % step == 0:
            progress(index + 1, count)


def naive_faker_product(fake: Faker, leaves: list[Leaf]) -> Product:
    """The baseline `make bench` compares against: a Faker provider call per field."""
    leaf = fake.random_element(leaves)
    created = fake.date_time_between(start_date=SEED_EPOCH - timedelta(days=365), end_date=SEED_EPOCH, tzinfo=UTC)
    return Product(
        id=f"prd_{fake.unique.bothify('????????????').lower()}",
        sku=fake.ean13(),
        name=f"{fake.last_name()} {fake.word().title()} {fake.random_element(leaf.nouns)}",
        description=fake.paragraph(nb_sentences=3),
        brand=fake.last_name(),
        category_ids=leaf.category_ids,
        price=fake.pydecimal(left_digits=3, right_digits=2, positive=True),
        compare_at_price=fake.pydecimal(left_digits=3, right_digits=2, positive=True) if fake.boolean(20) else None,
        tax_rate=leaf.tax_rate,
        stock=fake.random_int(0, 250),
        weight_grams=fake.random_int(*leaf.weight_range),
        attributes={"colour": fake.safe_color_name(), "material": fake.word()},
        image_count=fake.random_int(1, 4),
        created_at=created,
        updated_at=fake.date_time_between(start_date=created, end_date=SEED_EPOCH, tzinfo=UTC),
        version=fake.random_int(1, 6),
    )
