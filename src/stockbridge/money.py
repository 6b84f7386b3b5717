"""Money as integer minor units: parsing decimal strings by the currency's exponent.

No float is ever involved: amounts are parsed with ``Decimal`` and must have no more
decimal places than the currency allows. Whatever the text, a bad amount (garbage, NaN,
an exponent past what ``Decimal`` holds, more minor units than a 64-bit column stores)
is :class:`~stockbridge.errors.InvalidInput`, never a ``decimal`` exception.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException, Inexact, Overflow, Rounded, Underflow, localcontext

from stockbridge.errors import InvalidInput

# ISO 4217 minor-unit exponents that differ from 2; every other currency uses 2.
_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLF": 4, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0,
    "JOD": 3, "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0,
    "RWF": 0, "TND": 3, "UGX": 0, "UYI": 0, "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0,
    "XOF": 0, "XPF": 0,
}  # fmt: skip

#: The largest amount in minor units: what a signed 64-bit integer column holds.
MAX_MINOR_UNITS = 2**63 - 1


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def validate_currency(currency: str) -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise InvalidInput(f"currency must be a three-letter ISO 4217 code, got {currency!r}")
    return code


def to_minor_units(amount: str | Decimal | int, currency: str) -> int:
    """``"12.50", "EUR"`` -> ``1250``; ``"1500", "JPY"`` -> ``1500``; rejects extra places."""
    if isinstance(amount, float):
        raise InvalidInput("amounts must not be floats")
    exponent = currency_exponent(currency)
    try:
        value = Decimal(str(amount).strip())
    except DecimalException:
        raise InvalidInput(f"{_shown(repr(amount))} is not a decimal amount") from None
    if not value.is_finite():
        raise InvalidInput(f"{_shown(repr(amount))} is not a decimal amount")
    try:
        with localcontext() as exact:
            # Scaling must never round: a lost digit would be a changed amount.
            exact.traps.update(dict.fromkeys((Inexact, Rounded, Overflow, Underflow), True))
            scaled = value.scaleb(exponent)
            whole = scaled == scaled.to_integral_value()
    except DecimalException:  # more digits, or an exponent, than Decimal scales exactly
        raise InvalidInput(f"{_shown(repr(amount))} is out of range for an amount") from None
    if not whole:
        raise InvalidInput(
            f"{_shown(str(amount))} has more than {exponent} decimal places for {currency}"
        )
    if abs(scaled) > MAX_MINOR_UNITS:
        raise InvalidInput(f"{_shown(repr(amount))} is out of range for an amount")
    return int(scaled)


def _shown(text: str) -> str:
    """An amount's text for an error message, cut short: a message never carries a megabyte."""
    return text if len(text) <= 40 else f"{text[:37]}..."


def format_minor_units(cents: int, currency: str) -> str:
    """``1250, "EUR"`` -> ``"12.50"``."""
    exponent = currency_exponent(currency)
    return f"{Decimal(cents).scaleb(-exponent):.{exponent}f}"
