"""The sandbox's Inventory routes are the official operations, and docs/sandbox.md says so.

Each route is named by the official ``operationId`` and serves that operation's method
and path; the coverage table in docs/sandbox.md marks exactly those operations "yes".
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from stockbridge.sandbox.ebay.app import ROUTERS
from stockbridge.sandbox.ebay.config import INVENTORY_SPEC
from stockbridge.sandbox.ebay.inventory import BASE_PATH
from tests.sandbox.contracts import CONTRACTS_DIR, REPO_ROOT

DOCS = REPO_ROOT / "docs" / "sandbox.md"


def served_operations() -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path below the base path) for every Inventory route."""
    served: dict[str, tuple[str, str]] = {}
    for route in (route for router in ROUTERS for route in router.routes):
        if isinstance(route, APIRoute) and route.path.startswith(BASE_PATH + "/"):
            [method] = route.methods
            served[route.name] = (method, route.path.removeprefix(BASE_PATH))
    return served


@pytest.mark.usefixtures("official_contracts")
def test_routes_are_official_operations() -> None:
    document: dict[str, Any] = json.loads((CONTRACTS_DIR / INVENTORY_SPEC).read_text())
    official = {
        operation["operationId"]: (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    served = served_operations()
    assert served, "no Inventory routes found"
    for name, call in served.items():
        assert official.get(name) == call, f"{name} serves {call}, officially {official.get(name)}"


def test_docs_table_lists_exactly_the_served_operations() -> None:
    rows = re.findall(
        r"^\| `(\w+)` \| (GET|PUT|POST|DELETE) `([^`]+)` \| (yes|no) \|$", DOCS.read_text(), re.M
    )
    documented_yes = {
        name: (method, path) for name, method, path, covered in rows if covered == "yes"
    }
    assert documented_yes == served_operations()
