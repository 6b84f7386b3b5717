"""What every resolver of the Shopify sandbox receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from graphql import GraphQLResolveInfo

from stockbridge.sandbox.shopify.state import ShopState


@dataclass
class ResolveContext:
    """The state to read and change, and the instant this request happens at.

    ``changed`` is set by mutations that changed the state, so the app knows to persist.
    ``webhook_https_only`` is ``ShopifySandboxConfig.webhook_https_only``.
    """

    state: ShopState
    now: datetime
    changed: bool = field(default=False)
    webhook_https_only: bool = False


#: The resolve info every resolver of the sandbox receives.
Info: TypeAlias = "GraphQLResolveInfo[ResolveContext]"
