"""Getting an Admin API token for one shop: Shopify's app-install OAuth, or a custom-app token.

Install flow (authorization code grant): the owner is sent to
``https://{shop}/admin/oauth/authorize?client_id&scope&redirect_uri&state``; Shopify
redirects back with ``code``, ``shop``, ``state``, ``timestamp`` and ``hmac``. The
callback is accepted only when the ``state`` nonce is the one we issued, the ``hmac``
(hex HMAC-SHA256 with the app's client secret over the other parameters, sorted,
``key=value`` joined by ``&``) verifies in constant time, and ``shop`` is a valid
``*.myshopify.com`` name (or the host of a stockbridge sandbox used as the base URL).
Then the code is exchanged at ``/admin/oauth/access_token``. Shopify's offline tokens
do not expire, so there is nothing to refresh.

A custom app's token (``shpat_...``) is entered as it is and needs none of this.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urlsplit

import httpx

from stockbridge.channels.base import OAuthStart, TokenSet
from stockbridge.channels.shopify.client import error_from_http, error_from_transport
from stockbridge.errors import ChannelError, ChannelErrorCategory

#: What stockbridge needs: catalog, stock, locations, orders, fulfilment, returns.
DEFAULT_SCOPES: tuple[str, ...] = (
    "read_products",
    "write_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_orders",
    "write_orders",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
    "read_returns",
    "write_returns",
)

_SHOP_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")


def _refused(message: str, field: str | None = None) -> ChannelError:
    return ChannelError(message, category=ChannelErrorCategory.AUTH_FAILED, field=field)


def shop_host(base_url: str) -> str:
    """``https://lamps.myshopify.com`` -> ``lamps.myshopify.com``; keeps a sandbox's port."""
    return urlsplit(base_url).netloc.lower()


def valid_shop(shop: str, base_url: str) -> bool:
    """Is ``shop`` the shop this connection is for?

    For a ``*.myshopify.com`` base URL it must be that very name; for a stockbridge
    sandbox (any other base URL) a valid ``*.myshopify.com`` name or the sandbox's host.
    """
    shop, host = shop.strip().lower(), shop_host(base_url)
    if _SHOP_DOMAIN.fullmatch(host):
        return shop == host
    return bool(_SHOP_DOMAIN.fullmatch(shop)) or shop == host


def authorize_url(
    base_url: str, client_id: str, scopes: Sequence[str], redirect_uri: str, state: str
) -> OAuthStart:
    query = urlencode(
        {
            "client_id": client_id,
            "scope": ",".join(scopes),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return OAuthStart(url=f"{base_url.rstrip('/')}/admin/oauth/authorize?{query}", state=state)


def callback_hmac(query: Mapping[str, str], client_secret: str) -> str:
    """The hex HMAC-SHA256 Shopify puts in ``hmac``: over the other params, sorted."""
    message = "&".join(
        f"{key}={value}" for key, value in sorted(query.items()) if key not in ("hmac", "signature")
    )
    return hmac.new(client_secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_callback(
    query: Mapping[str, str],
    *,
    client_secret: str,
    base_url: str,
    expected_state: str | None = None,
) -> str:
    """Checks a redirect back from Shopify; returns its ``code`` or raises AUTH_FAILED.

    ``expected_state`` is compared when given; through the adapter the caller has
    already checked ``state`` (``commerce.channels.finish_oauth`` opens the sealed nonce
    it issued), so the adapter checks what only it can: the hmac and the shop.
    """
    state = query.get("state", "")
    if expected_state is not None and not hmac.compare_digest(
        state.encode(), expected_state.encode()
    ):
        raise _refused("the OAuth callback's state is not the one issued", field="state")
    if not state:
        raise _refused("the OAuth callback carries no state", field="state")
    given = query.get("hmac", "")
    wanted = callback_hmac(query, client_secret)
    if not hmac.compare_digest(given.lower().encode(), wanted.encode()):
        raise _refused("the OAuth callback's hmac does not verify", field="hmac")
    shop = query.get("shop", "")
    if not valid_shop(shop, base_url):
        raise _refused(f"{shop!r} is not a Shopify shop domain", field="shop")
    code = query.get("code")
    if not code:
        raise _refused("the OAuth callback carries no code", field="code")
    return code


def exchange_code(
    http: httpx.Client,
    base_url: str,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    timeout: httpx.Timeout,
) -> TokenSet:
    """Trade the callback's code for the shop's offline Admin API token."""
    url = f"{base_url.rstrip('/')}/admin/oauth/access_token"
    try:
        response = http.post(
            url,
            json={"client_id": client_id, "client_secret": client_secret, "code": code},
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except httpx.TransportError as error:
        raise error_from_transport(error, "token exchange") from error
    if response.status_code != 200:
        raise error_from_http(response, "token exchange")
    try:
        body = response.json()
    except ValueError as error:
        raise ChannelError(
            "Shopify's token exchange answered with a body that is not JSON",
            category=ChannelErrorCategory.TRANSIENT,
        ) from error
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise _refused("Shopify's token exchange answered without an access_token")
    scopes = tuple(s for s in str(body.get("scope") or "").split(",") if s)
    return TokenSet(access_token=token, scopes=scopes)
