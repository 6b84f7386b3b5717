"""Commerce Notification API: topics, public keys and the alert configuration.

Paths, bodies and statuses follow commerce_notification_v1_oas3.json (base path
``/commerce/notification/v1``). These calls take a token with the plain
``api_scope``, as the official file's ``security`` says (an application token, from the
client-credentials grant); destinations.py and subscriptions.py serve the rest. Lists
page with ``limit`` (10 to 100, default 20) and an opaque ``continuation_token`` that
the ``next`` URL carries.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import notification_errors as errors
from stockbridge.sandbox.ebay.context import SandboxDep
from stockbridge.sandbox.ebay.notification_schemas import Config, parse_body
from stockbridge.sandbox.ebay.oauth import API_SCOPE, require_scope
from stockbridge.sandbox.ebay.publisher import NotificationPublisher
from stockbridge.sandbox.ebay.signing import ALGORITHM, DIGEST, served_public_key
from stockbridge.sandbox.ebay.topics import TOPICS

BASE_PATH = "/commerce/notification/v1"
APPLICATION = [Depends(require_scope(API_SCOPE))]
DEFAULT_LIMIT, MIN_LIMIT, MAX_LIMIT = 20, 10, 100
#: Good enough to refuse what eBay's 195025 refuses: no address, markup, spaces.
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")

router = APIRouter(
    prefix=BASE_PATH,
    tags=["eBay Commerce Notification"],
    dependencies=[Depends(operation_from_route_name)],
)


def get_publisher(request: Request) -> NotificationPublisher:
    publisher: NotificationPublisher = request.app.state.ebay_notifications
    return publisher


PublisherDep = Annotated[NotificationPublisher, Depends(get_publisher)]


def page(
    items: Sequence[dict[str, Any]],
    key: str,
    path: str,
    limit: str | None,
    continuation_token: str | None,
) -> dict[str, Any]:
    """One page of ``items`` under ``key``, with ``href``, ``limit``, ``total``, ``next``."""
    size = _limit(limit)
    skip = _offset(continuation_token) if continuation_token is not None else 0
    body: dict[str, Any] = {
        "href": f"{BASE_PATH}{path}?limit={size}"
        + (f"&continuation_token={continuation_token}" if continuation_token else ""),
        "limit": size,
        "total": len(items),
        key: list(items[skip : skip + size]),
    }
    if skip + size < len(items):
        body["next"] = f"{BASE_PATH}{path}?limit={size}&continuation_token={_token(skip + size)}"
    return body


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not MIN_LIMIT <= int(raw) <= MAX_LIMIT:
        raise errors.invalid_limit()
    return int(raw)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise errors.invalid_continuation_token() from None
    prefix, _, number = decoded.partition(":")
    if prefix != "offset" or not number.isdigit():
        raise errors.invalid_continuation_token()
    return int(number)


def location(request: Request, path: str) -> str:
    """The ``Location`` of a created resource: its absolute URL on this sandbox."""
    return str(request.base_url).rstrip("/") + BASE_PATH + path


# --- public key ---------------------------------------------------------------------


@router.get("/public_key/{public_key_id}", name="getPublicKey", dependencies=APPLICATION)
def get_public_key(public_key_id: str, publisher: PublisherDep) -> JSONResponse:
    key = publisher.public_key(public_key_id)
    if key is None:
        raise errors.invalid_key_id()
    return JSONResponse({"algorithm": ALGORITHM, "digest": DIGEST, "key": served_public_key(key)})


# --- topics -------------------------------------------------------------------------


@router.get("/topic", name="getTopics", dependencies=APPLICATION)
def get_topics(limit: str | None = None, continuation_token: str | None = None) -> JSONResponse:
    topics = [topic.as_json() for topic in TOPICS.values()]
    return JSONResponse(page(topics, "topics", "/topic", limit, continuation_token))


@router.get("/topic/{topic_id}", name="getTopic", dependencies=APPLICATION)
def get_topic(topic_id: str) -> JSONResponse:
    topic = TOPICS.get(topic_id)
    if topic is None:
        raise errors.unknown_topic()
    return JSONResponse(topic.as_json())


# --- config -------------------------------------------------------------------------


@router.get("/config", name="getConfig", dependencies=APPLICATION)
def get_config(sandbox: SandboxDep) -> JSONResponse:
    email = sandbox.store.state.notification.alert_email
    if email is None:
        raise errors.config_not_found()
    return JSONResponse({"alertEmail": email})


@router.put("/config", name="updateConfig", dependencies=APPLICATION)
async def update_config(request: Request, sandbox: SandboxDep) -> Response:
    config = parse_body(await request.body(), Config, {"alertEmail": errors.invalid_alert_email})
    email = (config.alert_email or "").strip()
    if not EMAIL.match(email):
        raise errors.invalid_alert_email()
    with sandbox.store.change() as state:
        state.notification.alert_email = email
    return Response(status_code=204)
