"""eBay push notifications as they arrive: the endpoint challenge and signed deliveries.

- ``GET <endpoint>?challenge_code=X``: eBay proving the endpoint (before it saves a
  destination, and from time to time after). The answer is
  ``{"challengeResponse": hex(SHA-256(X + verificationToken + endpoint))}``, the endpoint
  being the URL registered, without the query.
- ``POST``: one notification. ``X-EBAY-SIGNATURE`` is base64 of the JSON ``{"alg",
  "kid", "signature", "digest"}``; ``signature`` is a DER ECDSA signature of the raw
  body, checked with the public key getPublicKey serves for ``kid`` (application
  token). Keys are cached per ``kid`` in the process (:class:`PublicKeys`), so each is
  fetched once; a ``kid`` eBay does not know is refused without asking again for
  :data:`REFUSED_SECONDS`. A missing or unreadable header, an unknown ``kid``, a
  signature that does not match the body: ``AUTH_FAILED``, as the Shopify adapter
  answers a bad HMAC.
  A verified body that is not eBay's message shape is ``VALIDATION``.

The event's ``delivery_id`` is the ``notificationId``, the same on every retry of a
notification, so a repeat parses to the same event; de-duplicating it is the webhook
log's job (unique ``(channel_id, delivery_id)``), not this module's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stockbridge.channels.base import (
    WebhookChallenge,
    WebhookEvent,
    WebhookRequest,
    before_verification_call,
)
from stockbridge.errors import ChannelError, ChannelErrorCategory

SIGNATURE_HEADER = "x-ebay-signature"
PEM_BEGIN, PEM_END = "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----"
DIGESTS: Mapping[str, Callable[[], hashes.HashAlgorithm]] = {
    "SHA1": hashes.SHA1,
    "SHA256": hashes.SHA256,
}
#: Where each topic's data names the thing the notification is about.
RESOURCE_FIELDS = ("orderId", "userId", "listingId", "itemId")

FetchKey = Callable[[str], str]


def _refused(why: str) -> ChannelError:
    return ChannelError(
        f"eBay notification refused: {why}", category=ChannelErrorCategory.AUTH_FAILED
    )


def challenge_answer(code: str, verification_token: str, endpoint: str) -> str:
    return hashlib.sha256((code + verification_token + endpoint).encode()).hexdigest()


def endpoint_of(url: str) -> str:
    """The URL eBay was given: the request's URL without ``challenge_code``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = urlencode([(name, value) for name, value in query if name != "challenge_code"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, kept, ""))


def load_public_key(served: str) -> ec.EllipticCurvePublicKey:
    """getPublicKey's PEM, which eBay sends on one line, as a key."""
    body = served.replace(PEM_BEGIN, "").replace(PEM_END, "").replace("\n", "").strip()
    pem = f"{PEM_BEGIN}\n{body}\n{PEM_END}\n"
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise _refused("eBay served a public key that does not load") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise _refused("eBay served a public key that is not an elliptic-curve key")
    return key


#: How long a ``kid`` eBay refused is refused again without asking, and how many such
#: ids are kept (the oldest go first): a forger naming made-up ids costs one call each.
REFUSED_SECONDS = 300.0
REFUSED_KEPT = 1024


class PublicKeys:
    """eBay's notification keys by ``kid``, shared by every connection in the process;
    and the ids eBay refused lately, so a repeat is refused without asking again."""

    _lock = threading.Lock()
    _known: dict[tuple[str, str], ec.EllipticCurvePublicKey] = {}
    _refused_at: OrderedDict[tuple[str, str], float] = OrderedDict()

    def __init__(
        self, api_base: str, fetch: FetchKey, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._api_base, self._fetch, self._clock = api_base, fetch, clock

    def get(self, kid: str) -> ec.EllipticCurvePublicKey:
        name = (self._api_base, kid)
        with PublicKeys._lock:
            key = PublicKeys._known.get(name)
            refused_at = PublicKeys._refused_at.get(name)
        if key is not None:
            return key
        if refused_at is not None and self._clock() - refused_at < REFUSED_SECONDS:
            raise _refused(f"eBay knows no public key {kid!r}")
        before_verification_call(f"eBay's public key {kid!r}")
        try:
            key = load_public_key(self._fetch(kid))
        except ChannelError as error:
            if error.retryable:
                raise
            self._remember_refused(name)
            raise _refused(f"eBay knows no public key {kid!r}") from error
        with PublicKeys._lock:
            PublicKeys._known[name] = key
            PublicKeys._refused_at.pop(name, None)
        return key

    def _remember_refused(self, name: tuple[str, str]) -> None:
        with PublicKeys._lock:
            PublicKeys._refused_at[name] = self._clock()
            PublicKeys._refused_at.move_to_end(name)
            while len(PublicKeys._refused_at) > REFUSED_KEPT:
                PublicKeys._refused_at.popitem(last=False)


def _signature(header: str | None) -> Mapping[str, Any]:
    if not header:
        raise _refused(f"no {SIGNATURE_HEADER} header")
    try:
        decoded = json.loads(base64.b64decode(header, validate=True))
    except (binascii.Error, ValueError):
        raise _refused(f"{SIGNATURE_HEADER} is not base64 JSON") from None
    if not isinstance(decoded, dict) or not decoded.get("kid") or not decoded.get("signature"):
        raise _refused(f"{SIGNATURE_HEADER} names no kid or signature")
    return decoded


def verify_signature(keys: PublicKeys, header: str | None, body: bytes) -> None:
    """Raise AUTH_FAILED unless ``header`` signs exactly ``body``."""
    signature = _signature(header)
    if str(signature.get("alg", "")).lower() != "ecdsa":
        raise _refused(f"unknown signature algorithm {signature.get('alg')!r}")
    digest = DIGESTS.get(str(signature.get("digest") or "SHA1").upper())
    if digest is None:
        raise _refused(f"unknown digest {signature.get('digest')!r}")
    key = keys.get(str(signature["kid"]))
    try:
        der = base64.b64decode(str(signature["signature"]), validate=True)
        key.verify(der, body, ec.ECDSA(digest()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise _refused("the signature does not match the body") from None


def _time(raw: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None


def event_of(body: bytes) -> WebhookEvent:
    """A verified notification body as a WebhookEvent."""
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    metadata = message.get("metadata") if isinstance(message, dict) else None
    notification = message.get("notification") if isinstance(message, dict) else None
    if not isinstance(metadata, dict) or not isinstance(notification, dict):
        raise ChannelError(
            "the eBay notification has no metadata or notification object",
            category=ChannelErrorCategory.VALIDATION,
        )
    delivery_id, topic = notification.get("notificationId"), metadata.get("topic")
    if not delivery_id or not topic:
        raise ChannelError(
            "the eBay notification names no notificationId or topic",
            category=ChannelErrorCategory.VALIDATION,
        )
    raw_data = notification.get("data")
    data: Mapping[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    resource = next((str(data[f]) for f in RESOURCE_FIELDS if data.get(f)), None)
    return WebhookEvent(
        delivery_id=str(delivery_id),
        topic=str(topic),
        occurred_at=_time(notification.get("eventDate")),
        resource_id=resource,
        payload=message,
    )


def parse_notification(
    request: WebhookRequest, keys: PublicKeys, verification_token: str, endpoint: str | None
) -> WebhookEvent | WebhookChallenge:
    """The challenge answered, or a delivery verified and read."""
    if request.method.upper() == "GET":
        code = request.query.get("challenge_code") or dict(
            parse_qsl(urlsplit(request.url).query)
        ).get("challenge_code")
        if not code:
            raise ChannelError(
                "an eBay GET without challenge_code", category=ChannelErrorCategory.VALIDATION
            )
        if not verification_token:
            raise ChannelError(
                "this eBay connection has no verification_token to answer the challenge",
                category=ChannelErrorCategory.AUTH_FAILED,
            )
        answer = challenge_answer(code, verification_token, endpoint or endpoint_of(request.url))
        return WebhookChallenge(response_body={"challengeResponse": answer})
    verify_signature(keys, request.headers.get(SIGNATURE_HEADER), request.body)
    return event_of(request.body)
