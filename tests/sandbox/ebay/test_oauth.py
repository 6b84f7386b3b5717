"""OAuth: consent redirect, the three grants, client authentication, expiry, scopes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from stockbridge.sandbox.ebay.oauth import API_SCOPE, SELL_INVENTORY, SELL_INVENTORY_READONLY
from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import CLIENT_ID, REDIRECT_URI, EbayHarness, StartSandbox

FULFILLMENT = f"{API_SCOPE}/sell.fulfillment"


def test_authorize_redirects_back_with_code_and_state(ebay: EbayHarness) -> None:
    answer = ebay.http.get(
        "/oauth2/authorize",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": f"{SELL_INVENTORY} {FULFILLMENT}",
            "state": "csrf-123",
        },
    )
    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT_URI
    query = parse_qs(target.query)
    assert query["state"] == ["csrf-123"]
    assert query["code"][0]
    assert query["expires_in"] == ["299"]


def test_authorize_refuses_unknown_scopes_through_the_redirect(ebay: EbayHarness) -> None:
    answer = ebay.http.get(
        "/oauth2/authorize",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": f"{API_SCOPE}/sell.everything",
            "state": "s",
        },
    )
    assert parse_qs(urlsplit(answer.headers["location"]).query) == {
        "state": ["s"],
        "error": ["invalid_scope"],
    }


def test_authorize_errors_before_any_redirect_use_the_oauth_shape(ebay: EbayHarness) -> None:
    unknown = ebay.http.get("/oauth2/authorize", params={"client_id": "someone-else"})
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_client")
    no_uri = ebay.http.get("/oauth2/authorize", params={"client_id": CLIENT_ID})
    assert (no_uri.status_code, no_uri.json()["error"]) == (400, "invalid_request")


def test_code_exchange_gives_user_and_refresh_tokens(ebay: EbayHarness) -> None:
    tokens = ebay.user_tokens([SELL_INVENTORY])
    assert tokens["token_type"] == "User Access Token"
    assert tokens["expires_in"] == 7200
    assert tokens["refresh_token_expires_in"] == 47_304_000
    assert tokens["access_token"] != tokens["refresh_token"]
    ebay.call("PUT", "/inventory_item/A", token=tokens["access_token"], json={})


def test_a_code_is_single_use_and_bound_to_its_redirect_uri(ebay: EbayHarness) -> None:
    code = ebay.authorize([SELL_INVENTORY])
    wrong_uri = ebay.token_call(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://evil.example"}
    )
    assert wrong_uri.status_code == 400
    assert wrong_uri.json()["error"] == "invalid_grant"
    reused = ebay.token_call(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    )
    assert reused.json()["error"] == "invalid_grant"


def test_refresh_gives_a_new_access_token_for_a_subset_of_scopes(ebay: EbayHarness) -> None:
    tokens = ebay.user_tokens([SELL_INVENTORY, FULFILLMENT])

    refreshed = ebay.token_call(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "scope": SELL_INVENTORY,
        }
    )
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "User Access Token"
    assert ebay.call("GET", "/inventory_item", token=body["access_token"]).status_code == 200

    wider = ebay.token_call(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "scope": f"{SELL_INVENTORY} {API_SCOPE}/sell.account",
        }
    )
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


def test_client_credentials_gives_an_application_token(ebay: EbayHarness) -> None:
    answer = ebay.token_call({"grant_type": "client_credentials", "scope": API_SCOPE})
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "Application Access Token"
    assert "refresh_token" not in answer.json()

    # An application token reaches public data only, never a seller's inventory.
    denied = ebay.call("GET", "/inventory_item", token=answer.json()["access_token"])
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["errorId"] == 1100

    sell_scope = ebay.token_call({"grant_type": "client_credentials", "scope": SELL_INVENTORY})
    assert sell_scope.status_code == 400
    assert sell_scope.json()["error"] == "invalid_scope"


def test_bad_client_secret_is_invalid_client(ebay: EbayHarness) -> None:
    answer = ebay.token_call({"grant_type": "client_credentials"}, secret="wrong")
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed",
    }
    no_auth = ebay.http.post("/identity/v1/oauth2/token", data={"grant_type": "client_credentials"})
    assert no_auth.status_code == 401


def test_unsupported_grant_type(ebay: EbayHarness) -> None:
    answer = ebay.token_call({"grant_type": "password"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_expired_token_is_401_with_error_1001(start_sandbox: StartSandbox) -> None:
    ebay = start_sandbox(access_token_ttl=60)
    token = ebay.user_token()
    assert ebay.call("GET", "/inventory_item", token=token).status_code == 200

    ebay.clock.advance(61)

    answer = ebay.call("GET", "/inventory_item", token=token)
    assert answer.status_code == 401
    assert answer.json() == {
        "errors": [
            {
                "errorId": 1001,
                "domain": "OAuth",
                "category": "REQUEST",
                "message": "Invalid access token",
                "longMessage": "Invalid access token. Check the value of the Authorization "
                "HTTP request header.",
            }
        ]
    }


def test_unknown_or_missing_token_is_401(ebay: EbayHarness) -> None:
    assert ebay.call("GET", "/inventory_item", token="v^1.1#made-up").status_code == 401
    answer = ebay.http.get("/sell/inventory/v1/inventory_item")
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["errorId"] == 1001


def test_scopes_are_enforced_per_operation(ebay: EbayHarness) -> None:
    read_only = ebay.user_token([SELL_INVENTORY_READONLY])
    assert ebay.call("GET", "/inventory_item", token=read_only).status_code == 200

    write = ebay.call("PUT", "/inventory_item/A", token=read_only, json=payloads.inventory_item())
    assert write.status_code == 403
    assert write.json()["errors"][0] == {
        "errorId": 1100,
        "domain": "ACCESS",
        "category": "REQUEST",
        "message": "Access denied",
        "longMessage": "Insufficient permissions to fulfill the request.",
    }
    fulfillment_only = ebay.user_token([FULFILLMENT])
    assert ebay.call("GET", "/inventory_item", token=fulfillment_only).status_code == 403


def test_a_revoked_seller_grant_refuses_its_tokens_until_a_new_consent(ebay: EbayHarness) -> None:
    tokens = ebay.user_tokens()
    app_token = ebay.token_call({"grant_type": "client_credentials"}).json()["access_token"]

    revoked = ebay.http.post("/_sandbox/oauth/revoke")

    assert revoked.json() == {"access_tokens": 1, "refresh_tokens": 1}
    call = ebay.call("GET", "/inventory_item", token=tokens["access_token"])
    assert (call.status_code, call.json()["errors"][0]["errorId"]) == (401, 1001)
    refresh = ebay.token_call(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_grant")
    # The application's token is kept: still known (403 for want of scope, not 401).
    assert ebay.call("GET", "/inventory_item", token=app_token).status_code == 403
    assert ebay.call("GET", "/inventory_item", token=ebay.user_token()).status_code == 200
