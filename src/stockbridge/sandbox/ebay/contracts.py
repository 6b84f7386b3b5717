"""Live validation of eBay calls against eBay's official OpenAPI files.

When the contracts directory is configured (``STOCKBRIDGE_SANDBOX_CONTRACTS``, see
config.py), :class:`ContractMiddleware` checks every request under a base path it has a
file for (``SPEC_BY_PREFIX`` in config.py: Sell Inventory, Sell Fulfillment, Sell
Account, Commerce Notification) and every response, with openapi-core against that file:

- a request the contract forbids is answered 400 without reaching the sandbox, in the
  error of its API (25709 Inventory, 32600 Fulfillment, 20403 Account, eBay's common
  2004 for Notification, which has no id of its own): the client is wrong;
- a response the contract forbids is replaced by a 500 (25001, 30500, 20500, 195000):
  the sandbox is wrong.

Both are recorded in :class:`ContractViolations`, which the test suite asserts empty at
the end of each test, so a violation fails the test even if its assertions missed it.

Two gaps in the official files are bridged on purpose: they declare no 401/403/429
answers (eBay sends them, see errors.py), so those statuses are not checked against
them; and their ``oauth2`` security scheme is one openapi-core cannot check, so a
provider here only requires a bearer token to be present, and a call without one is
passed on to the sandbox, which answers 401 (errorId 1001) as eBay does, not 400.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.security.exceptions import SecurityProviderError
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from openapi_core.validation.request.exceptions import SecurityValidationError
from openapi_schema_validator import OAS30Validator
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockbridge.sandbox.ebay import errors

#: The host in the official file's server URL; requests are validated as if sent there.
EBAY_API_HOST = "https://api.ebay.com"
#: Statuses eBay answers on every API but the OpenAPI files leave out, plus 501, the
#: sandbox's own answer to a call it does not serve yet (see app.py).
UNDECLARED_STATUSES = frozenset({401, 403, 429, 501})


class ContractViolations:
    """Thread-safe list of contract violations seen since the last :meth:`take`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[str] = []

    def add(self, violation: str) -> None:
        with self._lock:
            self._items.append(violation)

    def peek(self) -> list[str]:
        with self._lock:
            return list(self._items)

    def take(self) -> list[str]:
        """Return and forget the violations (a test that provoked them on purpose)."""
        with self._lock:
            items, self._items = self._items, []
            return items


class _BearerPresent(BaseProvider):
    """The oauth2 scheme, as far as a document can say: a bearer token is sent."""

    def __call__(self, parameters: RequestParameters) -> Any:
        value = parameters.header.get("Authorization", "")
        if not value.lower().startswith("bearer "):
            raise SecurityProviderError("Missing bearer token.")
        return value


class _EbaySecurityProviders(SecurityProviderFactory):
    PROVIDERS = {**SecurityProviderFactory.PROVIDERS, "oauth2": _BearerPresent}


@cache
def load_spec(path: Path) -> OpenAPI:
    """Parse the official file once per process; it is large (about 800 kB).

    The file's server is ``https://api.ebay.com{basePath}``; openapi-core's template
    matcher does not let a variable span several path segments, so the in-memory copy
    gets the server URL with each variable's default filled in (the file is untouched).
    """
    document = json.loads(path.read_text(encoding="utf-8"))
    document["servers"] = [_resolved_server(server) for server in document.get("servers", [])]
    config = Config(security_provider_factory=_EbaySecurityProviders())
    return OpenAPI.from_dict(document, base_uri=path.as_uri(), config=config)


@cache
def error_body_validator(path: Path) -> OAS30Validator:
    """Checks ``{"errors": [Error, ...]}`` against the file's ``Error`` schema.

    The file gives its 4xx/5xx answers no body schema (only ``x-response-codes``), so
    openapi-core checks nothing there; this holds the sandbox's error bodies to the
    ``Error`` schema, closed to fields it does not define.
    """
    schemas = json.loads(path.read_text(encoding="utf-8"))["components"]["schemas"]
    error = {**schemas["Error"], "additionalProperties": False}
    parameter = {**schemas["ErrorParameter"], "additionalProperties": False}
    error["properties"] = {
        **error["properties"],
        "parameters": {"type": "array", "items": parameter},
    }
    body = {
        "type": "object",
        "required": ["errors"],
        "additionalProperties": False,
        "properties": {"errors": {"type": "array", "minItems": 1, "items": error}},
    }
    return OAS30Validator(body)


def _resolved_server(server: dict[str, Any]) -> dict[str, Any]:
    url = str(server["url"])
    for name, variable in server.get("variables", {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return {"url": url}


class _Request:
    """openapi-core's Request protocol over the raw ASGI request."""

    def __init__(self, scope: Scope, body: bytes) -> None:
        headers = Headers(scope=scope)
        self.host_url = EBAY_API_HOST
        self.path = scope["path"]
        self.method = scope["method"].lower()
        self.body: bytes | None = body or None
        self.content_type = headers.get("content-type", "application/octet-stream")
        self.parameters = RequestParameters(
            query=QueryParams(scope.get("query_string", b"").decode("latin-1")),
            header=headers,
        )


class _Response:
    """openapi-core's Response protocol over the collected ASGI response."""

    def __init__(self, status: int, headers: Headers, data: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.data = data
        self.content_type = headers.get("content-type", "application/json")


def _schema_error_line(error: Any) -> str:
    """``error`` is a jsonschema ValidationError (jsonschema ships no type stubs)."""
    where = "/".join(str(part) for part in error.absolute_path) or "(body)"
    return f"{where}: {error.message}"


def describe(error: Exception) -> str:
    """One line naming what broke the contract, including the schema's own reasons."""
    reasons = [str(error)]
    cause: BaseException | None = error.__cause__
    while cause is not None:
        reasons.append(str(cause))
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            reasons.extend(_schema_error_line(e) for e in schema_errors)
        cause = cause.__cause__
    return "; ".join(reasons)


@dataclass(frozen=True)
class _Contract:
    """One official file, parsed, with the checker of its error bodies."""

    spec: OpenAPI
    error_validator: OAS30Validator


class ContractMiddleware:
    """Validates requests and responses under each base path in ``specs``; see above."""

    def __init__(
        self, app: ASGIApp, specs: Mapping[str, Path], violations: ContractViolations
    ) -> None:
        self.app = app
        self.contracts = {
            prefix: _Contract(load_spec(path), error_body_validator(path))
            for prefix, path in specs.items()
        }
        self.violations = violations

    def _contract_for(self, path: str) -> _Contract | None:
        for prefix, contract in self.contracts.items():
            if path.startswith(prefix + "/") or path == prefix:
                return contract
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        contract = self._contract_for(scope["path"]) if scope["type"] == "http" else None
        if contract is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        request = _Request(scope, body)
        call = f"{scope['method']} {scope['path']}"
        # A missing token is left to the sandbox, which answers 401 as eBay does.
        problems = [
            describe(error)
            for error in contract.spec.iter_request_errors(request)
            if not isinstance(error, SecurityValidationError)
        ]
        if problems:
            reason = "; ".join(problems)
            self.violations.add(f"request {call}: {reason}")
            rejection = errors.invalid_request_for(scope["path"], reason)
            await _send_json(send, rejection.status, rejection.body())
            return

        status, headers, data = await _collect(self.app, scope, _replay(body))
        wrong = self._response_problem(contract, request, status, headers, data)
        if wrong:
            self.violations.add(f"response {status} to {call}: {wrong}")
            broken = errors.system_error_for(
                scope["path"], f"Sandbox answer broke the contract: {wrong}"
            )
            await _send_json(send, broken.status, broken.body())
            return
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        await send({"type": "http.response.body", "body": data})

    def _response_problem(
        self, contract: _Contract, request: _Request, status: int, headers: Headers, data: bytes
    ) -> str | None:
        if status >= 400:
            try:
                parsed = json.loads(data)
            except ValueError:
                return "error body is not JSON"
            problems = [_schema_error_line(e) for e in contract.error_validator.iter_errors(parsed)]
            if problems:
                return "error body: " + "; ".join(problems)
        if status in UNDECLARED_STATUSES:
            return None
        try:
            contract.spec.validate_response(request, _Response(status, headers, data))
        except Exception as error:  # openapi-core raises one class per kind of mismatch
            return describe(error)
        return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:  # the app asks again only to wait for a disconnect
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _collect(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, Headers, bytes]:
    """Run the app and hold its whole answer, so it can be checked before it leaves."""
    status = 500
    raw_headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status, raw_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            raw_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, Headers(raw=raw_headers), b"".join(chunks)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
