"""Our Pydantic subsets (schemas.py: Sell Inventory; fulfillment_schemas.py: Sell
Fulfillment) are true to eBay's official files.

Every model is named like an official schema, and every field it types exists there
under the same name with the same JSON type (nested models by the same schema name).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from stockbridge.sandbox.ebay import fulfillment_schemas, schemas
from stockbridge.sandbox.ebay.config import FULFILLMENT_SPEC, INVENTORY_SPEC
from stockbridge.sandbox.ebay.schemas import EbayModel
from tests.sandbox.contracts import CONTRACTS_DIR

pytestmark = pytest.mark.usefixtures("official_contracts")


MODELS = [(model, INVENTORY_SPEC) for model in schemas.ALL_MODELS] + [
    (model, FULFILLMENT_SPEC) for model in fulfillment_schemas.ALL_MODELS
]


@cache
def official_schemas(spec: Path) -> dict[str, Any]:
    document = json.loads((CONTRACTS_DIR / spec).read_text(encoding="utf-8"))
    found: dict[str, Any] = document["components"]["schemas"]
    return found


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


@pytest.mark.parametrize(("model", "spec"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_model_fields_exist_in_the_official_schema(model: type[EbayModel], spec: Path) -> None:
    official = official_schemas(spec)
    assert model.__name__ in official, f"no official schema named {model.__name__}"
    ours = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    theirs = official[model.__name__]["properties"]
    for name, prop in ours["properties"].items():
        assert name in theirs, f"{model.__name__}.{name} is not in the official file"
        assert shape(prop) == shape(theirs[name]), f"{model.__name__}.{name} differs"
