"""The sandbox's eBay API routes are the official operations, and docs/sandbox.md says so.

Each route under a base path with an official file (Inventory, Fulfillment, Account,
Notification) is
named by the official ``operationId`` and serves that operation's method and path; the
coverage tables in docs/sandbox.md mark exactly those operations "yes".
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from stockbridge.sandbox.ebay.app import ROUTERS
from stockbridge.sandbox.ebay.config import SPEC_BY_PREFIX
from tests.sandbox.contracts import CONTRACTS_DIR, REPO_ROOT

DOCS = REPO_ROOT / "docs" / "sandbox.md"


def served_operations(prefix: str | None = None) -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path below the base path) for the routes of the eBay APIs."""
    served: dict[str, tuple[str, str]] = {}
    for route in (route for router in ROUTERS for route in router.routes):
        for base in [prefix] if prefix else SPEC_BY_PREFIX:
            if isinstance(route, APIRoute) and route.path.startswith(base + "/"):
                [method] = route.methods
                served[route.name] = (method, route.path.removeprefix(base))
    return served


@pytest.mark.usefixtures("official_contracts")
@pytest.mark.parametrize(("prefix", "spec"), SPEC_BY_PREFIX.items())
def test_routes_are_official_operations(prefix: str, spec: Any) -> None:
    document: dict[str, Any] = json.loads((CONTRACTS_DIR / spec).read_text())
    official = {
        operation["operationId"]: (method.upper(), path.rstrip("/"))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    served = served_operations(prefix)
    assert served, f"no routes found under {prefix}"
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
