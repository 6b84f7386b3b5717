"""Thin HTTP client of Shopify's GraphQL Admin API, and the one place its failures become errors.

Owns: the endpoint (``/admin/api/2025-10/graphql.json`` under the shop's base URL), the
``X-Shopify-Access-Token`` header, explicit timeouts, pacing by Shopify's cost bucket,
and the mapping of every failure to a :class:`ChannelError` category — transport errors,
HTTP statuses, top-level GraphQL ``errors`` (by ``extensions.code``) and mutation
``userErrors``. No business rules: callers pass a document from ``documents.py`` and get
its ``data`` back.

Pacing: one :func:`~stockbridge.channels.pacing.cost_bucket` per shop, re-aligned with
``extensions.cost.throttleStatus`` after every answer. Before a request the client takes
the document's cost from the bucket: the ``requestedQueryCost`` Shopify reported the
last time the same document ran with the same integer variables (a page size changes
the cost), or :data:`DEFAULT_COST` the first time. So requests wait for points instead
of being throttled.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from stockbridge.channels.pacing import CostBucket
from stockbridge.channels.shopify.documents import API_VERSION
from stockbridge.errors import ChannelError, ChannelErrorCategory

#: Cost assumed for a document Shopify has not priced for us yet (a mutation costs 10).
DEFAULT_COST = 50.0
#: Bucket figures assumed until the first answer says the real ones (Standard plan rate).
INITIAL_MAXIMUM = 1000.0
INITIAL_RESTORE_RATE = 100.0
DEFAULT_TIMEOUT_SECONDS = 30.0
THROTTLED_RETRIES = 2
CONNECT_TIMEOUT_SECONDS = 5.0

_GRAPHQL_CODES: dict[str, ChannelErrorCategory] = {
    "THROTTLED": ChannelErrorCategory.RATE_LIMITED,
    "ACCESS_DENIED": ChannelErrorCategory.AUTH_FAILED,
    "UNAUTHORIZED": ChannelErrorCategory.AUTH_FAILED,
    "MAX_COST_EXCEEDED": ChannelErrorCategory.VALIDATION,
    "MAX_INPUT_SIZE_EXCEEDED": ChannelErrorCategory.VALIDATION,
    "BAD_REQUEST": ChannelErrorCategory.VALIDATION,
    "GRAPHQL_VALIDATION_FAILED": ChannelErrorCategory.VALIDATION,
    "NOT_FOUND": ChannelErrorCategory.NOT_FOUND,
    "INTERNAL_SERVER_ERROR": ChannelErrorCategory.TRANSIENT,
    "SHOP_INACTIVE": ChannelErrorCategory.CRITICAL,
}

#: userErrors codes meaning "that thing is not there"; any other code is VALIDATION.
_MISSING_CODES = frozenset(
    {
        "PRODUCT_DOES_NOT_EXIST",
        "PRODUCT_VARIANT_DOES_NOT_EXIST",
        "PRODUCT_NOT_FOUND",
        "INVALID_INVENTORY_ITEM",
        "INVALID_LOCATION",
        "NOT_FOUND",
    }
)


def graphql_endpoint(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/admin/api/{API_VERSION}/graphql.json"


def timeout_of(settings: Mapping[str, Any]) -> httpx.Timeout:
    seconds = float(settings.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
    return httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT_SECONDS))


# --- errors, built once from what came back ------------------------------------------


def error_from_transport(error: httpx.TransportError, what: str) -> ChannelError:
    kind = "timed out" if isinstance(error, httpx.TimeoutException) else "failed"
    return ChannelError(
        f"Shopify {what} {kind}: {error!r}", category=ChannelErrorCategory.TRANSIENT
    )


def error_from_http(response: httpx.Response, what: str) -> ChannelError:
    """A non-2xx answer: 401/403 auth, 404 gone, 429 rate limit, 5xx transient."""
    status = response.status_code
    if status in (401, 403):
        category = ChannelErrorCategory.AUTH_FAILED
    elif status == 404:
        category = ChannelErrorCategory.NOT_FOUND
    elif status == 429:
        category = ChannelErrorCategory.RATE_LIMITED
    elif status >= 500:
        category = ChannelErrorCategory.TRANSIENT
    elif status in (400, 422):
        category = ChannelErrorCategory.VALIDATION
    else:  # 402 (shop frozen), 423 (shop locked), ...: a person must look
        category = ChannelErrorCategory.CRITICAL
    retry_after = _retry_after_header(response) if status == 429 else None
    return ChannelError(
        f"Shopify {what} answered {status}: {_error_text(response)}",
        category=category,
        http_status=status,
        retry_after=retry_after if retry_after is not None else (1.0 if status == 429 else None),
    )


def error_from_graphql(errors: Sequence[Mapping[str, Any]], extensions: Any) -> ChannelError:
    """Top-level GraphQL ``errors`` of a 200 answer; the first error's code decides."""
    first = errors[0] if errors else {}
    code = str((first.get("extensions") or {}).get("code") or "") or None
    category = _GRAPHQL_CODES.get(code, ChannelErrorCategory.CRITICAL) if code else None
    if category is None:
        # No code: a parse, validation or variable error, i.e. what we sent was wrong.
        category = ChannelErrorCategory.VALIDATION
    retry_after = _throttle_wait(extensions) if code == "THROTTLED" else None
    messages = "; ".join(str(e.get("message", "")) for e in errors) or "unknown error"
    return ChannelError(
        f"Shopify GraphQL error: {messages}",
        category=category,
        code=code,
        retry_after=retry_after,
        http_status=200,
    )


def error_from_user_errors(
    operation: str, user_errors: Sequence[Mapping[str, Any]]
) -> ChannelError:
    """A mutation's ``userErrors``: NOT_FOUND for missing things, else VALIDATION."""
    codes = [str(e.get("code") or "") for e in user_errors]
    missing = any(code in _MISSING_CODES for code in codes)
    text = "; ".join(
        f"{'.'.join(e.get('field') or []) or '-'}: {e.get('message')}" for e in user_errors
    )
    return ChannelError(
        f"Shopify {operation} refused: {text}",
        category=ChannelErrorCategory.NOT_FOUND if missing else ChannelErrorCategory.VALIDATION,
        code=next((c for c in codes if c), None),
        user_errors=[dict(e) for e in user_errors],
    )


def _retry_after_header(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    errors = body.get("errors") if isinstance(body, dict) else None
    return json.dumps(errors)[:300] if errors is not None else response.text[:200]


def _throttle_status(extensions: Any) -> Mapping[str, Any] | None:
    if not isinstance(extensions, Mapping):
        return None
    cost = extensions.get("cost")
    status = cost.get("throttleStatus") if isinstance(cost, Mapping) else None
    return status if isinstance(status, Mapping) else None


def _throttle_wait(extensions: Any) -> float:
    """Seconds until the bucket holds what the throttled request asked for."""
    status = _throttle_status(extensions)
    cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
    requested = float((cost or {}).get("requestedQueryCost") or DEFAULT_COST)
    if status is None:
        return 1.0
    missing = requested - float(status.get("currentlyAvailable", 0))
    rate = float(status.get("restoreRate") or INITIAL_RESTORE_RATE)
    return max(missing / rate, 0.1)


# --- the client ------------------------------------------------------------------------


_CostKey = tuple[str, tuple[tuple[str, int], ...]]


class ShopifyGraphQLClient:
    """Sends documents to one shop's Admin API; ``calls`` counts the HTTP requests made.

    What a document costs is the same in every shop, so the costs learnt are shared by
    every client of the process.
    """

    _estimates: dict[_CostKey, float] = {}

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        bucket: CostBucket,
        timeout: httpx.Timeout,
        http: httpx.Client | None = None,
    ) -> None:
        self._url = graphql_endpoint(base_url)
        self._token = access_token
        self._bucket = bucket
        self._http = http or httpx.Client(timeout=timeout)
        self._timeout = timeout
        self._maximum = INITIAL_MAXIMUM
        #: Points taken by requests still on their way: Shopify's figure may not count them.
        self._in_flight = 0.0
        self._lock = threading.Lock()
        self.calls = 0

    def close(self) -> None:
        self._http.close()

    def execute(self, document: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of the answer; raises ChannelError for anything but a clean answer.

        A THROTTLED answer (another process spent the shop's points unseen) has already
        re-aligned the bucket, so the request waits for its points and goes again, up to
        :data:`THROTTLED_RETRIES` times, before RATE_LIMITED reaches the caller.
        """
        for _ in range(THROTTLED_RETRIES):
            try:
                return self._execute_once(document, variables)
            except ChannelError as error:
                if error.code != "THROTTLED":
                    raise
        return self._execute_once(document, variables)

    def _execute_once(self, document: str, variables: Mapping[str, Any] | None) -> dict[str, Any]:
        key = _cost_key(document, variables)
        cost = self._estimate(key)
        self._bucket.take(cost)
        with self._lock:
            self.calls += 1
            self._in_flight += cost
        try:
            response = self._http.post(
                self._url,
                json={"query": document, "variables": dict(variables or {})},
                headers={"X-Shopify-Access-Token": self._token},
                timeout=self._timeout,
            )
        except httpx.TransportError as error:
            raise error_from_transport(error, "GraphQL call") from error
        finally:
            with self._lock:
                self._in_flight -= cost
        if response.status_code != 200:
            raise error_from_http(response, "GraphQL call")
        try:
            body = response.json()
        except ValueError as error:
            raise ChannelError(
                "Shopify answered 200 with a body that is not JSON",
                category=ChannelErrorCategory.TRANSIENT,
                http_status=200,
            ) from error
        extensions = body.get("extensions")
        self._learn(key, extensions)
        if body.get("errors"):
            raise error_from_graphql(body["errors"], extensions)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ChannelError(
                "Shopify answered without data", category=ChannelErrorCategory.TRANSIENT
            )
        return data

    def _estimate(self, key: _CostKey) -> float:
        with self._lock:
            known = self._estimates.get(key)
            return known if known is not None else min(DEFAULT_COST, self._maximum)

    def _learn(self, key: _CostKey, extensions: Any) -> None:
        status = _throttle_status(extensions)
        cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
        requested = (cost or {}).get("requestedQueryCost")
        with self._lock:
            if isinstance(requested, int | float) and requested > 0:
                self._estimates[key] = float(requested)
            if status is not None:
                self._maximum = float(status.get("maximumAvailable") or self._maximum)
            in_flight = self._in_flight
        if status is not None:
            self._bucket.observe(
                float(status.get("currentlyAvailable", 0)) - in_flight,
                float(status.get("maximumAvailable") or INITIAL_MAXIMUM),
                float(status.get("restoreRate") or INITIAL_RESTORE_RATE),
            )


def _cost_key(document: str, variables: Mapping[str, Any] | None) -> _CostKey:
    """A document's cost depends on its page sizes, so integer variables are part of the key."""
    sizes = tuple(
        sorted(
            (name, value)
            for name, value in (variables or {}).items()
            if isinstance(value, int) and not isinstance(value, bool)
        )
    )
    return document, sizes
