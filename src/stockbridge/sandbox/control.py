"""What every marketplace sandbox shares: call log, fault injection, control API.

A sandbox builds one :class:`SandboxControl` (its state snapshot and reset callables plus
the function that shapes an error the way its marketplace does), installs
:class:`SandboxMiddleware` on its app and includes :func:`control_router`. Then tests,
benchmarks and the demo can, over HTTP under ``/_sandbox``:

- read the sandbox's state and reset it (``GET /state``, ``POST /reset``);
- count the calls made per marketplace operation (``GET``/``DELETE /calls``);
- read the events the sandbox announced (``GET /events``, see events.py), which its
  webhook or notification deliveries carry;
- inject faults per route pattern (``POST``/``GET``/``DELETE /faults``): an error status
  at a rate, added latency, a hung connection, or a forced token expiry that the
  sandbox's own auth code reads with :func:`token_expiry_forced`.

Calls to ``/_sandbox`` itself are neither logged nor faulted. Nothing here knows a
marketplace: the error shape comes from ``SandboxControl.error_body``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockbridge.sandbox.events import EventLog

CONTROL_PREFIX = "/_sandbox"
#: Key in the ASGI scope's ``state`` where a route handler may name its operation.
OPERATION_KEY = "sandbox_operation"
#: Key in the ASGI scope's ``state`` set when a fault forces the caller's token expired.
EXPIRE_TOKEN_KEY = "sandbox_expire_token"

#: ``error_body(status, message)`` -> JSON body in the marketplace's own error shape.
ErrorBody = Callable[[int, str], Mapping[str, Any]]


# --- call log -----------------------------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """One call the sandbox answered."""

    operation: str
    method: str
    path: str
    status: int
    at: datetime
    duration_ms: float

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "at": self.at.isoformat(),
            "duration_ms": round(self.duration_ms, 3),
        }


class CallLog:
    """Thread-safe record of calls: exact counts per operation plus the most recent calls.

    Counts are kept for every call ever logged (until :meth:`clear`); only the last
    ``keep`` records are held, so a long benchmark does not grow memory without bound.
    """

    def __init__(self, keep: int = 1000) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._recent: deque[CallRecord] = deque(maxlen=keep)

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self._counts[call.operation] += 1
            self._recent.append(call)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def count(self, operation: str) -> int:
        with self._lock:
            return self._counts[operation]

    def recent(self, limit: int | None = None) -> list[CallRecord]:
        with self._lock:
            calls = list(self._recent)
        return calls if limit is None else calls[-limit:] if limit > 0 else []

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._recent.clear()


# --- faults -------------------------------------------------------------------------


class FaultRule(BaseModel):
    """One fault: which calls it hits and what it does to them.

    ``path_pattern`` is a regular expression searched in the request path (so ``^`` and
    ``$`` anchor it); ``method`` narrows it to one HTTP method. Of the matching calls, a
    share ``rate`` is hit, drawn from a random generator seeded with ``seed`` so a test
    run is repeatable. A hit call waits ``latency_ms``, then, if ``hang``, waits up to
    ``hang_seconds`` more (long enough for a client timeout) and, if ``status`` is set,
    is answered with that status in the marketplace's error shape instead of reaching
    the sandbox, with a ``Retry-After`` header of ``retry_after`` seconds when set (as
    marketplaces send with a 429). ``expire_token`` makes the sandbox treat the
    caller's token as expired.
    ``times`` stops the rule after that many hits (e.g. "the next two calls fail", for
    retry tests); ``hits`` counts them.
    """

    model_config = ConfigDict(extra="forbid")

    id: int | None = Field(default=None, description="Assigned by the sandbox.")
    path_pattern: str
    method: str | None = None
    status: int | None = Field(default=None, ge=400, le=599)
    rate: float = Field(default=1.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    hang: bool = False
    hang_seconds: float = Field(default=30.0, gt=0.0, le=300.0)
    retry_after: int | None = Field(default=None, ge=0, le=86_400)
    expire_token: bool = False
    seed: int = 0
    times: int | None = Field(default=None, ge=1)
    hits: int = Field(default=0, description="Counted by the sandbox.")
    message: str = "Fault injected by the sandbox."

    @field_validator("path_pattern")
    @classmethod
    def _must_compile(cls, value: str) -> str:
        # A bad pattern is refused (422) when the rule is added, not a 500 on every call.
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from error
        return value

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None


@dataclass
class FaultHit:
    """What the faults matching one call decided; several rules combine."""

    latency_ms: int = 0
    hang_seconds: float | None = None
    status: int | None = None
    message: str = ""
    retry_after: int | None = None
    expire_token: bool = False

    @property
    def any(self) -> bool:
        return bool(
            self.latency_ms or self.hang_seconds or self.status is not None or self.expire_token
        )


class Faults:
    """Thread-safe set of fault rules, each with its own seeded random generator."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._rules: list[tuple[FaultRule, re.Pattern[str], random.Random]] = []

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            stored = rule.model_copy(update={"id": next(self._ids), "hits": 0})
            self._rules.append((stored, re.compile(stored.path_pattern), random.Random(rule.seed)))  # noqa: S311 (not crypto: repeatable fault draws)
            return stored

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [rule.model_copy() for rule, _, _ in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def match(self, method: str, path: str) -> FaultHit:
        """Draw, for one call, which rules hit it; the first status wins."""
        hit = FaultHit()
        with self._lock:
            for rule, pattern, rng in self._rules:
                if rule.method and rule.method != method.upper():
                    continue
                if not pattern.search(path):
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                # One generator per rule: adding a rule never shifts another's draws.
                if rng.random() >= rule.rate:
                    continue
                rule.hits += 1
                hit.latency_ms += rule.latency_ms
                if rule.hang:
                    hit.hang_seconds = max(hit.hang_seconds or 0.0, rule.hang_seconds)
                if rule.status is not None and hit.status is None:
                    hit.status, hit.message = rule.status, rule.message
                    hit.retry_after = rule.retry_after
                hit.expire_token = hit.expire_token or rule.expire_token
        return hit


# --- the shared object and its middleware -------------------------------------------


@dataclass
class SandboxControl:
    """What one sandbox app hands to the middleware and the control router."""

    snapshot: Callable[[], Mapping[str, Any]]
    reset: Callable[[], None]
    error_body: ErrorBody
    calls: CallLog = field(default_factory=CallLog)
    faults: Faults = field(default_factory=Faults)
    events: EventLog = field(default_factory=EventLog)

    def reset_all(self) -> None:
        """Back to a fresh start: state, call log, faults and events."""
        self.reset()
        self.calls.clear()
        self.faults.clear()
        self.events.clear()


def token_expiry_forced(request: Request) -> bool:
    """True when a fault rule told the sandbox to treat this call's token as expired."""
    return bool(request.scope.get("state", {}).get(EXPIRE_TOKEN_KEY, False))


def set_operation(request: Request, name: str) -> None:
    """Name the marketplace operation of this call in the call log."""
    request.scope.setdefault("state", {})[OPERATION_KEY] = name


def operation_from_route_name(request: Request) -> None:
    """Router dependency: log each call under its route's ``name`` (e.g. eBay's operationId)."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    if name:
        set_operation(request, str(name))


def _operation_of(scope: Scope) -> str:
    named = scope.get("state", {}).get(OPERATION_KEY)
    if named:
        return str(named)
    route = scope.get("route")
    template = getattr(route, "path_format", None) or scope["path"]
    return f"{scope['method']} {template}"


class SandboxMiddleware:
    """Applies fault rules to, and logs, every call outside ``/_sandbox``.

    Pure ASGI rather than ``BaseHTTPMiddleware`` so the route's scope changes (the
    matched route, the operation name) are visible here after the call.
    """

    def __init__(self, app: ASGIApp, control: SandboxControl) -> None:
        self.app = app
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_box = [500]  # stays 500 if the app fails before answering

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
            await send(message)

        try:
            await self._answer(scope, receive, send_and_note)
        finally:
            self.control.calls.record(
                CallRecord(
                    operation=_operation_of(scope),
                    method=scope["method"],
                    path=scope["path"],
                    status=status_box[0],
                    at=datetime.now(UTC),
                    duration_ms=(time.perf_counter() - started) * 1000,
                )
            )

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        hit = self.control.faults.match(scope["method"], scope["path"])
        if hit.latency_ms:
            await asyncio.sleep(hit.latency_ms / 1000)
        if hit.hang_seconds:
            await asyncio.sleep(hit.hang_seconds)
            if hit.status is None:  # the client should have given up by now
                hit.status, hit.message = 504, "The sandbox held this call (hang fault)."
        if hit.status is not None:
            body = self.control.error_body(hit.status, hit.message)
            headers = {} if hit.retry_after is None else {"retry-after": str(hit.retry_after)}
            await _send_json(send, hit.status, body, headers)
            return
        if hit.expire_token:
            scope.setdefault("state", {})[EXPIRE_TOKEN_KEY] = True
        await self.app(scope, receive, send)


async def _send_json(
    send: Send, status: int, body: Mapping[str, Any], extra: Mapping[str, str] | None = None
) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    headers += [(name.encode(), value.encode()) for name, value in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


# --- control API --------------------------------------------------------------------


def control_router(control: SandboxControl) -> APIRouter:
    """The ``/_sandbox`` routes for one sandbox (see the module docstring)."""
    router = APIRouter(prefix=CONTROL_PREFIX, tags=["sandbox control"])

    @router.post("/reset", status_code=204)
    def reset() -> Response:
        control.reset_all()
        return Response(status_code=204)

    @router.get("/state")
    def state() -> Mapping[str, Any]:
        return control.snapshot()

    @router.get("/calls")
    def calls(limit: int = 100) -> dict[str, Any]:
        return {
            "counts": control.calls.counts(),
            "recent": [call.as_json() for call in control.calls.recent(limit)],
        }

    @router.delete("/calls", status_code=204)
    def clear_calls() -> Response:
        control.calls.clear()
        return Response(status_code=204)

    @router.get("/events")
    def events(topic: str | None = None) -> list[dict[str, Any]]:
        return [event.as_json() for event in control.events.recent(topic)]

    @router.post("/faults", status_code=201)
    def add_fault(rule: FaultRule) -> FaultRule:
        return control.faults.add(rule)

    @router.get("/faults")
    def list_faults() -> list[FaultRule]:
        return control.faults.rules()

    @router.delete("/faults", status_code=204)
    def clear_faults() -> Response:
        control.faults.clear()
        return Response(status_code=204)

    return router


__all__ = [
    "CONTROL_PREFIX",
    "CallLog",
    "CallRecord",
    "ErrorBody",
    "FaultHit",
    "FaultRule",
    "Faults",
    "SandboxControl",
    "SandboxMiddleware",
    "control_router",
    "operation_from_route_name",
    "set_operation",
    "token_expiry_forced",
]
