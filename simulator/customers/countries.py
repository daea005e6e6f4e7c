"""Countries the shop ships to (ISO 3166-1 alpha-2), their postal code formats, and phones.

`normalize_postal_code` answers the canonical form of a valid code (upper case, the
space where the country's post puts one) or None when the code is not valid there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    calling_code: str
    postal_pattern: re.Pattern
    postal_example: str
    canonical: Callable[[re.Match], str]


def _whole(match: re.Match) -> str:
    return match.group(0)


def _join_space(match: re.Match) -> str:
    return f"{match.group(1)} {match.group(2)}"


def _c(code, name, calling, pattern, example, canonical=_whole) -> Country:
    return Country(code, name, calling, re.compile(pattern, re.ASCII), example, canonical)  # ASCII: "١٠١١٥" is no postal code


_IRISH = "[AC-FHKNPRTV-Y]"
COUNTRIES: dict[str, Country] = {
    country.code: country
    for country in (
        _c("AT", "Austria", "43", r"\d{4}", "1010"),
        _c("BE", "Belgium", "32", r"\d{4}", "1000"),
        _c("CH", "Switzerland", "41", r"\d{4}", "8001"),
        _c("CZ", "Czechia", "420", r"(\d{3}) ?(\d{2})", "110 00", _join_space),
        _c("DE", "Germany", "49", r"\d{5}", "10115"),
        _c("DK", "Denmark", "45", r"\d{4}", "1050"),
        _c("ES", "Spain", "34", r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}", "28001"),
        _c("FI", "Finland", "358", r"\d{5}", "00100"),
        _c("FR", "France", "33", r"\d{5}", "75001"),
        _c(
            "GB", "United Kingdom", "44",
            r"([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})", "SW1A 1AA", _join_space,
        ),
        _c("IE", "Ireland", "353", rf"({_IRISH}\d[\dW]) ?([\dAC-FHKNPRTV-Y]{{4}})", "D02 X285", _join_space),
        _c("IT", "Italy", "39", r"\d{5}", "00118"),
        _c("LU", "Luxembourg", "352", r"(?:L-)?(\d{4})", "1111", lambda m: m.group(1)),
        _c("NL", "Netherlands", "31", r"([1-9]\d{3}) ?([A-Z]{2})", "1012 AB", _join_space),
        _c("NO", "Norway", "47", r"\d{4}", "0150"),
        _c("PL", "Poland", "48", r"\d{2}-\d{3}", "00-001"),
        _c("PT", "Portugal", "351", r"\d{4}-\d{3}", "1000-001"),
        _c("SE", "Sweden", "46", r"(\d{3}) ?(\d{2})", "111 22", _join_space),
    )
}


def normalize_postal_code(country: str, postal_code: str) -> str | None:
    """The canonical postal code, or None when it is not a valid code for `country`."""
    spec = COUNTRIES.get(country)
    if spec is None:
        return None
    match = spec.postal_pattern.fullmatch(" ".join(postal_code.upper().split()))
    return spec.canonical(match) if match else None


_PHONE_CHARS = re.compile(r"\+?[0-9 ()./-]+")


def phone_problem(phone: str) -> str | None:
    """Why a phone number is unusable, or None when it is fine.

    International (`+49 30 1234567`) or national (`030 1234567`) notation; spaces,
    dashes, dots, slashes and parentheses as separators; 6 to 15 digits (E.164).
    """
    text = phone.strip()
    if not _PHONE_CHARS.fullmatch(text):
        return "only digits, an optional leading +, spaces and ( ) - . / are allowed"
    digits = sum(ch.isdigit() for ch in text)
    if not 6 <= digits <= 15:
        return "must have 6 to 15 digits"
    return None
