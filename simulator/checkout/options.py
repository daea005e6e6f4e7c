"""Payment types and delivery options, from the data files in simulator/seed, and their rules."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from simulator.money import ZERO

DATA = Path(__file__).resolve().parent.parent / "seed"


class PaymentFlow(StrEnum):
    """How a payment type is paid, which decides the payment step and the order's course."""

    CARD = "card"  # card details at the payment step; test numbers decide
    REDIRECT = "redirect"  # the shopper approves on the provider's page
    BANK_TRANSFER = "bank_transfer"  # the order waits for the money
    ON_DELIVERY = "on_delivery"  # paid to the courier

    @property
    def payment_call_required(self) -> bool:
        """Whether `POST /checkout/{id}/payment` comes before the order. Every flow has the
        payment step, those that need no card too: with `{}` it records the payment as
        pending (bank transfer, on delivery) or answers the provider's `redirect_url`."""
        return True


@dataclass(frozen=True)
class PaymentType:
    id: str
    name: str
    flow: PaymentFlow
    fee: Decimal
    countries: frozenset[str] | None
    max_total: Decimal | None


@dataclass(frozen=True)
class PaymentChoice:
    type: PaymentType
    available: bool
    reason: str | None


@dataclass(frozen=True)
class ZoneRate:
    transit_days: tuple[int, int]
    bands: tuple[tuple[int, Decimal], ...]  # (max grams, price), lightest first


@dataclass(frozen=True)
class DeliveryOption:
    id: str
    name: str
    carrier: str
    free_shipping_eligible: bool
    rates: dict[str, ZoneRate]  # zone → rate; never mutated


@dataclass(frozen=True)
class DeliveryQuote:
    option: DeliveryOption
    price: Decimal
    regular_price: Decimal  # before a free-shipping promotion
    earliest: date
    latest: date


def _load_payment_types() -> tuple[PaymentType, ...]:
    raw = json.loads((DATA / "payment_types.json").read_text(encoding="utf-8"))["payment_types"]
    return tuple(
        PaymentType(
            id=item["id"], name=item["name"], flow=PaymentFlow(item["flow"]), fee=Decimal(item["fee"]),
            countries=frozenset(item["countries"]) if "countries" in item else None,
            max_total=Decimal(item["max_total"]) if "max_total" in item else None,
        )
        for item in raw
    )


def _load_delivery() -> tuple[dict[str, str], tuple[DeliveryOption, ...]]:
    raw = json.loads((DATA / "delivery_options.json").read_text(encoding="utf-8"))
    zones = {country: zone for zone, countries in raw["zones"].items() for country in countries}
    options = tuple(
        DeliveryOption(
            id=item["id"], name=item["name"], carrier=item["carrier"],
            free_shipping_eligible=item["free_shipping_eligible"],
            rates={
                zone: ZoneRate(tuple(rate["transit_days"]), tuple((grams, Decimal(price)) for grams, price in rate["bands"]))
                for zone, rate in item["zones"].items()
            },
        )
        for item in raw["options"]
    )
    return zones, options


# Read once: immutable reference data, not state.
PAYMENT_TYPES = _load_payment_types()
ZONES, DELIVERY_OPTIONS = _load_delivery()


def payment_type(type_id: str) -> PaymentType | None:
    return next((t for t in PAYMENT_TYPES if t.id == type_id), None)


def payment_choices(country: str, goods_total: Decimal) -> tuple[PaymentChoice, ...]:
    """Every payment type, with whether this checkout may use it and why not. The same
    for every checkout to one country whose total is over the same limits: kept so."""
    return _choices(country, tuple(t.max_total is not None and goods_total > t.max_total for t in PAYMENT_TYPES))


@functools.lru_cache(maxsize=1024)  # countries are the few delivered to (ZONES), limits a handful
def _choices(country: str, over_limit: tuple[bool, ...]) -> tuple[PaymentChoice, ...]:
    choices = []
    for option, over in zip(PAYMENT_TYPES, over_limit):
        reason = None
        if option.countries is not None and country not in option.countries:
            reason = f"not offered for deliveries to {country}"
        elif over:
            reason = f"only for orders up to {option.max_total:.2f}"
        choices.append(PaymentChoice(option, reason is None, reason))
    return tuple(choices)


def add_working_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def delivery_quotes(country: str, weight_grams: int, now: datetime, free_shipping: bool) -> list[DeliveryQuote]:
    """The options that can carry this parcel to this country, priced, with delivery dates."""
    zone = ZONES.get(country)
    quotes = []
    for option in DELIVERY_OPTIONS:
        rate = option.rates.get(zone)
        if rate is None:
            continue
        price = next((band_price for max_grams, band_price in rate.bands if weight_grams <= max_grams), None)
        if price is None:
            continue  # too heavy for this option
        today = now.date()
        quotes.append(
            DeliveryQuote(
                option,
                ZERO if free_shipping and option.free_shipping_eligible else price,
                price,
                add_working_days(today, rate.transit_days[0]),
                add_working_days(today, rate.transit_days[1]),
            )
        )
    return quotes
