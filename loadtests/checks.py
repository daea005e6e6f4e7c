"""Checks of the money in basket, checkout and order answers.

Each `check_*` function takes a decoded JSON answer and returns the list of what is
wrong with it (empty: the answer is right). The scenarios turn a non-empty list into a
Locust failure whose message starts with `WRONG_ANSWER` (see `failure_message`), so a
wrong total shows in the report next to the request that returned it, and the SLO
check at the end counts wrong answers apart from ordinary errors.

What every answer must satisfy, from the contract (`../shared/design/api.md`):

- money is `{"amount": "12.34", "currency": "EUR"}`: a decimal string with exactly two
  places, one currency throughout the answer, and nothing negative;
- basket: total = subtotal − discount + shipping; the line discounts sum to the
  discount; each line's discounts sum to its discount and its total is its subtotal
  less its discount; a priced line's subtotal is unit price × quantity; the line
  subtotals sum to the subtotal; the applied promotions sum to the discount; the tax
  per rate sums to the tax; no discount exceeds what it applies to;
- checkout and order: total = subtotal − discount + shipping + payment fee, the tax
  per rate sums to the tax, an authorized payment is for the total, a checkout's
  basket is itself a right basket with the checkout's subtotal and discount, and an
  order's lines and promotions add up as a basket's do.

No Locust import here: the test suite uses these functions in its own process.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

#: What `failure_message` starts with; the SLO check counts these as wrong answers.
WRONG_ANSWER = "WRONG_ANSWER"

AMOUNT = re.compile(r"^\d+\.\d{2}$")
JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
ZERO = Decimal("0.00")
#: Lines the basket prices (a sold-out or deleted product's line is listed, not priced).
PRICED_STATUSES = {"ok", "insufficient_stock"}
BASKET_TOTALS = ("subtotal", "discount", "shipping", "tax", "total")
CHECKOUT_TOTALS = ("subtotal", "discount", "shipping", "tax", "total")


def is_money(value: Any) -> bool:
    return isinstance(value, dict) and "amount" in value and "currency" in value


def check_money(body: Any, path: str = "") -> tuple[list[str], set[str]]:
    """Every Money object anywhere in `body`: two decimal places, not negative. Returns (problems, currencies)."""
    currencies = _right_money_currencies(body)
    if currencies is not None:
        return [], currencies
    problems: list[str] = []
    currencies = set()

    def walk(value: Any, where: str) -> None:
        if is_money(value):
            amount, currency = value["amount"], value["currency"]
            if not isinstance(amount, str) or not AMOUNT.match(amount):
                problems.append(f"{where or 'money'}: amount {amount!r} is not a non-negative decimal string with 2 places")
            if not isinstance(currency, str) or not currency:
                problems.append(f"{where or 'money'}: currency {currency!r} is missing")
            else:
                currencies.add(currency)
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}" if where else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")

    walk(body, path)
    return problems, currencies


def _right_money_currencies(body: Any) -> set[str] | None:
    """The currencies of `body` when all its Money is right, else None (check_money then walks
    again, naming where each problem is). This pass builds no paths and knows only what
    a JSON decoder makes (anything else: None): it runs on every answer of a load run, product
    lists and 1,000-product export pages included, on Locust's CPU."""
    currencies: set[str] = set()
    stack = [body]
    while stack:
        value = stack.pop()
        if type(value) is dict:
            if "amount" in value and "currency" in value:
                amount, currency = value["amount"], value["currency"]
                if not (type(amount) is str and AMOUNT.match(amount) and type(currency) is str and currency):
                    return None
                currencies.add(currency)
                continue
            items = value.values()
        elif type(value) is list:
            items = value
        else:
            continue
        for item in items:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append(item)
            elif kind not in JSON_SCALARS:
                return None
    return currencies


def amount(value: Any) -> Decimal | None:
    """The Decimal of a Money object, or None when it is not one (check_money reports why)."""
    if not is_money(value) or not isinstance(value["amount"], str) or not AMOUNT.match(value["amount"]):
        return None
    try:
        return Decimal(value["amount"])
    except InvalidOperation:  # pragma: no cover - AMOUNT only lets decimals through
        return None


def _totals(body: dict, names: tuple[str, ...], where: str, problems: list[str], optional: tuple[str, ...] = ()) -> dict[str, Decimal] | None:
    totals = body.get("totals")
    if not isinstance(totals, dict):
        problems.append(f"{where}: no totals object")
        return None
    values: dict[str, Decimal] = {}
    for name in names + optional:
        if name not in totals and name in optional:
            values[name] = ZERO
            continue
        value = amount(totals.get(name))
        if value is None:
            problems.append(f"{where}: totals.{name} is missing or not money")
            return None
        values[name] = value
    return values


def _single_currency(currencies: set[str], where: str, problems: list[str]) -> None:
    if len(currencies) > 1:
        problems.append(f"{where}: mixes currencies {sorted(currencies)}")


def _check_lines(body: dict, where: str, subtotal: Decimal, discount: Decimal, problems: list[str]) -> None:
    """Lines: each adds up, and together they make the subtotal and the discount; so do the promotions."""
    lines = body.get("lines")
    if not isinstance(lines, list):
        problems.append(f"{where}: no lines list")
        return
    line_subtotals, line_discounts, units, counted = ZERO, ZERO, 0, True
    for index, line in enumerate(lines):
        label = f"{where}.lines[{index}]"
        if not isinstance(line, dict):
            problems.append(f"{label}: not an object")
            continue
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            problems.append(f"{label}: quantity {quantity!r} is not a positive integer")
            quantity, counted = None, False
        else:
            units += quantity
        sub, disc, tot = amount(line.get("subtotal")), amount(line.get("discount")), amount(line.get("total"))
        if sub is None or disc is None or tot is None:
            problems.append(f"{label}: subtotal, discount or total missing or not money")
            continue
        line_subtotals += sub
        line_discounts += disc
        if tot != sub - disc:
            problems.append(f"{label}: total {tot} != subtotal {sub} - discount {disc}")
        if disc > sub:
            problems.append(f"{label}: discount {disc} exceeds its subtotal {sub}")
        parts = line.get("discounts", [])
        if isinstance(parts, list):
            part_amounts = [amount(part.get("amount")) if isinstance(part, dict) else None for part in parts]
            if None in part_amounts:
                problems.append(f"{label}: a line discount is not money")
            elif sum(part_amounts, ZERO) != disc:
                problems.append(f"{label}: its discounts sum to {sum(part_amounts, ZERO)}, its discount is {disc}")
        unit = amount(line.get("unit_price"))
        if line.get("status", "ok") in PRICED_STATUSES:
            if unit is not None and quantity is not None and sub != unit * quantity:
                problems.append(f"{label}: subtotal {sub} != unit price {unit} x {quantity}")
        elif sub != ZERO or tot != ZERO:
            problems.append(f"{label}: an unpriced line ({line.get('status')}) carries money: subtotal {sub}, total {tot}")

    if line_discounts != discount:
        problems.append(f"{where}: line discounts sum to {line_discounts}, the discount is {discount}")
    if line_subtotals != subtotal:
        problems.append(f"{where}: line subtotals sum to {line_subtotals}, the subtotal is {subtotal}")
    if counted and "item_count" in body and body["item_count"] != units:
        problems.append(f"{where}: item_count {body['item_count']} != {units} units in the lines")
    promotions = body.get("promotions")
    if isinstance(promotions, list):
        promo_amounts = [amount(p.get("amount")) if isinstance(p, dict) else None for p in promotions]
        if None in promo_amounts:
            problems.append(f"{where}: an applied promotion's amount is not money")
        elif sum(promo_amounts, ZERO) != discount:
            problems.append(f"{where}: applied promotions sum to {sum(promo_amounts, ZERO)}, discount is {discount}")


def _check_taxes(body: dict, where: str, tax: Decimal, total: Decimal, problems: list[str]) -> None:
    if tax > total:
        problems.append(f"{where}: tax {tax} exceeds total {total}")
    taxes = body.get("taxes")
    if isinstance(taxes, list):
        tax_amounts = [amount(t.get("tax")) if isinstance(t, dict) else None for t in taxes]
        if None in tax_amounts:
            problems.append(f"{where}: a tax line is not money")
        elif sum(tax_amounts, ZERO) != tax:
            problems.append(f"{where}: tax per rate sums to {sum(tax_amounts, ZERO)}, tax is {tax}")


def check_basket(basket: Any, where: str = "basket") -> list[str]:
    """What is wrong with a basket answer (empty list: nothing)."""
    if not isinstance(basket, dict):
        return [f"{where}: not a JSON object"]
    problems, currencies = check_money(basket, where)
    _single_currency(currencies, where, problems)
    totals = _totals(basket, BASKET_TOTALS, where, problems)
    if totals is None:
        return problems
    subtotal, discount, shipping, tax, total = (totals[name] for name in BASKET_TOTALS)
    if total != subtotal - discount + shipping:
        problems.append(f"{where}: total {total} != subtotal {subtotal} - discount {discount} + shipping {shipping}")
    if discount > subtotal:
        problems.append(f"{where}: discount {discount} exceeds subtotal {subtotal}")
    _check_taxes(basket, where, tax, total, problems)
    _check_lines(basket, where, subtotal, discount, problems)
    return problems


def _check_priced_whole(body: Any, where: str) -> tuple[list[str], dict[str, Decimal] | None]:
    """A checkout or order: money, and total = subtotal − discount + shipping + payment fee."""
    if not isinstance(body, dict):
        return [f"{where}: not a JSON object"], None
    problems, currencies = check_money(body, where)
    _single_currency(currencies, where, problems)
    totals = _totals(body, CHECKOUT_TOTALS, where, problems, optional=("payment_fee",))
    if totals is None:
        return problems, None
    subtotal, discount, shipping, fee, total = (totals[n] for n in ("subtotal", "discount", "shipping", "payment_fee", "total"))
    if total != subtotal - discount + shipping + fee:
        problems.append(
            f"{where}: total {total} != subtotal {subtotal} - discount {discount} + shipping {shipping} + payment fee {fee}"
        )
    if discount > subtotal:
        problems.append(f"{where}: discount {discount} exceeds subtotal {subtotal}")
    _check_taxes(body, where, totals["tax"], total, problems)
    payment = body.get("payment")
    if isinstance(payment, dict) and payment.get("state") == "authorized":
        paid = amount(payment.get("amount"))
        if paid is not None and paid != total:
            problems.append(f"{where}: an authorized payment of {paid} for a total of {total}")
    return problems, totals


def check_checkout(checkout: Any, where: str = "checkout") -> list[str]:
    """What is wrong with a checkout answer: its own totals, and the basket it carries."""
    problems, totals = _check_priced_whole(checkout, where)
    basket = checkout.get("basket") if isinstance(checkout, dict) else None
    if basket is not None:
        problems.extend(check_basket(basket, f"{where}.basket"))
        basket_totals = basket.get("totals") if isinstance(basket, dict) else None
        if totals is not None and isinstance(basket_totals, dict):
            for name in ("subtotal", "discount"):
                theirs = amount(basket_totals.get(name))
                if theirs is not None and theirs != totals[name]:
                    problems.append(f"{where}: {name} {totals[name]} differs from its basket's {theirs}")
    return problems


def check_order(order: Any, where: str = "order") -> list[str]:
    """What is wrong with an order answer's money: its totals, and its lines and promotions if listed."""
    problems, totals = _check_priced_whole(order, where)
    if totals is not None and isinstance(order, dict) and "lines" in order:
        _check_lines(order, where, totals["subtotal"], totals["discount"], problems)
    return problems


def failure_message(kind: str, problems: list[str], limit: int = 3) -> str:
    """One line for the Locust report: `WRONG_ANSWER (basket): first; second; third (+N more)`."""
    shown = "; ".join(problems[:limit])
    more = f" (+{len(problems) - limit} more)" if len(problems) > limit else ""
    return f"{WRONG_ANSWER} ({kind}): {shown}{more}"


def diff_catalogs(replica: dict[str, dict], fresh: dict[str, dict], limit: int = 5) -> list[str]:
    """How a replica differs from a fresh copy of the catalog (both id → product); empty: identical."""
    missing = sorted(set(fresh) - set(replica))
    extra = sorted(set(replica) - set(fresh))
    changed = sorted(pid for pid in set(fresh) & set(replica) if fresh[pid] != replica[pid])
    problems = []
    if missing:
        problems.append(f"{len(missing)} product(s) missing from the replica: {', '.join(missing[:limit])}")
    if extra:
        problems.append(f"{len(extra)} product(s) in the replica but deleted: {', '.join(extra[:limit])}")
    if changed:
        details = []
        for pid in changed[:limit]:
            fields = sorted(k for k in set(fresh[pid]) | set(replica[pid]) if fresh[pid].get(k) != replica[pid].get(k))
            details.append(f"{pid} ({', '.join(fields)})")
        problems.append(f"{len(changed)} product(s) differ: {', '.join(details)}")
    return problems
