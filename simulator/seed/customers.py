"""Seeded customers: realistic names and addresses per country, and accounts a load test can use.

Seeded customer N (1 ≤ N ≤ count) logs in as `customer{N}@example.test`, and the demo
account as `demo@example.com`, all with `SEEDED_PASSWORD`. As in the catalog
generator, Faker is called a few hundred times per locale to fill pools (names,
streets, postal code + city pairs, companies), and every customer is drawn from the
pools with `random.Random`: 10,000 customers take a fraction of a second.

The password is hashed once per seed (Argon2id at the configured cost, with a salt
derived from the seed, so one seed gives the same store byte for byte) and that one
hash is shared by every seeded account. Passwords a customer sets later get a hash
and a random salt of their own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from faker import Faker

from simulator import offload
from simulator.customers import passwords
from simulator.customers.countries import COUNTRIES, normalize_postal_code
from simulator.customers.model import ADDRESS, CUSTOMER, EMAIL_KEY, Address, Customer, EmailKey, normalize_email
from simulator.store import Store, encode_id

from .catalog import SEED_EPOCH

SEEDED_PASSWORD = "alegra-sim-2026"
DEMO_EMAIL = "demo@example.com"
SEEDED_EMAIL = "customer{n}@example.test"

#: (country, Faker locale, weight): where the shop's customers live.
LOCALES = (
    ("DE", "de_DE", 30), ("FR", "fr_FR", 10), ("AT", "de_AT", 8), ("NL", "nl_NL", 8), ("GB", "en_GB", 8),
    ("ES", "es_ES", 6), ("IT", "it_IT", 6), ("CH", "de_CH", 5), ("BE", "nl_BE", 4), ("PL", "pl_PL", 3),
    ("IE", "en_IE", 2), ("DK", "da_DK", 2), ("SE", "sv_SE", 2), ("PT", "pt_PT", 2), ("CZ", "cs_CZ", 1),
    ("FI", "fi_FI", 1), ("NO", "no_NO", 1),
)
#: Countries that write the house number before the street.
NUMBER_FIRST = {"FR", "GB", "IE"}
ADDRESS_COUNTS = (1, 1, 1, 2, 2, 3)  # 1 to 3 addresses, most customers one
PHONE_SHARE = 0.6
CONSENT_SHARE = 0.35
#: Customers made between two pauses for other requests (a reset seeds while serving).
CUSTOMERS_PER_PAUSE = 128

ProgressCallback = Callable[[int, int], None]


def seeded_email(n: int) -> str:
    """The login of seeded customer n (1-based)."""
    return SEEDED_EMAIL.format(n=n)


@dataclass(frozen=True)
class LocalePool:
    country: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    places: tuple[tuple[str, str], ...]  # (postal code, city), every code valid for the country
    companies: tuple[str, ...]


def locale_pools(seed: int, size: int = 60) -> tuple[LocalePool, ...]:
    """What Faker contributes, per locale, drawn once per seed."""
    pools = []
    for country, locale, _weight in offload.cooperatively(LOCALES, 1):  # a Faker of a locale takes a while to make
        fake = Faker(locale)
        fake.seed_instance(seed)
        places = []
        for _ in range(size * 3):
            postal = normalize_postal_code(country, fake.postcode())
            if postal is not None:
                places.append((postal, fake.city()))
            if len(places) == size:
                break
        if not places:  # a locale whose Faker codes never match: the post's own example
            places.append((normalize_postal_code(country, COUNTRIES[country].postal_example), fake.city()))
        pools.append(
            LocalePool(
                country=country,
                first_names=tuple(sorted({fake.first_name() for _ in range(size)})),
                last_names=tuple(sorted({fake.last_name() for _ in range(size)})),
                streets=tuple(sorted({fake.street_name().replace("\n", " ") for _ in range(size)})),
                places=tuple(places),
                companies=tuple(sorted({fake.company().replace("\n", " ")[:100] for _ in range(size // 3)})),
            )
        )
    return tuple(pools)


def _phone(rng: random.Random, country: str) -> str:
    return f"+{COUNTRIES[country].calling_code} {rng.randint(100, 999)} {rng.randint(1_000_000, 9_999_999)}"


def _street_line(rng: random.Random, pool: LocalePool) -> str:
    number = str(rng.randint(1, 180)) + (rng.choice("abc") if rng.random() < 0.05 else "")
    street = rng.choice(pool.streets)
    return f"{number} {street}" if pool.country in NUMBER_FIRST else f"{street} {number}"


def _address(
    rng: random.Random, pool: LocalePool, owner: Customer, created: float, shipping: bool, billing: bool, other_person: bool
) -> Address:
    postal, city = rng.choice(pool.places)
    at = datetime.fromtimestamp(int(created), UTC)
    return Address(
        id=encode_id("adr", rng.getrandbits(60)),
        owner_id=owner.id,
        first_name=rng.choice(pool.first_names) if other_person else owner.first_name,
        last_name=owner.last_name,
        company=rng.choice(pool.companies) if rng.random() < 0.1 else None,
        line1=_street_line(rng, pool),
        line2=f"{rng.randint(1, 5)}. OG" if pool.country in ("DE", "AT") and rng.random() < 0.1 else None,
        postal_code=postal,
        city=city,
        region=None,
        country=pool.country,
        phone=owner.phone or (_phone(rng, pool.country) if rng.random() < 0.3 else None),
        is_default_shipping=shipping,
        is_default_billing=billing,
        created_at=at,
        updated_at=at,
    )


def generate_customers(
    seed: int,
    count: int,
    password_hash: str,
    pools: tuple[LocalePool, ...] | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[tuple[Customer, list[Address]]]:
    """Seeded customers 1..count with their addresses, deterministic for the seed."""
    rng = random.Random(f"{seed}:customers")
    pools = pools or locale_pools(seed)
    weights = [weight for _c, _l, weight in LOCALES]
    epoch = SEED_EPOCH.timestamp()
    two_years = 2 * 365 * 24 * 3600
    step = max(count // 10, 1)
    for n in offload.cooperatively(range(1, count + 1), CUSTOMERS_PER_PAUSE):
        pool = rng.choices(pools, weights)[0]
        created = epoch - rng.random() * two_years
        phone = _phone(rng, pool.country) if rng.random() < PHONE_SHARE else None
        at = datetime.fromtimestamp(int(created), UTC)
        customer = Customer(
            id=encode_id("cus", rng.getrandbits(60)),
            email=seeded_email(n),
            first_name=rng.choice(pool.first_names),
            last_name=rng.choice(pool.last_names),
            phone=phone,
            marketing_consent=rng.random() < CONSENT_SHARE,
            password_hash=password_hash,
            created_at=at,
            updated_at=at,
        )
        addresses = []
        wanted = rng.choice(ADDRESS_COUNTS)
        billing_elsewhere = wanted > 1 and rng.random() < 0.3
        for index in range(wanted):
            added = created + rng.random() * (epoch - created)
            addresses.append(
                _address(
                    rng,
                    pool,
                    customer,
                    added if index else created,
                    shipping=index == 0,
                    billing=index == (1 if billing_elsewhere else 0),
                    other_person=index > 0 and rng.random() < 0.3,
                )
            )
        yield customer, addresses
        if progress and n % step == 0:
            progress(n, count)


def demo_customer(seed: int, password_hash: str) -> tuple[Customer, list[Address]]:
    """demo@example.com: a German customer with a home (shipping) and an office (billing) address."""
    rng = random.Random(f"{seed}:demo-customer")
    at = SEED_EPOCH - timedelta(days=400)
    customer = Customer(
        id=encode_id("cus", rng.getrandbits(60)),
        email=DEMO_EMAIL,
        first_name="Dana",
        last_name="Demo",
        phone="+49 30 1234567",
        marketing_consent=True,
        password_hash=password_hash,
        created_at=at,
        updated_at=at,
    )
    common = dict(owner_id=customer.id, first_name="Dana", last_name="Demo", region=None, country="DE", created_at=at, updated_at=at)
    home = Address(
        id=encode_id("adr", rng.getrandbits(60)), company=None, line1="Friedrichstraße 123", line2="3. OG",
        postal_code="10117", city="Berlin", phone="+49 30 1234567", is_default_shipping=True, is_default_billing=False,
        **common,
    )
    office = Address(
        id=encode_id("adr", rng.getrandbits(60)), company="Demo Handels GmbH", line1="Leopoldstraße 42", line2=None,
        postal_code="80802", city="München", phone="+49 89 7654321", is_default_shipping=False, is_default_billing=True,
        **common,
    )
    return customer, [home, office]


def seeded_password_hash(seed: int, hash_profile: str) -> str:
    """The one hash of SEEDED_PASSWORD every seeded account shares (one Argon2 run per seed)."""
    return passwords.hash_password_with_salt(SEEDED_PASSWORD, f"{seed}:seeded-customers", hash_profile)


def seed_customers(store: Store, count: int, hash_profile: str, progress: ProgressCallback | None = None) -> None:
    """Fill `store` with the demo account and `count` seeded customers of its seed."""
    password_hash = seeded_password_hash(store.seed, hash_profile)
    # Unknown emails at login are checked against a hash of the same cost: prime it now, for free.
    passwords.prime_dummy_hash(hash_profile, password_hash)
    customers, addresses = [], []
    records = [demo_customer(store.seed, password_hash)]
    if count:
        records = [*records, *generate_customers(store.seed, count, password_hash, locale_pools(store.seed), progress)]
    for customer, owned in records:
        customers.append(customer)
        addresses.extend(owned)
    store.load(CUSTOMER, customers)
    store.load(EMAIL_KEY, [EmailKey(normalize_email(c.email), c.id) for c in customers])
    store.load(ADDRESS, addresses)
