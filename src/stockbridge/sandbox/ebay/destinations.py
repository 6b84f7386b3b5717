"""Commerce Notification API: destinations, and the challenge that proves an endpoint.

A destination is an endpoint plus the verification token its owner chose. Before
createDestination or updateDestination saves one, eBay checks the endpoint answers for
it: it sends ``GET <endpoint>?challenge_code=<code>`` and expects ``200`` with JSON
``{"challengeResponse": hex(SHA-256(code + verificationToken + endpoint))}``. Any other
answer, or none within the timeout, is a 409 (errorId 195020) and nothing is saved.
Like every call here it needs the alert configuration first (195003).

Deviation: eBay refuses endpoints that are not HTTPS or that point at localhost or an
internal address; the sandbox takes any absolute http(s) URL, because its receivers
usually run on the same machine.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import notification_errors as errors
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.notification import (
    APPLICATION,
    BASE_PATH,
    location,
    page,
)
from stockbridge.sandbox.ebay.notification_schemas import DestinationRequest, parse_body
from stockbridge.sandbox.ebay.notification_state import DestinationRecord
from stockbridge.sandbox.ebay.state import EbayState

NAME_MAX_LENGTH = 64
#: eBay's rule for verification tokens: 32 to 80 of these characters.
VERIFICATION_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,80}$")
CHALLENGE_TIMEOUT_SECONDS = 5.0
FIELD_ERRORS = {
    "name": errors.invalid_destination_name,
    "status": errors.invalid_destination_status,
    "deliveryConfig.endpoint": errors.invalid_endpoint,
    "deliveryConfig.verificationToken": errors.invalid_verification_token,
    "deliveryConfig": errors.invalid_endpoint,
}

router = APIRouter(
    prefix=BASE_PATH,
    tags=["eBay Commerce Notification"],
    dependencies=[Depends(operation_from_route_name)],
)


def challenge_response(code: str, verification_token: str, endpoint: str) -> str:
    return hashlib.sha256((code + verification_token + endpoint).encode()).hexdigest()


def endpoint_answers_challenge(endpoint: str, verification_token: str) -> bool:
    """Send eBay's challenge to ``endpoint``; True if it hashed it right."""
    code = secrets.token_hex(32)
    separator = "&" if urlsplit(endpoint).query else "?"
    try:
        answer = httpx.get(
            f"{endpoint}{separator}challenge_code={code}",
            headers={"Accept": "application/json"},
            timeout=CHALLENGE_TIMEOUT_SECONDS,
        )
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return False
    expected = challenge_response(code, verification_token, endpoint)
    return (
        answer.status_code == 200
        and isinstance(body, dict)
        and body.get("challengeResponse") == expected
    )


def destination_json(destination: DestinationRecord) -> dict[str, Any]:
    """The official ``Destination`` schema."""
    return {
        "destinationId": destination.destination_id,
        "name": destination.name,
        "status": destination.status,
        "deliveryConfig": {
            "endpoint": destination.endpoint,
            "verificationToken": destination.verification_token,
        },
    }


def find_destination(state: EbayState, destination_id: str) -> DestinationRecord:
    destination = state.notification.destinations.get(destination_id)
    if destination is None:
        raise errors.unknown_destination()
    return destination


def _checked(raw: bytes) -> tuple[str, str, str, str]:
    """(name, status, endpoint, verificationToken) of a valid DestinationRequest."""
    request = parse_body(raw, DestinationRequest, FIELD_ERRORS)
    name = request.name or ""
    if not name.strip() or len(name) > NAME_MAX_LENGTH or re.search(r"[<>]", name):
        raise errors.invalid_destination_name()
    if request.status not in {"ENABLED", "DISABLED"}:
        raise errors.invalid_destination_status()
    delivery = request.delivery_config
    endpoint = (delivery.endpoint if delivery else None) or ""
    parts = urlsplit(endpoint)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise errors.invalid_endpoint()
    token = (delivery.verification_token if delivery else None) or ""
    if not VERIFICATION_TOKEN.match(token):
        raise errors.invalid_verification_token()
    return name, request.status, endpoint, token


def _refuse_taken_endpoint(state: EbayState, endpoint: str, other_than: str | None) -> None:
    for destination in state.notification.destinations.values():
        if destination.endpoint == endpoint and destination.destination_id != other_than:
            raise errors.destination_exists()


async def _prove(sandbox: EbaySandbox, endpoint: str, token: str, other_than: str | None) -> None:
    """Refuse before the network call what the state already refuses, then challenge."""
    with sandbox.store.lock:
        if sandbox.store.state.notification.alert_email is None:
            raise errors.config_missing()
        _refuse_taken_endpoint(sandbox.store.state, endpoint, other_than)
    if not await run_in_threadpool(endpoint_answers_challenge, endpoint, token):
        raise errors.challenge_failed()


@router.post("/destination", name="createDestination", dependencies=APPLICATION)
async def create_destination(request: Request, sandbox: SandboxDep) -> Response:
    name, status, endpoint, token = _checked(await request.body())
    await _prove(sandbox, endpoint, token, other_than=None)
    destination_id = sandbox.store.new_id()
    with sandbox.store.change() as state:
        # Checked again: another call may have taken the endpoint during the challenge.
        _refuse_taken_endpoint(state, endpoint, other_than=None)
        state.notification.destinations[destination_id] = DestinationRecord(
            destination_id=destination_id,
            name=name,
            status="ENABLED" if status == "ENABLED" else "DISABLED",
            endpoint=endpoint,
            verification_token=token,
        )
    return JSONResponse(
        {},
        status_code=201,
        headers={"Location": location(request, f"/destination/{destination_id}")},
    )


@router.get("/destination", name="getDestinations", dependencies=APPLICATION)
def get_destinations(
    sandbox: SandboxDep, limit: str | None = None, continuation_token: str | None = None
) -> JSONResponse:
    with sandbox.store.lock:
        found = [
            destination_json(d) for d in sandbox.store.state.notification.destinations.values()
        ]
    return JSONResponse(page(found, "destinations", "/destination", limit, continuation_token))


@router.get("/destination/{destination_id}", name="getDestination", dependencies=APPLICATION)
def get_destination(destination_id: str, sandbox: SandboxDep) -> JSONResponse:
    with sandbox.store.lock:
        return JSONResponse(destination_json(find_destination(sandbox.store.state, destination_id)))


@router.put("/destination/{destination_id}", name="updateDestination", dependencies=APPLICATION)
async def update_destination(
    destination_id: str, request: Request, sandbox: SandboxDep
) -> Response:
    with sandbox.store.lock:
        find_destination(sandbox.store.state, destination_id)
    name, status, endpoint, token = _checked(await request.body())
    await _prove(sandbox, endpoint, token, other_than=destination_id)
    with sandbox.store.change() as state:
        _refuse_taken_endpoint(state, endpoint, other_than=destination_id)
        destination = find_destination(state, destination_id)
        destination.name, destination.endpoint = name, endpoint
        destination.verification_token = token
        destination.status = "ENABLED" if status == "ENABLED" else "DISABLED"
    return Response(status_code=204)


@router.delete("/destination/{destination_id}", name="deleteDestination", dependencies=APPLICATION)
def delete_destination(destination_id: str, sandbox: SandboxDep) -> Response:
    with sandbox.store.change() as state:
        destination = find_destination(state, destination_id)
        used = any(
            s.destination_id == destination_id for s in state.notification.subscriptions.values()
        )
        # Only a disabled or marked-down destination that no subscription names may go.
        if destination.status == "ENABLED" or used:
            raise errors.destination_in_use()
        del state.notification.destinations[destination_id]
    return Response(status_code=204)
