"""Per-token call budget, injected faults, the call log and reset, on the eBay sandbox."""

from __future__ import annotations

from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness, StartSandbox


def test_call_budget_per_token_gives_429(start_sandbox: StartSandbox) -> None:
    ebay = start_sandbox(calls_per_token=3)
    token = ebay.user_token()
    for _ in range(3):
        assert ebay.call("GET", "/inventory_item", token=token).status_code == 200

    answer = ebay.call("GET", "/inventory_item", token=token)

    assert answer.status_code == 429
    assert answer.json() == {
        "errors": [
            {
                "errorId": 2001,
                "domain": "ACCESS",
                "category": "REQUEST",
                "message": "Too many requests. The request limit has been reached for the "
                "resource.",
            }
        ]
    }
    # The budget is per token: a fresh token may call again.
    assert ebay.call("GET", "/inventory_item", token=ebay.user_token()).status_code == 200


def test_fault_503_at_rate_one_then_cleared(ebay: EbayHarness) -> None:
    rule = {"path_pattern": "^/sell/inventory/v1/inventory_item", "method": "GET", "status": 503}
    assert ebay.http.post("/_sandbox/faults", json=rule).status_code == 201

    faulted = ebay.call("GET", "/inventory_item")
    assert faulted.status_code == 503
    error = faulted.json()["errors"][0]
    assert (error["errorId"], error["domain"], error["category"]) == (
        25001,
        "API_INVENTORY",
        "APPLICATION",
    )
    assert ebay.call("PUT", "/inventory_item/A", json=payloads.inventory_item()).status_code == 204

    assert ebay.http.delete("/_sandbox/faults").status_code == 204
    assert ebay.call("GET", "/inventory_item").status_code == 200


def test_fault_429_uses_the_rate_limit_error(ebay: EbayHarness) -> None:
    ebay.http.post("/_sandbox/faults", json={"path_pattern": "/offer", "status": 429})
    answer = ebay.call("GET", "/offer", params={"sku": "A"})
    assert answer.status_code == 429
    assert answer.json()["errors"][0]["errorId"] == 2001


def test_forced_token_expiry(ebay: EbayHarness) -> None:
    token = ebay.user_token()
    ebay.http.post("/_sandbox/faults", json={"path_pattern": "^/sell/", "expire_token": True})

    answer = ebay.call("GET", "/inventory_item", token=token)

    assert answer.status_code == 401
    assert answer.json()["errors"][0]["errorId"] == 1001


def test_calls_are_counted_per_ebay_operation(ebay: EbayHarness) -> None:
    token = ebay.user_token()
    ebay.http.delete("/_sandbox/calls")
    ebay.call("PUT", "/inventory_item/A", token=token, json=payloads.inventory_item())
    ebay.call("PUT", "/inventory_item/B", token=token, json=payloads.inventory_item())
    ebay.call("GET", "/inventory_item/A", token=token)
    ebay.token_call({"grant_type": "client_credentials"})

    counts = ebay.http.get("/_sandbox/calls").json()["counts"]

    assert counts == {
        "createOrReplaceInventoryItem": 2,
        "getInventoryItem": 1,
        "getToken:client_credentials": 1,
    }


def test_reset_empties_the_sandbox(ebay: EbayHarness) -> None:
    ebay.call("PUT", "/inventory_item/A", json=payloads.inventory_item())
    assert ebay.http.post("/_sandbox/reset").status_code == 204
    state = ebay.get_state()
    assert state["inventory_items"] == {}
    assert state["tokens"] == {"access": 0, "refresh": 0}
