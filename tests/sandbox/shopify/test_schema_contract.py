"""Our SDL is a faithful subset of Shopify's official Admin schema."""

from __future__ import annotations

import pytest
from graphql import build_schema

from stockbridge.sandbox.shopify.graph import SCHEMA_FILE, sandbox_schema
from tests.sandbox.shopify.contract import (
    official_schema,
    schema_differences,
    validate_against_official,
)


def test_every_type_field_argument_and_enum_value_of_our_sdl_is_official() -> None:
    assert schema_differences(sandbox_schema(), official_schema()) == []


def _ours_plus(extra: str) -> list[str]:
    sdl = SCHEMA_FILE.read_text(encoding="utf-8") + "\n" + extra
    return schema_differences(build_schema(sdl), official_schema())


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("extend type Shop { plan2: String }", "field Shop.plan2 does not exist"),
        ("extend type Shop { billingCity: String }", "field Shop.billingCity does not exist"),
        ("type Gizmo { id: ID! }", "type Gizmo does not exist"),
        (
            "extend enum ProductStatus { SOLD_OUT }",
            "enum value ProductStatus.SOLD_OUT does not exist",
        ),
        (
            "extend input ProductSetInput { colour: String }",
            "input field ProductSetInput.colour does not exist",
        ),
        (
            "extend type Product { category: String }",
            "field Product.category is String, officially TaxonomyCategory",
        ),
        (
            "extend type QueryRoot { order(id: ID): String }",
            "argument QueryRoot.order(id) is ID, officially ID!",
        ),
        (
            "extend type Shop { customerTags: String }",
            "required argument Shop.customerTags(first) is missing",
        ),
    ],
)
def test_the_comparison_catches_what_would_break_the_contract(extra: str, expected: str) -> None:
    assert any(expected in difference for difference in _ours_plus(extra)), _ours_plus(extra)


def test_a_changed_default_is_a_difference() -> None:
    sdl = SCHEMA_FILE.read_text(encoding="utf-8").replace(
        "synchronous: Boolean = true", "synchronous: Boolean = false"
    )
    differences = schema_differences(build_schema(sdl), official_schema())
    assert differences == [
        "argument Mutation.productSet(synchronous) defaults to false, officially true"
    ]


def test_validate_against_official_accepts_a_real_document_and_rejects_a_wrong_one() -> None:
    good = """
      query ($first: Int!, $after: String) {
        products(first: $first, after: $after, query: "sku:ABC") {
          edges { node { id title variants(first: 5) { nodes { sku price } } } }
          pageInfo { hasNextPage endCursor }
        }
      }
    """
    assert validate_against_official(good) == []
    wrong = "{ shop { name planName } }"
    messages = [error.message for error in validate_against_official(wrong)]
    assert any("planName" in message for message in messages)
