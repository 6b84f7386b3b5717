"""The Notification API subset is true to eBay's official file, and the docs say so.

Our request models (notification_schemas.py) carry official schema and field names with
the same JSON types; each route is the official operation of its name; the table in
docs/sandbox.md lists every official operation, "yes" for exactly those served.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest
from fastapi.routing import APIRoute

from stockbridge.sandbox.ebay.app import ROUTERS
from stockbridge.sandbox.ebay.config import NOTIFICATION_SPEC
from stockbridge.sandbox.ebay.notification import BASE_PATH
from stockbridge.sandbox.ebay.notification_schemas import ALL_MODELS
from stockbridge.sandbox.ebay.schemas import EbayModel
from tests.sandbox.contracts import CONTRACTS_DIR, REPO_ROOT
from tests.sandbox.ebay.test_schemas import shape

pytestmark = pytest.mark.usefixtures("official_contracts")
DOCS = REPO_ROOT / "docs" / "sandbox.md"


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


def served_notification_operations() -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path below the base path) for every Notification route."""
    served: dict[str, tuple[str, str]] = {}
    for route in (route for router in ROUTERS for route in router.routes):
        if isinstance(route, APIRoute) and route.path.startswith(BASE_PATH + "/"):
            [method] = route.methods
            served[route.name] = (method, route.path.removeprefix(BASE_PATH))
    return served


def test_routes_are_official_operations() -> None:
    document: dict[str, Any] = json.loads((CONTRACTS_DIR / NOTIFICATION_SPEC).read_text())
    official = {
        operation["operationId"]: (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    served = served_notification_operations()
    assert len(served) == 18
    for name, call in served.items():
        assert official.get(name) == call, f"{name} serves {call}, officially {official.get(name)}"
    docs = DOCS.read_text()
    section = docs[docs.index("## eBay notifications") :]
    section = section[: section.index("\n## ", 1)]
    rows = re.findall(
        r"^\| `(\w+)` \| (GET|PUT|POST|DELETE) `([^`]+)` \| (yes|no) \|$", section, re.M
    )
    assert {name: (m, p) for name, m, p, covered in rows if covered == "yes"} == served
    assert {name: (m, p) for name, m, p, _ in rows} == official  # the table lists them all
