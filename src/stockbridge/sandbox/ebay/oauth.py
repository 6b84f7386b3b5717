"""eBay OAuth 2.0: the consent page, the token endpoint, and token checks on API calls.

Grants as eBay documents them ("Getting access tokens"): ``authorization_code`` (user
consent; access token 2 h plus refresh token about 18 months), ``refresh_token`` (a new
access token for the same or fewer scopes; no new refresh token) and
``client_credentials`` (an application token for public data only). The client
authenticates with HTTP Basic ``client_id:client_secret``; token endpoint errors use the
RFC 6749 shape, API call errors eBay's REST shape.

Deviation: real eBay's ``redirect_uri`` is the app's RuName, which eBay maps to a
configured "accept URL"; the sandbox redirects to the value given, which must be an
absolute http(s) URL, and the code exchange must repeat it exactly.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse

from stockbridge.sandbox.control import (
    CONTROL_PREFIX,
    operation_from_route_name,
    set_operation,
    token_expiry_forced,
)
from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep, get_sandbox
from stockbridge.sandbox.ebay.errors import OAuthError
from stockbridge.sandbox.ebay.state import AccessGrant, AuthCode, RefreshGrant

API_SCOPE = "https://api.ebay.com/oauth/api_scope"
SELL_INVENTORY = f"{API_SCOPE}/sell.inventory"
SELL_INVENTORY_READONLY = f"{API_SCOPE}/sell.inventory.readonly"
SELL_ACCOUNT = f"{API_SCOPE}/sell.account"
SELL_ACCOUNT_READONLY = f"{API_SCOPE}/sell.account.readonly"
SELL_FULFILLMENT = f"{API_SCOPE}/sell.fulfillment"
SELL_FULFILLMENT_READONLY = f"{API_SCOPE}/sell.fulfillment.readonly"
#: issueRefund's scope in the official Fulfillment file (not sell.fulfillment).
SELL_FINANCES = f"{API_SCOPE}/sell.finances"
#: Scopes a user may consent to in the sandbox (the Sell APIs of DESIGN.md section 6).
USER_SCOPES = frozenset(
    {
        API_SCOPE,
        SELL_INVENTORY,
        SELL_INVENTORY_READONLY,
        SELL_ACCOUNT,
        SELL_ACCOUNT_READONLY,
        SELL_FULFILLMENT,
        SELL_FULFILLMENT_READONLY,
        SELL_FINANCES,
        f"{API_SCOPE}/commerce.notification.subscription",
        f"{API_SCOPE}/commerce.notification.subscription.readonly",
    }
)
#: An application token reaches public data only.
APPLICATION_SCOPES = frozenset({API_SCOPE})

router = APIRouter(tags=["eBay OAuth"], dependencies=[Depends(operation_from_route_name)])
#: The seller's side of OAuth that tests play over HTTP (``/_sandbox/oauth``).
control = APIRouter(prefix=f"{CONTROL_PREFIX}/oauth", tags=["sandbox control"])


def _new_token(kind: str) -> str:
    # Shaped like eBay's tokens (``v^1.1#i^1#...``) so clients must URL-encode them.
    return f"v^1.1#i^1#{kind}^1#r^1#t^{secrets.token_urlsafe(48)}"


def _scopes(raw: str | None) -> list[str]:
    return [scope for scope in (raw or "").split() if scope]


@router.get("/oauth2/authorize", name="authorize")
def authorize(
    sandbox: SandboxDep,
    client_id: str = "",
    redirect_uri: str = "",
    response_type: str = "",
    scope: str = "",
    state: str | None = None,
) -> RedirectResponse:
    """Consent is simulated: the user always agrees, and is sent back with a code.

    Parameters default to empty so that a missing one is answered in the OAuth error
    shape here, not in the REST shape of FastAPI's validation handler.
    """
    if client_id != sandbox.config.client_id:
        raise OAuthError(400, "invalid_client", "unknown client_id")
    if urlsplit(redirect_uri).scheme not in {"http", "https"}:
        raise OAuthError(400, "invalid_request", "redirect_uri must be an absolute URL")
    back: dict[str, str] = {"state": state} if state is not None else {}
    requested = _scopes(scope)
    if response_type != "code":
        back["error"] = "unsupported_response_type"
    elif not requested or not set(requested) <= USER_SCOPES:
        back["error"] = "invalid_scope"
    else:
        code = AuthCode(
            code=_new_token("c"),
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=requested,
            expires_at=sandbox.now() + sandbox.config.auth_code_ttl,
        )
        with sandbox.store.change() as held:
            held.auth_codes[code.code] = code
        back |= {"code": code.code, "expires_in": str(sandbox.config.auth_code_ttl)}
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(back)}", status_code=302)


@router.post("/identity/v1/oauth2/token", name="getToken")
async def token(request: Request, sandbox: SandboxDep) -> JSONResponse:
    _authenticate_client(request, sandbox)
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise OAuthError(400, "invalid_request", "request body must be form-urlencoded")
    form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
    grant_type = form.get("grant_type", "")
    set_operation(request, f"getToken:{grant_type or 'missing'}")
    if grant_type == "authorization_code":
        body = _exchange_code(sandbox, form)
    elif grant_type == "refresh_token":
        body = _refresh(sandbox, form)
    elif grant_type == "client_credentials":
        body = _application_token(sandbox, form)
    else:
        raise OAuthError(400, "unsupported_grant_type", "grant type in request is not supported")
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@control.post("/revoke")
def revoke_user_tokens(sandbox: SandboxDep) -> dict[str, int]:
    """The seller revokes the app's access (eBay account settings, "Third-party app
    access"): every user access token and refresh token stops working at once, and
    only a new consent gives the app new ones. Application tokens are not affected."""
    with sandbox.store.change() as held:
        users = [token for token, grant in held.access_tokens.items() if grant.kind == "user"]
        for token in users:
            del held.access_tokens[token]
        refresh = len(held.refresh_tokens)
        held.refresh_tokens.clear()
    return {"access_tokens": len(users), "refresh_tokens": refresh}


def _authenticate_client(request: Request, sandbox: EbaySandbox) -> None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        client_id, secret = "", ""
    config = sandbox.config
    if scheme.lower() != "basic" or not (
        secrets.compare_digest(client_id, config.client_id)
        and secrets.compare_digest(secret, config.client_secret)
    ):
        raise OAuthError(401, "invalid_client", "client authentication failed")


def _issue_access(sandbox: EbaySandbox, kind: str, scopes: list[str]) -> AccessGrant:
    grant = AccessGrant(
        token=_new_token("p"),
        kind="user" if kind == "user" else "application",
        client_id=sandbox.config.client_id,
        scopes=scopes,
        expires_at=sandbox.now() + sandbox.config.access_token_ttl,
    )
    with sandbox.store.change() as held:
        held.access_tokens[grant.token] = grant
    return grant


def _exchange_code(sandbox: EbaySandbox, form: dict[str, str]) -> dict[str, object]:
    with sandbox.store.change() as held:
        # Codes are single use: taken out whether or not the exchange succeeds.
        code = held.auth_codes.pop(form.get("code", ""), None)
    if (
        code is None
        or code.expires_at <= sandbox.now()
        or code.redirect_uri != form.get("redirect_uri")
    ):
        raise OAuthError(
            400,
            "invalid_grant",
            "the provided authorization grant code is invalid or was issued to another client",
        )
    access = _issue_access(sandbox, "user", code.scopes)
    refresh = RefreshGrant(
        token=_new_token("r"),
        client_id=code.client_id,
        scopes=code.scopes,
        expires_at=sandbox.now() + sandbox.config.refresh_token_ttl,
    )
    with sandbox.store.change() as held:
        held.refresh_tokens[refresh.token] = refresh
    return {
        "access_token": access.token,
        "expires_in": sandbox.config.access_token_ttl,
        "refresh_token": refresh.token,
        "refresh_token_expires_in": sandbox.config.refresh_token_ttl,
        "token_type": "User Access Token",
    }


def _refresh(sandbox: EbaySandbox, form: dict[str, str]) -> dict[str, object]:
    refresh = sandbox.store.state.refresh_tokens.get(form.get("refresh_token", ""))
    if refresh is None or refresh.expires_at <= sandbox.now():
        raise OAuthError(
            400,
            "invalid_grant",
            "the provided authorization refresh token is invalid or was issued to another client",
        )
    requested = _scopes(form.get("scope")) or refresh.scopes
    if not set(requested) <= set(refresh.scopes):
        raise OAuthError(
            400,
            "invalid_scope",
            "The requested scope is invalid, unknown, malformed, or exceeds the scope "
            "granted to the client",
        )
    access = _issue_access(sandbox, "user", requested)
    return {
        "access_token": access.token,
        "expires_in": sandbox.config.access_token_ttl,
        "token_type": "User Access Token",
    }


def _application_token(sandbox: EbaySandbox, form: dict[str, str]) -> dict[str, object]:
    requested = _scopes(form.get("scope")) or [API_SCOPE]
    if not set(requested) <= APPLICATION_SCOPES:
        raise OAuthError(
            400,
            "invalid_scope",
            "The requested scope is invalid, unknown, malformed, or exceeds the scope "
            "granted to the client",
        )
    access = _issue_access(sandbox, "application", requested)
    return {
        "access_token": access.token,
        "expires_in": sandbox.config.access_token_ttl,
        "token_type": "Application Access Token",
    }


def require_scope(*accepted: str) -> Callable[[Request], Awaitable[AccessGrant]]:
    """Dependency: a live access token holding one of ``accepted``, within its budget.

    ``accepted`` lists the scopes the official file gives the operation's ``security``
    (reads take ``sell.inventory`` or ``sell.inventory.readonly``; writes the first).
    """

    async def check(request: Request) -> AccessGrant:
        sandbox = get_sandbox(request)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        grant = sandbox.store.state.access_tokens.get(token) if scheme.lower() == "bearer" else None
        if grant is None or grant.expires_at <= sandbox.now() or token_expiry_forced(request):
            raise errors.invalid_token()
        if not set(accepted) & set(grant.scopes):
            raise errors.insufficient_scope()
        budget = sandbox.config.calls_per_token
        with sandbox.store.lock:
            grant.calls += 1
            over = budget is not None and grant.calls > budget
        if over:
            raise errors.too_many_requests()
        return grant

    return check
