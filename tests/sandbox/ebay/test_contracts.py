"""Contract mode: requests and responses checked live against eBay's official files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from stockbridge.sandbox.ebay import EbaySandboxConfig
from stockbridge.sandbox.ebay.config import CONTRACTS_ENV, INVENTORY_SPEC, SPEC_BY_PREFIX
from stockbridge.sandbox.ebay.contracts import ContractMiddleware, ContractViolations
from tests.sandbox.contracts import CONTRACTS_DIR
from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness, StartSandbox
from tests.sandbox.ebay.shop import FULFILLMENT, api, bought, list_item
from tests.sandbox.servers import serve_in_thread

needs_contracts = pytest.mark.usefixtures("official_contracts")


def spec_forbidden_item() -> dict[str, Any]:
    """Fine for the sandbox's own model (an unknown field is kept), not for eBay's file."""
    body = payloads.inventory_item()
    body["conditionDescription"] = 5  # the file says string
    return body


@needs_contracts
def test_a_request_the_contract_forbids_is_400_and_recorded(ebay: EbayHarness) -> None:
    answer = ebay.call("PUT", "/inventory_item/LAMP-1", json=spec_forbidden_item())

    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert (error["errorId"], error["domain"]) == (25709, "API_INVENTORY")
    assert "conditionDescription" in error["message"]
    violations = ebay.violations.take()
    assert len(violations) == 1
    assert violations[0].startswith("request PUT /sell/inventory/v1/inventory_item/LAMP-1")
    assert ebay.call("GET", "/inventory_item/LAMP-1").status_code == 404  # never stored


def test_without_contracts_validation_is_off(start_sandbox: StartSandbox) -> None:
    ebay = start_sandbox(contracts_dir=None)

    answer = ebay.call("PUT", "/inventory_item/LAMP-1", json=spec_forbidden_item())

    assert answer.status_code == 204
    assert ebay.violations.peek() == []


def broken_sandbox() -> FastAPI:
    """A deliberately wrong sandbox, to prove contract mode catches its answers."""
    broken = FastAPI()

    @broken.get("/sell/inventory/v1/inventory_item/{sku}")
    def get_item(sku: str) -> JSONResponse:
        if sku == "MISSING":  # FastAPI's own error shape, not eBay's
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        # quantity must be an integer in the official file
        return JSONResponse(
            {"sku": sku, "availability": {"shipToLocationAvailability": {"quantity": "many"}}}
        )

    return broken


@needs_contracts
@pytest.mark.parametrize(
    ("sku", "status", "reason"),
    [("A", 200, "quantity"), ("MISSING", 404, "error body")],
)
def test_a_response_the_contract_forbids_is_500_and_recorded(
    sku: str, status: int, reason: str
) -> None:
    violations = ContractViolations()
    app = ContractMiddleware(
        broken_sandbox(),
        specs={"/sell/inventory/v1": CONTRACTS_DIR / INVENTORY_SPEC},
        violations=violations,
    )
    with serve_in_thread(app) as base_url:
        answer = httpx.get(
            f"{base_url}/sell/inventory/v1/inventory_item/{sku}",
            headers={"Authorization": "Bearer x"},
        )

    assert answer.status_code == 500
    assert answer.json()["errors"][0]["errorId"] == 25001
    [violation] = violations.take()
    assert violation.startswith(f"response {status} to GET /sell/inventory/v1/inventory_item/{sku}")
    assert reason in violation


def test_contract_mode_follows_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CONTRACTS_ENV, str(tmp_path))
    assert EbaySandboxConfig().inventory_spec == tmp_path / INVENTORY_SPEC
    monkeypatch.delenv(CONTRACTS_ENV)
    assert EbaySandboxConfig().inventory_spec is None


@needs_contracts
def test_fulfillment_calls_are_held_to_their_own_file(ebay: EbayHarness) -> None:
    list_item(ebay, "LAMP-1", 2)
    order = bought(ebay, ("LAMP-1", 1))
    line = order["lineItems"][0]["lineItemId"]
    path = f"{FULFILLMENT}/order/{order['orderId']}/shipping_fulfillment"

    answer = api(ebay, "POST", path, json={"lineItems": [{"lineItemId": line, "quantity": "1"}]})

    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert (error["errorId"], error["domain"]) == (32600, "API_FULFILLMENT")
    [violation] = ebay.violations.take()
    assert violation.startswith(f"request POST {path}")
    assert "quantity" in violation
    assert ebay.get_state()["fulfillments"] == {}


def test_contract_specs_follow_the_table(tmp_path: Path) -> None:
    config = EbaySandboxConfig(contracts_dir=tmp_path)
    assert config.contract_specs == {
        prefix: tmp_path / spec for prefix, spec in SPEC_BY_PREFIX.items()
    }
    assert set(SPEC_BY_PREFIX) >= {"/sell/inventory/v1", "/sell/fulfillment/v1", "/sell/account/v1"}
    assert EbaySandboxConfig(contracts_dir=None).contract_specs == {}
