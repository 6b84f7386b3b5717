"""Our Pydantic subset of Sell Inventory (schemas.py) is true to eBay's official file.

Every model is named like an official schema, and every field it types exists there
under the same name with the same JSON type (nested models by the same schema name).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from stockbridge.sandbox.ebay.config import INVENTORY_SPEC
from stockbridge.sandbox.ebay.schemas import ALL_MODELS, EbayModel
from tests.sandbox.contracts import CONTRACTS_DIR

pytestmark = pytest.mark.usefixtures("official_contracts")


@cache
def official_schemas() -> dict[str, Any]:
    document = json.loads((CONTRACTS_DIR / INVENTORY_SPEC).read_text(encoding="utf-8"))
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def shape(schema: dict[str, Any]) -> Any:
    """Comparable form of a property: its type, the schema it refers to, its items."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    assert len(options) == 1, schema
    only = options[0]
    if "$ref" in only:
        return ("ref", only["$ref"].rsplit("/", 1)[-1])
    if only.get("type") == "array":
        return ("array", shape(only["items"]))
    return only["type"]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_model_fields_exist_in_the_official_schema(model: type[EbayModel]) -> None:
    official = official_schemas()
    assert model.__name__ in official, f"no official schema named {model.__name__}"
    ours = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    theirs = official[model.__name__]["properties"]
    for name, prop in ours["properties"].items():
        assert name in theirs, f"{model.__name__}.{name} is not in the official file"
        assert shape(prop) == shape(theirs[name]), f"{model.__name__}.{name} differs"
