"""What the eBay sandbox holds for the Commerce Notification API.

The application's alert e-mail (``/config``), its destinations (endpoint plus
verification token), its subscriptions (topic, schema version, destination) and the
ECDSA key pairs it signs notifications with. One :class:`NotificationState` sits in
:class:`~stockbridge.sandbox.ebay.state.EbayState` under ``notification``, so it is saved
in the state file with the rest: a restarted sandbox keeps its key id, and a receiver's
cached public key stays good.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

DestinationStatus = Literal["ENABLED", "DISABLED", "MARKED_DOWN"]
SubscriptionStatus = Literal["ENABLED", "DISABLED"]


class SigningKeyRecord(BaseModel):
    #: The ``kid`` of X-EBAY-SIGNATURE and the ``public_key_id`` of getPublicKey.
    key_id: str
    #: PKCS#8 PEM of the P-256 private key; never served.
    private_key_pem: str
    #: PEM of the public key (SubjectPublicKeyInfo).
    public_key_pem: str


class DestinationRecord(BaseModel):
    destination_id: str
    name: str
    status: DestinationStatus
    endpoint: str
    verification_token: str


class SubscriptionRecord(BaseModel):
    subscription_id: str
    topic_id: str
    destination_id: str
    status: SubscriptionStatus
    schema_version: str
    format: str = "JSON"
    delivery_protocol: str = "HTTPS"
    #: ISO 8601 UTC, as eBay's ``creationDate``.
    creation_date: str


class NotificationState(BaseModel):
    alert_email: str | None = None
    destinations: dict[str, DestinationRecord] = Field(default_factory=dict)
    subscriptions: dict[str, SubscriptionRecord] = Field(default_factory=dict)
    #: Keys by id; the newest signs, older ones still verify notifications in flight.
    signing_keys: dict[str, SigningKeyRecord] = Field(default_factory=dict)
    current_key_id: str | None = None
