"""Validated input for the store core, shared by the API and the CSV import."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from stockbridge.errors import InvalidInput
from stockbridge.money import validate_currency

# Ids and quantities as callers may give them: bounded so that a lookup never overflows
# the driver (SQLite refuses ints beyond 64 bits) and a movement stays far inside the
# 32-bit quantity columns.
MAX_ROW_ID = 2**63 - 1


def _refuse_booleans(value: object) -> object:
    # pydantic reads true as 1: a quantity or a price of `true` is a client bug to report.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


WholeNumber = BeforeValidator(_refuse_booleans)
RowId = Annotated[int, WholeNumber, Field(ge=1, le=MAX_ROW_ID)]
Quantity = Annotated[int, WholeNumber, Field(ge=1, le=1_000_000)]
Count = Annotated[int, WholeNumber, Field(ge=0, le=1_000_000)]
Cents = Annotated[int, WholeNumber, Field(ge=0, le=10**13)]
Grams = Annotated[int, WholeNumber, Field(ge=0, le=10**8)]

Sku = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Brand = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None
Category = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None


class InputModel(BaseModel):
    """Base of every input schema: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class BranchCreate(InputModel):
    code: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$"
        ),
    ]
    name: Name
    address: dict[str, Any] = Field(default_factory=dict)
    active: bool = True


class BranchUpdate(InputModel):
    name: Name | None = None
    address: dict[str, Any] | None = None
    active: bool | None = None


class ProductCodeFields(InputModel):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    brand: Brand = None
    category: Category = None
    barcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    attributes: dict[str, Any] | None = None
    price_cents: Cents | None = None
    currency: str | None = None
    weight_grams: Grams | None = None
    active: bool | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_currency(value)
        except InvalidInput as error:
            # pydantic reports ValueError per field, like every other validation error.
            raise ValueError(error.detail) from None


class ProductCodeCreate(ProductCodeFields):
    sku: Sku
    name: Name
    price_cents: Cents
    currency: str


class ProductCodeUpdate(ProductCodeFields):
    """Only the fields given change."""


class VersionUpdate(InputModel):
    price_cents: Cents | None = None
    cost_cents: Cents | None = None
