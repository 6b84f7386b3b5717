"""The notification topics the sandbox offers, as getTopics and getTopic describe them.

Only real eBay topic ids, with the facts eBay documents for them: ``scope`` (whether an
application token or a user's token subscribes; ScopeEnum ``APPLICATION``/``USER``),
``context`` (ContextEnum ``BUY``, ``SELL``, ``COMMERCE``, ``DEVELOPER``), and the payload
schema versions. MARKETPLACE_ACCOUNT_DELETION (mandatory for every app) and
PRIORITY_LISTING_REVISION have official AsyncAPI payload contracts beside the repo; the
sandbox publishes MARKETPLACE_ACCOUNT_DELETION itself (``/_sandbox/notifications``) and
delivers any topic listed here when an event with that topic reaches the event log.
Descriptions are the sandbox's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stockbridge.sandbox.ebay.oauth import API_SCOPE

TopicScope = Literal["APPLICATION", "USER"]
SUBSCRIPTION_SCOPE = f"{API_SCOPE}/commerce.notification.subscription"
SUBSCRIPTION_READONLY_SCOPE = f"{SUBSCRIPTION_SCOPE}.readonly"
#: The only format and protocol eBay supports for any topic (official file's notes).
FORMAT = "JSON"
DELIVERY_PROTOCOL = "HTTPS"


@dataclass(frozen=True)
class Topic:
    topic_id: str
    description: str
    scope: TopicScope
    context: str
    schema_versions: tuple[str, ...] = ("1.0",)
    authorization_scopes: tuple[str, ...] = (API_SCOPE,)
    filterable: bool = False

    def as_json(self) -> dict[str, Any]:
        """The official ``Topic`` schema."""
        return {
            "topicId": self.topic_id,
            "description": self.description,
            "authorizationScopes": list(self.authorization_scopes),
            "status": "ENABLED",
            "context": self.context,
            "scope": self.scope,
            "filterable": self.filterable,
            "supportedPayloads": [
                {
                    "schemaVersion": version,
                    "format": [FORMAT],
                    "deliveryProtocol": DELIVERY_PROTOCOL,
                    "deprecated": False,
                }
                for version in self.schema_versions
            ],
        }


MARKETPLACE_ACCOUNT_DELETION = "MARKETPLACE_ACCOUNT_DELETION"

TOPICS: dict[str, Topic] = {
    topic.topic_id: topic
    for topic in (
        Topic(
            MARKETPLACE_ACCOUNT_DELETION,
            "An eBay user asked for their account to be closed and their personal data "
            "erased; every application must erase what it holds about them.",
            scope="APPLICATION",
            context="COMMERCE",
        ),
        Topic(
            "AUTHORIZATION_REVOCATION",
            "A user revoked the application's access to their eBay account.",
            scope="APPLICATION",
            context="DEVELOPER",
        ),
        Topic(
            "PRIORITY_LISTING_REVISION",
            "A listing's priority listing flag or category changed.",
            scope="APPLICATION",
            context="BUY",
        ),
        Topic(
            "ORDER_CONFIRMATION",
            "A buyer completed the purchase of one of the seller's items.",
            scope="USER",
            context="SELL",
            authorization_scopes=(SUBSCRIPTION_SCOPE,),
        ),
    )
}
