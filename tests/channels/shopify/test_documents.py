"""Every GraphQL document the Shopify adapter sends is valid for Shopify's official schema."""

from __future__ import annotations

import pytest

from stockbridge.channels.shopify import documents
from tests.sandbox.shopify.contract import validate_against_official


@pytest.mark.parametrize("name", sorted(documents.ALL))
def test_document_validates_against_the_official_admin_schema(name: str) -> None:
    errors = validate_against_official(documents.ALL[name])

    assert errors == [], [error.message for error in errors]


def test_every_document_constant_is_listed() -> None:
    constants = {
        name
        for name, value in vars(documents).items()
        if name.isupper()
        and isinstance(value, str)
        and value.lstrip().startswith(("query", "mutation"))
    }

    assert constants == set(documents.ALL)
