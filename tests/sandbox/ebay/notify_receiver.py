"""A notification endpoint that checks eBay's push notifications as eBay's SDKs do.

It answers the endpoint challenge (``GET ?challenge_code=``) with
``hex(SHA-256(code + verificationToken + endpoint))``, and verifies each POSTed
notification the way eBay's event-notification SDKs document it: base64-decode
``X-EBAY-SIGNATURE`` to JSON, fetch the public key for its ``kid`` with getPublicKey and
an application token (cached per kid), put the line breaks back into the PEM, and
verify the DER ECDSA signature with SHA-1 over the message re-serialised from its JSON
(which must equal the raw body). Verified: 204; not: 412, as the SDKs answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.sandbox.servers import serve_in_thread

VERIFICATION_TOKEN = "stockbridge-receiver-token_0123456789abcdef"
PEM_BEGIN, PEM_END = "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----"


def challenge_response(code: str, token: str, endpoint: str) -> str:
    return hashlib.sha256((code + token + endpoint).encode()).hexdigest()


def pem_with_line_breaks(key: str) -> str:
    """eBay serves the PEM on one line; the SDKs put the breaks back before loading it."""
    return key.replace(PEM_BEGIN, PEM_BEGIN + "\n").replace(PEM_END, "\n" + PEM_END)


def check_signature(
    public_key: Callable[[str], ec.EllipticCurvePublicKey | None], header: str | None, body: bytes
) -> bool:
    """The SDKs' check: decode the header, find the key by kid, verify SHA1withECDSA."""
    if not header:
        return False
    try:
        signature = json.loads(base64.b64decode(header))
        message = json.loads(body)
    except ValueError:
        return False
    # The SDKs verify their own serialisation of the parsed message, not the raw bytes.
    again = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
    key = public_key(str(signature.get("kid")))
    if key is None or signature.get("alg") != "ecdsa" or signature.get("digest") != "SHA1":
        return False
    try:
        key.verify(base64.b64decode(signature["signature"]), again, ec.ECDSA(hashes.SHA1()))
    except (InvalidSignature, ValueError, KeyError):
        return False
    return True


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def message(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """The endpoint's knobs and what it saw; ``url`` is known once it is served."""

    sandbox_url: str
    app_token: str
    url: str = ""
    token: str = VERIFICATION_TOKEN
    #: Answer the challenge with a wrong hash.
    wrong_challenge: bool = False
    #: Answer this many of the next notifications 500 (after verifying them).
    fail_next: int = 0
    received: list[Received] = field(default_factory=list)
    key_fetches: int = 0
    challenges: int = 0
    _keys: dict[str, ec.EllipticCurvePublicKey] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def public_key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        if kid in self._keys:
            return self._keys[kid]
        answer = httpx.get(
            f"{self.sandbox_url}/commerce/notification/v1/public_key/{kid}",
            headers={"Authorization": f"Bearer {self.app_token}"},
        )
        self.key_fetches += 1
        if answer.status_code != 200:
            return None
        served = answer.json()
        assert (served["algorithm"], served["digest"]) == ("ECDSA", "SHA1")
        key = serialization.load_pem_public_key(pem_with_line_breaks(served["key"]).encode())
        assert isinstance(key, ec.EllipticCurvePublicKey)
        self._keys[kid] = key
        return key

    def rebind(self, sandbox_url: str, app_token: str) -> Receiver:
        """Forget everything and serve notifications of another sandbox."""
        with self._lock:
            self.sandbox_url, self.app_token = sandbox_url, app_token
            self.token, self.wrong_challenge, self.fail_next = VERIFICATION_TOKEN, False, 0
            self.received, self.key_fetches, self.challenges = [], 0, 0
            self._keys.clear()
        return self

    def verify(self, header: str | None, body: bytes) -> bool:
        return check_signature(self.public_key, header, body)

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.message for r in self.received]


def receiver_app(receiver: Receiver) -> FastAPI:
    app = FastAPI()

    @app.get("/ebay/notifications")
    def challenge(challenge_code: str, request: Request) -> JSONResponse:
        receiver.challenges += 1
        token = receiver.token + ("x" if receiver.wrong_challenge else "")
        # The endpoint as registered: this URL without the challenge parameter.
        endpoint = str(request.url).split("challenge_code=")[0].rstrip("?&")
        answer = challenge_response(challenge_code, token, endpoint)
        return JSONResponse({"challengeResponse": answer})

    @app.post("/ebay/notifications")
    async def notification(request: Request) -> Response:
        body = await request.body()
        verified = receiver.verify(request.headers.get("x-ebay-signature"), body)
        with receiver._lock:
            receiver.received.append(Received(dict(request.headers), body, verified))
            fail = verified and receiver.fail_next > 0
            if fail:
                receiver.fail_next -= 1
        if not verified:
            return Response(status_code=412)
        return Response(status_code=500 if fail else 204)

    return app


@contextmanager
def running_receiver(sandbox_url: str = "", app_token: str = "") -> Iterator[Receiver]:
    """Serve a receiver; a module may keep one and :meth:`Receiver.rebind` it per test."""
    receiver = Receiver(sandbox_url=sandbox_url, app_token=app_token)
    with serve_in_thread(receiver_app(receiver)) as base_url:
        receiver.url = f"{base_url}/ebay/notifications"
        yield receiver
