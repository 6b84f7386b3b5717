"""Shopify's search syntax as the sandbox reads it (pure functions, no server)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockbridge.sandbox.shopify.search import Searchable, Term, matches, parse_query

RECORD = Searchable(
    text={"sku": ["ABC-1", "ABC-2"], "status": ["ACTIVE"]},
    words={"title": "Blue Wool Jumper"},
    times={"updated_at": datetime(2026, 1, 5, 12, 0, tzinfo=UTC)},
)


def test_parse_reads_fields_comparators_quotes_negation_and_or() -> None:
    assert parse_query("sku:A -title:'x y' updated_at:>=2026-01-01 OR NOT status:DRAFT") == [
        [
            Term("sku", "=", "A"),
            Term("title", "=", "x y", negated=True),
            Term("updated_at", ">=", "2026-01-01"),
        ],
        [Term("status", "=", "DRAFT", negated=True)],
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", True),
        ("sku:ABC-2", True),
        ("sku:abc-2", True),
        ("sku:ABC", False),
        ("sku:ABC*", True),
        ("title:wool", True),
        ("title:jump", True),
        ("title:green", False),
        ("jumper", True),
        ("-title:wool", False),
        ("NOT status:DRAFT", True),
        ("updated_at:>'2026-01-05T11:59:59Z'", True),
        ("updated_at:>'2026-01-05T12:00:00Z'", False),
        ('updated_at:>="2026-01-05T12:00:00Z"', True),
        ("updated_at:<2026-01-06", True),
        ("updated_at:>not-a-date", False),
        ("sku:NOPE OR title:blue", True),
        ("sku:NOPE AND title:blue", False),
        ("vendor:Acme", True),  # a field the resource does not know is ignored, as on Shopify
    ],
)
def test_matches(query: str, expected: bool) -> None:
    assert matches(query, RECORD) is expected
