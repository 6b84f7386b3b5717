"""Reading and validating a product CSV file, without a database (``pos/csv_import``)."""

from __future__ import annotations

import pytest

from stockbridge.errors import InvalidInput
from stockbridge.pos.csv_import import ParsedCsv, parse_products_csv

HEADER = "sku,name,price,currency"


def parse(text: str) -> ParsedCsv:
    return parse_products_csv(text.encode())


def reasons(parsed: ParsedCsv) -> dict[int, str]:
    return {error.line: error.reason for error in parsed.errors}


def test_a_full_line_becomes_a_product_code_input() -> None:
    parsed = parse(
        "SKU,Name,Description,Brand,Category,Barcode,Price,Currency,Weight_Grams,Active,"
        "attr:Colour,attr:size\n"
        "AB-1,Widget,A fine widget,Acme,Tools > Hand,8712345678906,12.50,eur,250,no,Red,\n"
    )

    assert parsed.errors == []
    [row] = parsed.rows
    assert row.line == 2
    assert row.product.model_dump(exclude_none=True) == {
        "sku": "AB-1",
        "name": "Widget",
        "description": "A fine widget",
        "brand": "Acme",
        "category": "Tools > Hand",
        "barcode": "8712345678906",
        "price_cents": 1250,
        "currency": "EUR",
        "weight_grams": 250,
        "active": False,
        "attributes": {"Colour": "Red"},
    }


def test_empty_optional_cells_are_left_out() -> None:
    parsed = parse("sku,name,brand,price,currency,weight_grams,attr:colour\nA,Widget,,1,EUR,,\n")

    assert parsed.rows[0].product.model_dump(exclude_none=True) == {
        "sku": "A",
        "name": "Widget",
        "price_cents": 100,
        "currency": "EUR",
    }


@pytest.mark.parametrize(
    ("price", "currency", "cents"),
    [
        ("12.50", "EUR", 1250),
        ("12.5", "EUR", 1250),
        ("0.10", "USD", 10),
        ("19999999.99", "EUR", 1999999999),
        ("1500", "JPY", 1500),
        ("0.125", "KWD", 125),
        ("7", "GBP", 700),
    ],
)
def test_prices_are_decimal_text_converted_to_minor_units(
    price: str, currency: str, cents: int
) -> None:
    product = parse(f"{HEADER}\nA,Widget,{price},{currency}\n").rows[0].product

    assert (product.price_cents, product.currency) == (cents, currency)


@pytest.mark.parametrize(
    ("price", "currency", "reason"),
    [
        ("15.5", "JPY", "price: 15.5 has more than 0 decimal places for JPY"),
        ("12.505", "EUR", "price: 12.505 has more than 2 decimal places for EUR"),
        ("abc", "EUR", "price: 'abc' is not a decimal amount"),
        ("1,299.00", "EUR", "price: '1,299.00' is not a decimal amount"),
        ("-1", "EUR", "price must not be negative"),
        ("12", "EURO", "currency must be a three-letter ISO 4217 code, got 'EURO'"),
    ],
)
def test_bad_prices_and_currencies_are_reported(price: str, currency: str, reason: str) -> None:
    parsed = parse(f'{HEADER}\nA,Widget,"{price}",{currency}\n')

    assert reasons(parsed) == {2: reason}


def test_every_problem_of_a_line_is_reported_with_its_spreadsheet_line_number() -> None:
    parsed = parse(
        "sku,name,price,currency,weight_grams,active\n"
        "GOOD-1,Widget,1.00,EUR,,\n"
        "\n"
        ",,abc,EUR,-5,maybe\n"
        "GOOD-2,Gadget,2.00,EUR,,\n"
    )

    assert [row.line for row in parsed.rows] == [2, 5]
    [error] = parsed.errors
    assert error.line == 4
    assert error.sku is None
    assert error.reason.split("; ") == [
        "sku is required",
        "name is required",
        "price: 'abc' is not a decimal amount",
        "weight_grams: Input should be greater than or equal to 0",
        "active: Input should be a valid boolean, unable to interpret input",
    ]
    assert str(error).startswith("line 4: sku is required")


def test_a_quoted_cell_over_several_lines_counts_as_one_line() -> None:
    parsed = parse(f'{HEADER},description\nA,Widget,1,EUR,"two\nlines"\nB,Gadget,x,EUR,\n')

    assert parsed.rows[0].product.description == "two\nlines"
    assert reasons(parsed) == {3: "price: 'x' is not a decimal amount"}


def test_a_repeated_sku_is_an_error_on_the_later_line() -> None:
    parsed = parse(f"{HEADER}\nA,Widget,1,EUR\nB,Gadget,1,EUR\nA,Widget again,2,EUR\n")

    assert [row.line for row in parsed.rows] == [2, 3]
    assert reasons(parsed) == {4: "SKU A already appears on line 2"}
    assert str(parsed.errors[0]) == "line 4 (SKU A): SKU A already appears on line 2"


def test_a_sku_with_spaces_is_refused_in_plain_words() -> None:
    assert reasons(parse(f"{HEADER}\nA B,Widget,1,EUR\n")) == {2: "sku: must not contain spaces"}


def test_cells_beyond_the_header_must_be_empty() -> None:
    parsed = parse(f"{HEADER}\nA,Widget,1,EUR,,\nB,Gadget,1,EUR,surplus\n")

    assert [row.line for row in parsed.rows] == [2]
    assert reasons(parsed) == {3: "5 cells, but the header names only 4 columns"}


def test_a_byte_order_mark_crlf_line_ends_and_trailing_empty_header_cells_are_fine() -> None:
    parsed = parse_products_csv(b"\xef\xbb\xbfsku,name,price,currency,,\r\nA,Widget,1,EUR,,\r\n")

    assert parsed.errors == []
    assert parsed.rows[0].product.sku == "A"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "sku,name,price,currency,colour,size",
            "unknown column(s): colour, size (known: sku, name, description, brand, category, "
            "barcode, price, currency, weight_grams, active, and attr:<name> for attributes)",
        ),
        ("sku,name,brand", "missing required column(s): price, currency"),
        ("sku,name,price,currency,Name", "column(s) given more than once: Name, name"),
        ("sku,name,,price,currency", "unknown column(s): column 3"),
        ("sku,name,price,currency,attr:", "unknown column(s): attr:"),
        ("sku;name;price;currency", "the header is a single column: stockbridge reads"),
    ],
)
def test_header_problems_reject_the_whole_file(header: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse(f"{header}\nA,Widget,1,EUR\n")

    assert raised.value.detail.startswith(message)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty: line 1 must name the columns"),
        (b"\n\n", "the file is empty: line 1 must name the columns"),
        (b"sku,name,price,currency\n\n", "no product lines below the header"),
        (b"PK\x03\x04\x00\x00binary", "not a CSV file: it contains NUL bytes"),
        (b"sku,name,price,currency\nA,Caf\xe9,1,EUR\n", "not UTF-8 text: byte 0xe9 on line 2"),
        (b'sku,name,price,currency\n"A,Widget,1,EUR\n', "not a valid CSV file: unexpected end"),
    ],
)
def test_a_file_that_is_not_a_product_csv_is_one_error(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_products_csv(data)

    assert raised.value.detail.startswith(message)
    assert "\n" not in raised.value.detail
