"""Shopify's OAuth install flow for an app: consent (simulated), then a code for a token.

``GET /admin/oauth/authorize`` plays a merchant who approves the app at once: it
redirects (302) to ``redirect_uri`` with ``code``, ``hmac``, ``host``, ``shop``,
``state`` and ``timestamp``, signed as Shopify signs them: hex HMAC-SHA256, keyed with
the app's client secret, of the other parameters sorted by key and joined as
``k=v&k=v``. ``POST /admin/oauth/access_token`` (JSON or form) trades ``client_id``,
``client_secret`` and ``code`` for ``{"access_token", "scope"}``. Codes are single-use
and expire after ``auth_code_ttl``; the tokens they buy work on the GraphQL endpoint
with the granted scopes (scopes.py), and both live in the state, so they survive a
restart with ``--state``.

Errors use the OAuth shape Shopify answers with, ``{"error", "error_description"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from stockbridge.sandbox.control import set_operation
from stockbridge.sandbox.shopify.config import ShopifySandboxConfig
from stockbridge.sandbox.shopify.order_records import OAuthGrantRecord, OAuthTokenRecord
from stockbridge.sandbox.shopify.scopes import KNOWN_SCOPES
from stockbridge.sandbox.shopify.state import ShopState, utc_from_timestamp

CODE_NOT_FOUND = "The authorization code was not found or was already used"
#: Parameters that are not part of the signed message.
UNSIGNED = ("hmac", "signature")


def install_hmac(params: Mapping[str, str], secret: str) -> str:
    """Shopify's signature of a redirect's query parameters (``hmac`` itself left out)."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in UNSIGNED)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_install_hmac(params: Mapping[str, str], secret: str) -> bool:
    """What an app checks on the redirect: the ``hmac`` matches the other parameters."""
    return hmac.compare_digest(install_hmac(params, secret), params.get("hmac", ""))


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _host(domain: str) -> str:
    """Shopify's ``host``: the admin address of the shop, base64-encoded, unpadded."""
    store = domain.removesuffix(".myshopify.com")
    return base64.b64encode(f"admin.shopify.com/store/{store}".encode()).decode().rstrip("=")


async def _body_fields(request: Request) -> dict[str, str]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}
    merged = dict(parse_qsl(raw.decode(errors="replace")))
    merged.update(request.query_params)
    return merged


def oauth_router(
    config: ShopifySandboxConfig,
    current_state: Callable[[], ShopState],
    persist: Callable[[], None],
) -> APIRouter:
    """The two install-flow routes of one sandbox shop."""
    router = APIRouter(tags=["Shopify OAuth"])

    @router.get("/admin/oauth/authorize", response_model=None)
    def authorize(
        request: Request,
        client_id: str = "",
        scope: str = "",
        redirect_uri: str = "",
        state: str | None = None,
    ) -> JSONResponse | RedirectResponse:
        set_operation(request, "oauth:authorize")
        if client_id != config.client_id:
            message = f"Could not find Shopify API application with api_key {client_id}"
            return _oauth_error("invalid_request", message)
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            return _oauth_error("invalid_request", "The redirect_uri is missing or not valid")
        scopes = [s.strip() for s in scope.split(",") if s.strip()]
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            return _oauth_error("invalid_scope", f"Scope undefined: {', '.join(unknown)}")
        now = config.clock()
        code = secrets.token_hex(16)
        shop = current_state()
        with shop.lock:
            shop.oauth_grants[code] = OAuthGrantRecord(
                code=code,
                client_id=client_id,
                scopes=scopes,
                expires_at=utc_from_timestamp(now + config.auth_code_ttl),
            )
        persist()
        params = {
            "code": code,
            "host": _host(config.shop_domain),
            "shop": config.shop_domain,
            "timestamp": str(int(now)),
        }
        if state is not None:
            params["state"] = state
        params["hmac"] = install_hmac(params, config.client_secret)
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(redirect_uri + joiner + urlencode(params), status_code=302)

    @router.post("/admin/oauth/access_token")
    async def access_token(request: Request) -> JSONResponse:
        set_operation(request, "oauth:access_token")
        fields = await _body_fields(request)
        if not all(fields.get(k) for k in ("client_id", "client_secret", "code")):
            return _oauth_error("invalid_request", "client_id, client_secret and code are required")
        if fields["client_id"] != config.client_id:
            return _oauth_error(
                "invalid_request",
                f"Could not find Shopify API application with api_key {fields['client_id']}",
            )
        if not hmac.compare_digest(fields["client_secret"], config.client_secret):
            return _oauth_error("invalid_client", "Client authentication failed")
        return _exchange(fields["code"])

    def _exchange(code: str) -> JSONResponse:
        shop = current_state()
        now = utc_from_timestamp(config.clock())
        with shop.lock:
            grant = shop.oauth_grants.pop(code, None)  # single use, even when expired
            if grant is None or grant.expires_at <= now or grant.client_id != config.client_id:
                return _oauth_error("invalid_request", CODE_NOT_FOUND)
            token = "shpca_" + secrets.token_hex(16)
            shop.oauth_tokens[token] = OAuthTokenRecord(
                client_id=grant.client_id, scopes=grant.scopes, created_at=now
            )
            # Expired codes nobody came back for would otherwise pile up in the state.
            for stale in [c for c, g in shop.oauth_grants.items() if g.expires_at <= now]:
                del shop.oauth_grants[stale]
        persist()
        body: dict[str, Any] = {"access_token": token, "scope": ",".join(grant.scopes)}
        return JSONResponse(body)

    return router
