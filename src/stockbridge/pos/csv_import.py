"""Product codes from a CSV file: reading the format, validating every row, writing them.

Reading and validation are pure functions over the file's bytes (:func:`parse_products_csv`);
:func:`import_products` writes validated rows in batches with
``catalog.upsert_product_codes`` inside the caller's transaction, so a re-import updates by
SKU and never duplicates. The format is described in ``docs/csv-import.md``.

Line numbers are those a spreadsheet shows: the header is line 1, the first product line 2
(a quoted cell spanning several physical lines still counts as one line).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from stockbridge.errors import InvalidInput
from stockbridge.money import to_minor_units, validate_currency
from stockbridge.pos import catalog
from stockbridge.pos.catalog import UpsertCounts
from stockbridge.pos.schemas import ProductCodeCreate

STANDARD_COLUMNS = (
    "sku",
    "name",
    "description",
    "brand",
    "category",
    "barcode",
    "price",
    "currency",
    "weight_grams",
    "active",
)
REQUIRED_COLUMNS = ("sku", "name", "price", "currency")
ATTRIBUTE_PREFIX = "attr:"
BATCH_SIZE = 500

# Friendlier words for pydantic's messages where the raw one would puzzle a shop owner.
_FRIENDLY_MESSAGES = {
    ("sku", "string_pattern_mismatch"): "must not contain spaces",
    ("sku", "string_too_long"): "must have at most 64 characters",
}


@dataclass(frozen=True)
class ProductRow:
    line: int
    product: ProductCodeCreate


@dataclass(frozen=True)
class RowError:
    line: int
    sku: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" (SKU {self.sku})" if self.sku else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ParsedCsv:
    """Every product line of a file, each either valid or with the reason it is not."""

    rows: list[ProductRow]
    errors: list[RowError]

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.errors)


class _RowInvalid(Exception):
    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reason = "; ".join(reasons)


def decode_csv(data: bytes) -> str:
    """The file as text: UTF-8 (a byte-order mark is allowed), never a binary file."""
    if b"\x00" in data:
        raise InvalidInput(
            "not a CSV file: it contains NUL bytes (save the sheet as 'CSV UTF-8' first)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidInput(
            f"not UTF-8 text: byte 0x{data[error.start]:02x} on line {line} "
            "(save the file as 'CSV UTF-8')"
        ) from None


def read_records(text: str) -> list[list[str]]:
    """Split CSV text into records; a malformed file is one error, not a traceback."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return list(reader)
    except csv.Error as error:
        raise InvalidInput(f"not a valid CSV file: {error} (near line {reader.line_num})") from None


def parse_header(cells: Sequence[str]) -> list[str]:
    """Column keys by position: a standard column name, or ``attr:<name>`` for an attribute.

    Trailing empty header cells (a spreadsheet's stray column) are dropped.
    """
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        raise InvalidInput(
            "the header is a single column: stockbridge reads comma-separated files "
            "(save the sheet as 'CSV UTF-8 (comma delimited)')"
        )
    keys = [_column_key(name, position) for position, name in enumerate(names, start=1)]
    problems = _header_problems(names, keys)
    if problems:
        raise InvalidInput("; ".join(problems))
    return keys


def _column_key(name: str, position: int) -> str:
    if not name:
        return f"?column {position}"
    if name.lower().startswith(ATTRIBUTE_PREFIX):
        attribute = name[len(ATTRIBUTE_PREFIX) :].strip()
        return ATTRIBUTE_PREFIX + attribute if attribute else f"?{name}"
    return name.lower() if name.lower() in STANDARD_COLUMNS else f"?{name}"


def _header_problems(names: Sequence[str], keys: Sequence[str]) -> list[str]:
    problems = []
    unknown = [key.removeprefix("?") for key in keys if key.startswith("?")]
    if unknown:
        problems.append(
            f"unknown column(s): {', '.join(unknown)} "
            f"(known: {', '.join(STANDARD_COLUMNS)}, and attr:<name> for attributes)"
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in keys]
    if missing:
        problems.append(f"missing required column(s): {', '.join(missing)}")
    repeated = sorted({name for name, key in zip(names, keys, strict=True) if keys.count(key) > 1})
    if repeated:
        problems.append(f"column(s) given more than once: {', '.join(repeated)}")
    return problems


def parse_products_csv(data: bytes) -> ParsedCsv:
    """Validate every product line of a CSV file; file-level problems raise InvalidInput."""
    records = read_records(decode_csv(data))
    if not records or not any(cell.strip() for cell in records[0]):
        raise InvalidInput("the file is empty: line 1 must name the columns")
    keys = parse_header(records[0])
    rows: list[ProductRow] = []
    errors: list[RowError] = []
    first_line_of_sku: dict[str, int] = {}
    for line, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        sku = _cell(keys, cells, "sku") or None
        try:
            _check_not_repeated(sku, line, first_line_of_sku)
            rows.append(ProductRow(line, _parse_product_cells(keys, cells)))
        except _RowInvalid as invalid:
            errors.append(RowError(line, sku, invalid.reason))
    if not rows and not errors:
        raise InvalidInput("no product lines below the header")
    return ParsedCsv(rows, errors)


def _cell(keys: Sequence[str], cells: Sequence[str], key: str) -> str:
    position = keys.index(key) if key in keys else len(cells)
    return cells[position].strip() if position < len(cells) else ""


def _check_not_repeated(sku: str | None, line: int, first_line_of_sku: dict[str, int]) -> None:
    if sku is None:
        return
    first = first_line_of_sku.setdefault(sku, line)
    if first != line:
        raise _RowInvalid([f"SKU {sku} already appears on line {first}"])


def _parse_product_cells(keys: Sequence[str], cells: Sequence[str]) -> ProductCodeCreate:
    """One product line as validated input, or every reason it is not; empty optional cells
    are left out (so an update leaves those fields as they are)."""
    extra = [cell for cell in cells[len(keys) :] if cell.strip()]
    if extra:
        raise _RowInvalid([f"{len(cells)} cells, but the header names only {len(keys)} columns"])
    values = {key: _cell(keys, cells, key) for key in keys}
    reasons = [f"{column} is required" for column in REQUIRED_COLUMNS if not values[column]]
    fields: dict[str, Any] = {
        key: value
        for key, value in values.items()
        if value and key in STANDARD_COLUMNS and key not in ("price", "currency")
    }
    if values["price"] and values["currency"]:
        try:
            fields["currency"], fields["price_cents"] = _price(values["price"], values["currency"])
        except InvalidInput as error:
            reasons.append(error.detail)
    attributes = {
        key.removeprefix(ATTRIBUTE_PREFIX): value
        for key, value in values.items()
        if value and key.startswith(ATTRIBUTE_PREFIX)
    }
    if attributes:
        fields["attributes"] = attributes
    try:
        product = ProductCodeCreate.model_validate(fields)
    except ValidationError as error:
        raise _RowInvalid(reasons + _describe(error)) from None
    if reasons:
        raise _RowInvalid(reasons)
    return product


def _price(price: str, currency: str) -> tuple[str, int]:
    """(currency, minor units) from decimal text; never through a float."""
    code = validate_currency(currency)
    try:
        cents = to_minor_units(price, code)
    except InvalidInput as error:
        raise InvalidInput(f"price: {error.detail}") from None
    if cents < 0:
        raise InvalidInput("price must not be negative")
    return code, cents


def _describe(error: ValidationError) -> list[str]:
    """Pydantic's complaints, less the missing fields already reported in plainer words."""
    reasons = []
    for problem in error.errors():
        if problem["type"] == "missing":
            continue
        field = str(problem["loc"][0]) if problem["loc"] else "row"
        message = _FRIENDLY_MESSAGES.get((field, problem["type"]), problem["msg"])
        reasons.append(f"{'price' if field == 'price_cents' else field}: {message}")
    return reasons


def import_products(
    session: Session,
    products: Sequence[ProductCodeCreate],
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> UpsertCounts:
    """Create or update the products by SKU, in batches; ``on_batch`` hears each batch's size.

    Nothing commits here: the caller's one transaction holds every batch.
    """
    created = updated = unchanged = 0
    for start in range(0, len(products), batch_size):
        batch = products[start : start + batch_size]
        counts = catalog.upsert_product_codes(session, batch)
        created += counts.created
        updated += counts.updated
        unchanged += counts.unchanged
        if on_batch is not None:
            on_batch(len(batch))
    return UpsertCounts(created, updated, unchanged)
