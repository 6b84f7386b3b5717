"""Commerce Notification API: subscriptions (create, get, list, update, delete, enable,
disable, test).

A subscription ties one topic and schema version to one destination; an application
has at most one per topic and schema version (195012). Who may subscribe follows the
topic's ``scope``: an APPLICATION topic takes an application token (client-credentials
grant), a USER topic a user's token holding ``commerce.notification.subscription``;
anything else is 403, errorId 195011, as eBay answers. An ENABLED subscription needs an
ENABLED destination (195015). testSubscription answers 202 and sends one notification
with made-up data to the destination, whatever the subscription's status.
Subscription filters are not served (501).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import notification_errors as errors
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.destinations import find_destination
from stockbridge.sandbox.ebay.notification import BASE_PATH, PublisherDep, location, page
from stockbridge.sandbox.ebay.notification_schemas import (
    CreateSubscriptionRequest,
    SubscriptionPayloadDetail,
    UpdateSubscriptionRequest,
    parse_body,
)
from stockbridge.sandbox.ebay.notification_state import SubscriptionRecord
from stockbridge.sandbox.ebay.oauth import API_SCOPE, require_scope
from stockbridge.sandbox.ebay.state import AccessGrant, EbayState
from stockbridge.sandbox.ebay.topics import (
    DELIVERY_PROTOCOL,
    FORMAT,
    SUBSCRIPTION_READONLY_SCOPE,
    SUBSCRIPTION_SCOPE,
    TOPICS,
    Topic,
)

#: The official file's ``security`` per operation.
ReadGrant = Annotated[
    AccessGrant,
    Depends(require_scope(API_SCOPE, SUBSCRIPTION_READONLY_SCOPE, SUBSCRIPTION_SCOPE)),
]
WriteGrant = Annotated[AccessGrant, Depends(require_scope(API_SCOPE, SUBSCRIPTION_SCOPE))]
FIELD_ERRORS = {
    "topicId": errors.invalid_topic_id,
    "status": errors.invalid_subscription_status,
    "destinationId": errors.invalid_subscription_destination,
    "payload.schemaVersion": errors.invalid_schema_version,
    "payload.format": errors.unsupported_format,
    "payload.deliveryProtocol": errors.invalid_protocol,
    "payload": errors.invalid_schema_version,
}

router = APIRouter(
    prefix=BASE_PATH,
    tags=["eBay Commerce Notification"],
    dependencies=[Depends(operation_from_route_name)],
)


def subscription_json(subscription: SubscriptionRecord) -> dict[str, Any]:
    """The official ``Subscription`` schema."""
    return {
        "subscriptionId": subscription.subscription_id,
        "topicId": subscription.topic_id,
        "status": subscription.status,
        "creationDate": subscription.creation_date,
        "destinationId": subscription.destination_id,
        "payload": {
            "format": subscription.format,
            "schemaVersion": subscription.schema_version,
            "deliveryProtocol": subscription.delivery_protocol,
        },
    }


def find_subscription(state: EbayState, subscription_id: str) -> SubscriptionRecord:
    subscription = state.notification.subscriptions.get(subscription_id)
    if subscription is None:
        raise errors.unknown_subscription()
    return subscription


def authorize_for_topic(grant: AccessGrant, topic: Topic) -> None:
    if topic.scope == "APPLICATION":
        allowed = grant.kind == "application"
    else:
        allowed = grant.kind == "user" and SUBSCRIPTION_SCOPE in grant.scopes
    if not allowed:
        raise errors.not_authorized_for_topic()


def _status(raw: str | None) -> str:
    if raw not in {"ENABLED", "DISABLED"}:
        raise errors.invalid_subscription_status()
    return raw


def _schema_version(payload: SubscriptionPayloadDetail | None, topic: Topic) -> str:
    if payload is None or payload.schema_version not in topic.schema_versions:
        raise errors.invalid_schema_version()
    if payload.format != FORMAT:
        raise errors.unsupported_format()
    if payload.delivery_protocol != DELIVERY_PROTOCOL:
        raise errors.invalid_protocol()
    return payload.schema_version


def _check_destination(state: EbayState, destination_id: str | None, status: str) -> str:
    destination = state.notification.destinations.get(destination_id or "")
    if destination is None:
        raise errors.invalid_subscription_destination()
    if status == "ENABLED" and destination.status != "ENABLED":
        raise errors.destination_not_enabled()
    return destination.destination_id


def _refuse_twin(state: EbayState, topic_id: str, version: str, other_than: str | None) -> None:
    for existing in state.notification.subscriptions.values():
        same = (existing.topic_id, existing.schema_version) == (topic_id, version)
        if same and existing.subscription_id != other_than:
            raise errors.subscription_exists()


@router.post("/subscription", name="createSubscription")
async def create_subscription(request: Request, sandbox: SandboxDep, grant: WriteGrant) -> Response:
    body = parse_body(await request.body(), CreateSubscriptionRequest, FIELD_ERRORS)
    topic = TOPICS.get(body.topic_id or "")
    if topic is None:
        raise errors.invalid_topic_id()
    status = _status(body.status)
    version = _schema_version(body.payload, topic)
    subscription_id = sandbox.store.new_id()
    with sandbox.store.change() as state:
        destination_id = _check_destination(state, body.destination_id, "DISABLED")
        authorize_for_topic(grant, topic)
        if state.notification.alert_email is None:
            raise errors.config_missing()
        _refuse_twin(state, topic.topic_id, version, other_than=None)
        _check_destination(state, destination_id, status)
        state.notification.subscriptions[subscription_id] = SubscriptionRecord(
            subscription_id=subscription_id,
            topic_id=topic.topic_id,
            destination_id=destination_id,
            status="ENABLED" if status == "ENABLED" else "DISABLED",
            schema_version=version,
            creation_date=_now(sandbox),
        )
    return JSONResponse(
        {},
        status_code=201,
        headers={"Location": location(request, f"/subscription/{subscription_id}")},
    )


def _now(sandbox: EbaySandbox) -> str:
    moment = datetime.fromtimestamp(sandbox.now(), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@router.get("/subscription", name="getSubscriptions")
def get_subscriptions(
    sandbox: SandboxDep,
    _: ReadGrant,
    limit: str | None = None,
    continuation_token: str | None = None,
) -> JSONResponse:
    with sandbox.store.lock:
        found = [
            subscription_json(s) for s in sandbox.store.state.notification.subscriptions.values()
        ]
    return JSONResponse(page(found, "subscriptions", "/subscription", limit, continuation_token))


@router.get("/subscription/{subscription_id}", name="getSubscription")
def get_subscription(subscription_id: str, sandbox: SandboxDep, _: ReadGrant) -> JSONResponse:
    with sandbox.store.lock:
        found = find_subscription(sandbox.store.state, subscription_id)
        return JSONResponse(subscription_json(found))


@router.put("/subscription/{subscription_id}", name="updateSubscription")
async def update_subscription(
    subscription_id: str, request: Request, sandbox: SandboxDep, grant: WriteGrant
) -> Response:
    with sandbox.store.lock:
        find_subscription(sandbox.store.state, subscription_id)
    body = parse_body(await request.body(), UpdateSubscriptionRequest, FIELD_ERRORS)
    status = _status(body.status)
    with sandbox.store.change() as state:
        subscription = find_subscription(state, subscription_id)
        topic = TOPICS[subscription.topic_id]
        version = _schema_version(body.payload, topic)
        destination_id = _check_destination(state, body.destination_id, "DISABLED")
        authorize_for_topic(grant, topic)
        _refuse_twin(state, topic.topic_id, version, other_than=subscription_id)
        _check_destination(state, destination_id, status)
        subscription.schema_version, subscription.destination_id = version, destination_id
        subscription.status = "ENABLED" if status == "ENABLED" else "DISABLED"
    return Response(status_code=204)


@router.delete("/subscription/{subscription_id}", name="deleteSubscription")
def delete_subscription(subscription_id: str, sandbox: SandboxDep, _: WriteGrant) -> Response:
    with sandbox.store.change() as state:
        find_subscription(state, subscription_id)
        del state.notification.subscriptions[subscription_id]
    return Response(status_code=204)


@router.post("/subscription/{subscription_id}/enable", name="enableSubscription")
def enable_subscription(subscription_id: str, sandbox: SandboxDep, grant: WriteGrant) -> Response:
    with sandbox.store.change() as state:
        subscription = find_subscription(state, subscription_id)
        authorize_for_topic(grant, TOPICS[subscription.topic_id])
        _check_destination(state, subscription.destination_id, "ENABLED")
        subscription.status = "ENABLED"
    return Response(status_code=204)


@router.post("/subscription/{subscription_id}/disable", name="disableSubscription")
def disable_subscription(subscription_id: str, sandbox: SandboxDep, _: WriteGrant) -> Response:
    with sandbox.store.change() as state:
        find_subscription(state, subscription_id).status = "DISABLED"
    return Response(status_code=204)


@router.post("/subscription/{subscription_id}/test", name="testSubscription")
def test_subscription(
    subscription_id: str, sandbox: SandboxDep, publisher: PublisherDep, grant: WriteGrant
) -> Response:
    with sandbox.store.lock:
        subscription = find_subscription(sandbox.store.state, subscription_id)
        authorize_for_topic(grant, TOPICS[subscription.topic_id])
        endpoint = find_destination(sandbox.store.state, subscription.destination_id).endpoint
        subscription = subscription.model_copy()
    publisher.send_test(subscription, endpoint)
    return Response(status_code=202)
