"""Thin HTTP to eBay's REST APIs: bearer token, timeouts, daily budgets, errors built once.

No business rules live here: the client sends one call, counts it against the app's
daily budget for that API (MARKETPLACE-NOTES.md figures, shared through Redis when
``redis_url`` is set), and turns whatever went wrong into one
:class:`~stockbridge.errors.ChannelError` by :func:`error_from_response` or
:func:`error_from_transport`. An auth failure mid-run refreshes the token and retries
the call once; every other retry decision belongs to the caller, by category.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Protocol

import httpx

from stockbridge.channels import pacing
from stockbridge.errors import ChannelError, ChannelErrorCategory

#: Seconds per phase of one call; a hung marketplace must not hold a worker.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)

#: Gives the HTTP client when a call is sent, so a connection that sends none (a webhook
#: verified with a known key) never builds one.
HttpSource = Callable[[], httpx.Client]
#: When a 429 names no Retry-After, wait this long.
DEFAULT_RETRY_AFTER = 60.0
#: eBay's error ids that mean the access token is no good (Handling errors page).
AUTH_ERROR_IDS = frozenset({1001, 1002, 1003, 1004})


class Api(StrEnum):
    """The eBay APIs stockbridge calls, each with its own daily call limit."""

    INVENTORY = "inventory"
    FULFILLMENT = "fulfillment"
    ACCOUNT = "account"
    FEED = "feed"
    NOTIFICATION = "notification"
    OAUTH_AUTHORIZATION_CODE = "oauth_authorization_code"
    OAUTH_REFRESH_TOKEN = "oauth_refresh_token"
    OAUTH_CLIENT_CREDENTIALS = "oauth_client_credentials"


#: Default daily call limits per application (MARKETPLACE-NOTES.md).
DAILY_LIMITS: Mapping[Api, int] = {
    Api.INVENTORY: 2_000_000,
    Api.FULFILLMENT: 100_000,
    Api.ACCOUNT: 25_000,
    Api.FEED: 100_000,
    Api.NOTIFICATION: 10_000,
    Api.OAUTH_AUTHORIZATION_CODE: 10_000,
    Api.OAUTH_REFRESH_TOKEN: 50_000,
    Api.OAUTH_CLIENT_CREDENTIALS: 1_000,
}


class Budgets:
    """The daily budgets of one eBay application, one per API, shared in this process.

    eBay counts calls per application, so every connection of the same ``client_id``
    spends from the same budgets; with Redis, every worker does too.
    """

    _lock = threading.Lock()
    _known: dict[tuple[str, str, str, int], pacing.DailyBudget] = {}

    def __init__(
        self, app_key: str, redis_url: str | None, limits: Mapping[str, int] | None = None
    ) -> None:
        self._app_key, self._redis_url = app_key, redis_url
        self._limits = {api: int((limits or {}).get(api, DAILY_LIMITS[api])) for api in Api}

    def spend(self, api: str) -> int:
        """Count one call of ``api``; RATE_LIMITED once today's budget is used."""
        key = Api(api)
        limit = self._limits[key]
        identity = (self._app_key, key.value, self._redis_url or "", limit)
        with Budgets._lock:
            budget = Budgets._known.get(identity)
            if budget is None:
                name = f"ebay:{self._app_key}:{key.value}"
                budget = pacing.daily_budget(name, limit, self._redis_url)
                Budgets._known[identity] = budget
        return budget.spend()


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def error_from_response(response: httpx.Response) -> ChannelError:
    """The one place an eBay error answer becomes a ChannelError with its category."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    first: Mapping[str, Any] = errors[0] if isinstance(errors, list) and errors else {}
    error_id = first.get("errorId")
    message = str(first.get("message") or response.reason_phrase or "no message")
    retry_after = None
    if status == 401 or error_id in AUTH_ERROR_IDS:
        category = ChannelErrorCategory.AUTH_FAILED
    elif status == 429:
        category, retry_after = ChannelErrorCategory.RATE_LIMITED, _retry_after(response)
    elif status >= 500:
        category = ChannelErrorCategory.TRANSIENT
    elif status == 404:
        category = ChannelErrorCategory.NOT_FOUND
    elif status == 400 and first:
        category = ChannelErrorCategory.VALIDATION
    else:
        category = ChannelErrorCategory.CRITICAL
    parameters = {str(p.get("name")): str(p.get("value")) for p in first.get("parameters") or []}
    return ChannelError(
        f"eBay {response.request.method} {response.request.url.path}: {status} {message}",
        category=category,
        retry_after=retry_after,
        http_status=status,
        code=str(error_id) if error_id is not None else None,
        parameters=parameters,
    )


def error_from_transport(error: httpx.TransportError, method: str, path: str) -> ChannelError:
    kind = "timed out" if isinstance(error, httpx.TimeoutException) else "failed"
    return ChannelError(
        f"eBay {method} {path} {kind}: {type(error).__name__}",
        category=ChannelErrorCategory.TRANSIENT,
    )


def created_id(response: httpx.Response, what: str) -> str:
    """The id a create call names as the last part of its ``Location`` header."""
    location = str(response.headers.get("location", ""))
    created = location.rstrip("/").rsplit("/", 1)[-1]
    if not created:
        raise ChannelError(
            f"eBay created {what} but named no Location", category=ChannelErrorCategory.CRITICAL
        )
    return created


class AccessTokens(Protocol):
    """Where a client gets its bearer token: a seller's (TokenKeeper) or the app's."""

    def access_token(self) -> str: ...
    def refresh(self) -> object: ...


class EbayClient:
    """One connection's calls to the eBay REST APIs, with one kind of token."""

    def __init__(
        self,
        http: HttpSource,
        api_base: str,
        tokens: AccessTokens,
        budgets: Budgets,
        content_language: str,
    ) -> None:
        self._http, self._api_base = http, api_base
        self._tokens, self._budgets = tokens, budgets
        self._content_language = content_language
        #: Calls sent so far (a refreshed retry counts twice), for PushResult.calls.
        self.calls = 0

    def request(
        self,
        api: Api,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one call; a 2xx answer (207 included) is returned, anything else raised.

        An AUTH_FAILED answer refreshes the token and sends the call once more.
        """
        try:
            return self._send(api, method, path, params, json)
        except ChannelError as error:
            if error.category is not ChannelErrorCategory.AUTH_FAILED:
                raise
            self._tokens.refresh()
            return self._send(api, method, path, params, json)

    def _send(
        self,
        api: Api,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
    ) -> httpx.Response:
        token = self._tokens.access_token()
        self._budgets.spend(api)
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Language": self._content_language,
        }
        self.calls += 1
        try:
            response = self._http().request(
                method, f"{self._api_base}{path}", params=params, json=json, headers=headers
            )
        except httpx.TransportError as error:
            raise error_from_transport(error, method, path) from error
        if response.is_success:
            return response
        raise error_from_response(response)

    def json(
        self,
        api: Api,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """``request`` for calls that answer a JSON object (an empty answer is ``{}``)."""
        response = self.request(api, method, path, params=params, json=json)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as error:
            raise ChannelError(
                f"eBay {method} {path} answered something that is not JSON",
                category=ChannelErrorCategory.CRITICAL,
                http_status=response.status_code,
            ) from error
        if not isinstance(body, dict):
            raise ChannelError(
                f"eBay {method} {path} answered JSON that is not an object",
                category=ChannelErrorCategory.CRITICAL,
            )
        return body
