"""Decimal strings become integer minor units by the currency's exponent, with no float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockbridge.errors import InvalidInput
from stockbridge.money import (
    MAX_MINOR_UNITS,
    currency_exponent,
    format_minor_units,
    to_minor_units,
)

CURRENCIES = st.sampled_from(["EUR", "USD", "GBP", "JPY", "KWD", "BHD", "CLP", "CHF"])


@given(cents=st.integers(min_value=0, max_value=10**15), currency=CURRENCIES)
def test_format_then_parse_round_trips(cents: int, currency: str) -> None:
    assert to_minor_units(format_minor_units(cents, currency), currency) == cents


@given(
    units=st.integers(min_value=0, max_value=10**12),
    currency=CURRENCIES,
    extra=st.integers(min_value=1, max_value=9),
)
def test_one_decimal_place_too_many_is_refused(units: int, currency: str, extra: int) -> None:
    places = currency_exponent(currency) + 1
    amount = f"{units}.{'0' * (places - 1)}{extra}"
    with pytest.raises(InvalidInput):
        to_minor_units(amount, currency)


@pytest.mark.parametrize(
    ("amount", "currency", "cents"),
    [
        ("12.50", "EUR", 1250),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("0.1", "USD", 10),
        (Decimal("3.30"), "GBP", 330),
    ],
)
def test_known_amounts(amount: str | Decimal, currency: str, cents: int) -> None:
    assert to_minor_units(amount, currency) == cents


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity", "1,50"])
def test_malformed_amounts_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        to_minor_units(bad, "EUR")


def test_floats_are_refused() -> None:
    with pytest.raises(InvalidInput):
        to_minor_units(0.1, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "huge",
    [
        "1E+999999999",  # past what Decimal scales: Overflow inside
        "1e-999999999",  # Underflow inside: must not quietly become 0
        "9" * 5000,  # more digits than Decimal's precision: rounding inside
        "12345678901234567890123456789.12",
        "1E+18",  # fits Decimal, not a 64-bit column of cents
    ],
)
def test_out_of_range_amounts_are_invalid_input_not_decimal_errors(huge: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        to_minor_units(huge, "EUR")

    assert len(refused.value.detail) < 100


@given(st.text(max_size=40))
def test_any_text_parses_or_is_invalid_input(text: str) -> None:
    try:
        cents = to_minor_units(text, "EUR")
    except InvalidInput:
        return
    assert abs(cents) <= MAX_MINOR_UNITS
    assert to_minor_units(format_minor_units(cents, "EUR"), "EUR") == cents
