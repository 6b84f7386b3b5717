"""Signed push notifications: from the sandbox's event log to each subscriber's endpoint.

:class:`NotificationPublisher` listens on the event log. An event whose topic is a
notification topic (topics.py) becomes one notification per ENABLED subscription to
that topic whose destination is ENABLED: a body shaped as eBay's AsyncAPI contracts say
(``metadata {topic, schemaVersion, deprecated}``, ``notification {notificationId,
eventDate, publishDate, publishAttemptCount, data}``), signed (signing.py) and handed
to the shared :class:`~stockbridge.sandbox.delivery.Deliverer`.

The body is compact JSON with characters left unescaped, because eBay's SDKs verify
the signature over their own re-serialisation of the parsed message
(``JSON.stringify``), which must give back the very bytes that were signed.

Retries: eBay's notification pages give three retries per notification and no
intervals, so the sandbox waits 1, 5 and 25 minutes (times ``notification_time_scale``).
Each attempt carries the same ``notificationId`` and a ``publishAttemptCount`` one
higher, so before a retry the body is rebuilt and signed again (``on_attempt``).

It also owns the signing key: made on first use and kept in the state file.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from stockbridge.sandbox.control import CONTROL_PREFIX
from stockbridge.sandbox.delivery import Attempt, Deliverer, Delivery, DeliveryPolicy
from stockbridge.sandbox.ebay.config import EbaySandboxConfig
from stockbridge.sandbox.ebay.notification_state import SigningKeyRecord, SubscriptionRecord
from stockbridge.sandbox.ebay.signing import new_signing_key, signature_header
from stockbridge.sandbox.ebay.state import EbayStore
from stockbridge.sandbox.ebay.topics import MARKETPLACE_ACCOUNT_DELETION, TOPICS
from stockbridge.sandbox.events import EventLog, SandboxEvent

#: Seconds before each retry (three, as eBay's notification pages say).
RETRY_DELAYS = (60.0, 300.0, 1500.0)
SIGNATURE_HEADER = "X-EBAY-SIGNATURE"


def ebay_timestamp(seconds: float) -> str:
    """UTC with milliseconds and ``Z``, as in eBay's messages (2021-03-19T20:43:59.462Z)."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


class NotificationPublisher:
    """Builds, signs and submits notifications; re-signs them before each retry."""

    def __init__(self, store: EbayStore, config: EbaySandboxConfig, events: EventLog) -> None:
        self.store = store
        self.config = config
        self.events = events
        policy = DeliveryPolicy(
            retry_delays=RETRY_DELAYS, time_scale=config.notification_time_scale
        )
        self.deliverer = Deliverer(policy, on_attempt=self._after_attempt)
        self._lock = threading.Lock()
        #: The message of each delivery still pending, to rebuild it for a retry.
        self._messages: dict[str, dict[str, Any]] = {}
        events.listen(self._on_event)

    # --- the signing key --------------------------------------------------------------

    def signing_key(self) -> SigningKeyRecord:
        with self.store.change() as state:
            held = state.notification
            if held.current_key_id is None or held.current_key_id not in held.signing_keys:
                key = new_signing_key()
                held.signing_keys[key.key_id] = key
                held.current_key_id = key.key_id
            return held.signing_keys[held.current_key_id]

    def public_key(self, key_id: str) -> SigningKeyRecord | None:
        with self.store.lock:
            return self.store.state.notification.signing_keys.get(key_id)

    # --- publishing -------------------------------------------------------------------

    def _on_event(self, event: SandboxEvent) -> None:
        if event.topic not in TOPICS:
            return
        with self.store.lock:
            held = self.store.state.notification
            targets = [
                (subscription, held.destinations[subscription.destination_id].endpoint)
                for subscription in held.subscriptions.values()
                if subscription.topic_id == event.topic
                and subscription.status == "ENABLED"
                and subscription.destination_id in held.destinations
                and held.destinations[subscription.destination_id].status == "ENABLED"
            ]
        for subscription, endpoint in targets:
            self._submit(event.id, subscription, endpoint, event.at.timestamp(), event.payload)

    def send_test(self, subscription: SubscriptionRecord, endpoint: str) -> Delivery:
        """testSubscription: one notification with made-up data, to this subscription only.

        It is no event of the log, so its ``event_id`` is 0.
        """
        data = test_data(subscription.topic_id)
        return self._submit(0, subscription, endpoint, self.config.clock(), data)

    def _submit(
        self,
        event_id: int,
        subscription: SubscriptionRecord,
        endpoint: str,
        event_date: float,
        data: Any,
    ) -> Delivery:
        message = {
            "metadata": {
                "topic": subscription.topic_id,
                "schemaVersion": subscription.schema_version,
                "deprecated": False,
            },
            "notification": {
                # Shaped like eBay's ids: two UUIDs joined by an underscore.
                "notificationId": f"{uuid.uuid4()}_{uuid.uuid4()}",
                "eventDate": ebay_timestamp(event_date),
                "publishDate": ebay_timestamp(self.config.clock()),
                "publishAttemptCount": 1,
                "data": data,
            },
        }
        body = encode(message)
        delivery = Delivery.new(
            event_id=event_id,
            topic=subscription.topic_id,
            url=endpoint,
            headers=self._headers(body),
            body=body,
        )
        with self._lock:
            self._messages[delivery.id] = message
        self.deliverer.submit(delivery)
        return delivery

    def _headers(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(self.signing_key(), body),
        }

    def _after_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        # Runs on the deliverer's thread before it can pick this delivery again, so the
        # retry goes out with the new body and signature.
        with self._lock:
            message = self._messages.get(delivery.id)
            if message is None or delivery.status != "pending":
                self._messages.pop(delivery.id, None)
                return
            notification = message["notification"]
            notification["publishAttemptCount"] = len(delivery.attempts) + 1
            notification["publishDate"] = ebay_timestamp(self.config.clock())
            body = encode(message)
        delivery.headers = self._headers(body)
        delivery.body = body

    def reset(self) -> None:
        self.deliverer.clear()
        with self._lock:
            self._messages.clear()


def test_data(topic_id: str) -> dict[str, Any]:
    """Made-up ``data`` for testSubscription (eBay sends a mocked payload too)."""
    if topic_id == MARKETPLACE_ACCOUNT_DELETION:
        return {
            "username": "sandbox_test_user",
            "userId": "sbxTestUser0",
            "eiasToken": "c2FuZGJveC10ZXN0LXVzZXI=",
        }
    return {}


# --- control: announce an account deletion -----------------------------------------


class AccountDeletion(BaseModel):
    """The user whose account closes; fields left out are made up."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(default_factory=lambda: f"user_{secrets.token_hex(4)}")
    userId: str = Field(default_factory=lambda: secrets.token_urlsafe(8))  # noqa: N815 (eBay's name)
    eiasToken: str = Field(default_factory=lambda: secrets.token_urlsafe(24))  # noqa: N815


def notification_control_router(publisher: NotificationPublisher) -> APIRouter:
    """``/_sandbox/notifications``: make eBay announce something."""
    router = APIRouter(prefix=f"{CONTROL_PREFIX}/notifications", tags=["sandbox control"])

    @router.post("/account-deletion", status_code=201)
    def account_deletion(user: AccountDeletion) -> dict[str, Any]:
        event = publisher.events.publish(MARKETPLACE_ACCOUNT_DELETION, user.model_dump())
        deliveries = [d.id for d in publisher.deliverer.deliveries() if d.event_id == event.id]
        return {"event": event.as_json(), "deliveries": deliveries}

    return router
