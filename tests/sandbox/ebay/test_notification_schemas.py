"""Our Pydantic subset of the Notification API (notification_schemas.py) is true to
eBay's official file: every field exists there with the same JSON type."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from stockbridge.sandbox.ebay.config import NOTIFICATION_SPEC
from stockbridge.sandbox.ebay.notification_schemas import ALL_MODELS
from stockbridge.sandbox.ebay.schemas import EbayModel
from tests.sandbox.contracts import CONTRACTS_DIR
from tests.sandbox.ebay.test_schemas import shape

pytestmark = pytest.mark.usefixtures("official_contracts")


@cache
def official_schemas() -> dict[str, Any]:
    document = json.loads((CONTRACTS_DIR / NOTIFICATION_SPEC).read_text(encoding="utf-8"))
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_model_fields_exist_in_the_official_schema(model: type[EbayModel]) -> None:
    official = official_schemas()
    assert model.__name__ in official, f"no official schema named {model.__name__}"
    ours = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    theirs = official[model.__name__]["properties"]
    for name, prop in ours["properties"].items():
        assert name in theirs, f"{model.__name__}.{name} is not in the official file"
        assert shape(prop) == shape(theirs[name]), f"{model.__name__}.{name} differs"
