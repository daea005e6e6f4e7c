"""`versioned.replace` makes what `dataclasses.replace` makes, for every kind of record."""

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from simulator import versioned
from simulator.basket.model import Basket, BasketLine, BasketMessage, MessageCode

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LINE = BasketLine("itm_1", "prd_1", 2, Decimal("9.99"), "Mug", "4006381333931", NOW)
BASKET = Basket("bsk_1", "guest:abc", None, (LINE,), ("SAVE5",), (BasketMessage(MessageCode.LOW_STOCK, "low"),), NOW, NOW, 3)


@pytest.mark.parametrize(("record", "changes"), [
    (LINE, {"quantity": 5, "seen_unit_price": Decimal("8.99")}),
    (BASKET, {"lines": (), "coupons": ()}),
    (BASKET, {"updated_at": datetime(2026, 12, 1, tzinfo=UTC), "version": 4}),
    (BASKET, {}),
])
def test_replace_is_dataclasses_replace(record, changes):
    made = versioned.replace(record, **changes)
    assert made == dataclasses.replace(record, **changes) and type(made) is type(record)
    assert made is not record and record == dataclasses.replace(record)  # the record itself is left as it was


@dataclass(frozen=True)
class Checked:
    id: str
    version: int = 1
    derived: str = field(init=False, default="")

    def __post_init__(self):
        if self.version < 1:
            raise ValueError("version")
        object.__setattr__(self, "derived", f"{self.id}@{self.version}")


def test_a_record_with_post_init_or_derived_fields_is_left_to_dataclasses_replace():
    assert versioned.replace(Checked("a"), version=2).derived == "a@2"
    with pytest.raises(ValueError):
        versioned.replace(Checked("a"), version=0)


@dataclass(frozen=True)
class KeywordOnly:
    id: str
    version: int = field(default=1, kw_only=True)


def test_a_record_with_keyword_only_fields_is_left_to_dataclasses_replace():
    """Its fields cannot be passed by position, as the fast path makes records."""
    assert versioned.replace(KeywordOnly("a"), version=2) == KeywordOnly("a", version=2)
