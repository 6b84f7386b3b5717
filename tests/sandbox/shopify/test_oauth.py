"""The OAuth install flow: signed redirect, single-use code, scoped token."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from stockbridge.sandbox.shopify.oauth import CODE_NOT_FOUND, verify_install_hmac
from tests.sandbox.shopify.order_flow import ORDERS
from tests.sandbox.shopify.shop_client import GRAPHQL_PATH, ShopifyClient

CLIENT_ID = "stockbridge-sandbox-app"
SECRET = "stockbridge-sandbox-app-secret"
CALLBACK = "https://app.example/auth/callback"


def _authorize(shopify: ShopifyClient, scope: str, state: str = "nonce-1") -> dict[str, str]:
    query = urlencode(
        {"client_id": CLIENT_ID, "scope": scope, "redirect_uri": CALLBACK, "state": state}
    )
    response = shopify.http.get(f"/admin/oauth/authorize?{query}")
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return dict(parse_qsl(urlsplit(location).query))


def _token(shopify: ShopifyClient, code: str, **override: str) -> tuple[int, dict[str, str]]:
    body = {"client_id": CLIENT_ID, "client_secret": SECRET, "code": code, **override}
    response = shopify.http.post("/admin/oauth/access_token", json=body)
    return response.status_code, response.json()


def test_the_redirect_is_signed_the_way_an_app_verifies_it(shopify: ShopifyClient) -> None:
    params = _authorize(shopify, "read_orders,write_products")
    assert set(params) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert params["shop"] == "stockbridge-sandbox.myshopify.com"
    assert params["state"] == "nonce-1"
    assert params["timestamp"] == str(int(shopify.clock()))
    assert verify_install_hmac(params, SECRET)
    # The check an app makes, written out: hex HMAC-SHA256 of the sorted k=v pairs.
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    expected = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert params["hmac"] == expected
    tampered = {**params, "shop": "someone-else.myshopify.com"}
    assert not verify_install_hmac(tampered, SECRET)
    assert not verify_install_hmac(params, "another-secret")


def test_a_code_buys_one_token_whose_scopes_are_enforced(shopify: ShopifyClient) -> None:
    code = _authorize(shopify, "read_products")["code"]
    status, body = _token(shopify, code)
    assert status == 200
    assert body["scope"] == "read_products"
    token = body["access_token"]
    products = shopify.post("{ products(first: 1) { nodes { id } } }", token=token)
    assert products.status_code == 200
    assert "errors" not in products.json()
    denied = shopify.post("{ orders(first: 1) { nodes { id } } }", token=token).json()
    [error] = denied["errors"]
    assert error["message"] == (
        "Access denied for orders field. Required access: `read_orders` access scope."
    )
    assert error["extensions"] == {
        "code": "ACCESS_DENIED",
        "documentation": "https://shopify.dev/api/usage/access-scopes",
        "requiredAccess": "`read_orders` access scope.",
    }
    assert error["path"] == ["orders"]
    assert _token(shopify, code) == (
        400,
        {"error": "invalid_request", "error_description": CODE_NOT_FOUND},
    )


def test_a_write_scope_implies_its_read_scope(shopify: ShopifyClient) -> None:
    code = _authorize(shopify, "write_orders")["code"]
    token = _token(shopify, code)[1]["access_token"]
    answer = shopify.post(ORDERS, {"first": 5}, token=token).json()
    assert answer["data"]["orders"]["edges"] == []


def test_form_encoded_exchange_works_too(shopify: ShopifyClient) -> None:
    code = _authorize(shopify, "read_orders")["code"]
    response = shopify.http.post(
        "/admin/oauth/access_token",
        data={"client_id": CLIENT_ID, "client_secret": SECRET, "code": code},
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "read_orders"


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "another-app"}, "invalid_request"),
        ({"code": "made-up"}, "invalid_request"),
    ],
)
def test_wrong_credentials_or_codes_get_shopifys_oauth_error(
    shopify: ShopifyClient, override: dict[str, str], error: str
) -> None:
    code = _authorize(shopify, "read_orders")["code"]
    status, body = _token(shopify, override.pop("code", code), **override)
    assert status == 400
    assert body["error"] == error


def test_a_code_expires(shopify: ShopifyClient) -> None:
    code = _authorize(shopify, "read_orders")["code"]
    shopify.clock.advance(61)
    assert _token(shopify, code)[1]["error_description"] == CODE_NOT_FOUND


def test_unknown_apps_scopes_and_redirects_are_refused(shopify: ShopifyClient) -> None:
    base = {"client_id": CLIENT_ID, "scope": "read_orders", "redirect_uri": CALLBACK}
    for bad, error in (
        ({"client_id": "nope"}, "invalid_request"),
        ({"scope": "read_orders,read_everything"}, "invalid_scope"),
        ({"redirect_uri": "javascript:alert(1)"}, "invalid_request"),
    ):
        response = shopify.http.get(f"/admin/oauth/authorize?{urlencode({**base, **bad})}")
        assert response.status_code == 400
        assert response.json()["error"] == error


def test_an_unknown_token_is_still_a_401(shopify: ShopifyClient) -> None:
    response = shopify.http.post(
        GRAPHQL_PATH,
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": "shpca_unknown"},
    )
    assert response.status_code == 401
