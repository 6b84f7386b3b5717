"""A webhook receiver for the Shopify sandbox tests, served over real HTTP.

It verifies each delivery as Shopify documents (base64 HMAC-SHA256 of the raw body with
the app's client secret, compared in constant time), answers 401 to a bad signature,
and otherwise answers the statuses a test queued (then 200), after an optional hold per
request so a test can make the sandbox time out. Everything it got is in ``received``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.sandbox.servers import serve_in_thread

CLIENT_SECRET = "shpss_test_client_secret"
WAIT_SECONDS = 5.0


def verify_shopify_hmac(secret: str, body: bytes, header: str | None) -> bool:
    """Shopify's check: the header is base64(HMAC-SHA256(secret, raw body))."""
    if not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.encode())


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int

    @property
    def webhook_id(self) -> str:
        return self.headers["x-shopify-webhook-id"]


@dataclass
class Receiver:
    url: str = ""
    secret: str = CLIENT_SECRET
    received: list[Received] = field(default_factory=list)
    #: Statuses to answer, in order, before falling back to 200.
    statuses: deque[int] = field(default_factory=deque)
    #: Seconds to hold each of the next requests before answering.
    holds: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        verified = verify_shopify_hmac(
            self.secret, body, request.headers.get("X-Shopify-Hmac-Sha256")
        )
        with self._lock:
            status = (self.statuses.popleft() if self.statuses else 200) if verified else 401
            hold = self.holds.popleft() if self.holds else 0.0
            self.received.append(
                Received(request.url.path, dict(request.headers), body, verified, status)
            )
        if hold:
            await asyncio.sleep(hold)
        return Response(status_code=status)

    def got(self, topic: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if topic in (None, r.headers["x-shopify-topic"])]

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST"])])


@contextmanager
def serve_receiver(secret: str = CLIENT_SECRET) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret)
    with serve_in_thread(receiver.app()) as base_url:
        receiver.url = base_url
        yield receiver


def wait_until(condition: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
