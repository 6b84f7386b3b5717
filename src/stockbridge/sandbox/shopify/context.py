"""What every resolver of the Shopify sandbox receives as ``info.context``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from graphql import GraphQLResolveInfo

from stockbridge.sandbox.shopify.state import ShopState


@dataclass
class ResolveContext:
    """The state to read and change, and the instant this request happens at.

    ``changed`` is set by mutations that changed the state, so the app knows to persist.
    ``scopes`` are the access scopes of the caller's token (``None``: a custom-app token,
    which holds every scope). ``announcements`` are the webhook events of the changes
    made, published on the sandbox's event log once the request is answered, so that
    listeners never run inside a resolver. ``webhook_https_only`` is
    ``ShopifySandboxConfig.webhook_https_only``.
    """

    state: ShopState
    now: datetime
    changed: bool = field(default=False)
    webhook_https_only: bool = False
    scopes: frozenset[str] | None = None
    announcements: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)

    def announce(self, topic: str, payload: Mapping[str, Any]) -> None:
        self.announcements.append((topic, payload))


#: The resolve info every resolver of the sandbox receives.
Info: TypeAlias = "GraphQLResolveInfo[ResolveContext]"
