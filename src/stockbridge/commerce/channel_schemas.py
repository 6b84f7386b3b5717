"""What a shop owner sets on a channel: where it sells from, how much, at what price, how often.

:class:`ChannelSettings` is stored in ``ecom_channels.config`` (besides the safety
buffer, the max listed quantity and the branches, which have columns of their own so
the quantity rule can be read in SQL). Credentials are not here: they are the
provider's own schema (``ChannelProvider.credentials_schema``) and are stored encrypted.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stockbridge.pos.schemas import MAX_ROW_ID
from stockbridge.statuses import ConflictPolicy

BranchId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class PriceMode(StrEnum):
    STORE_PRICE = "store_price"  # the product code's price (or the version's override)
    LISTING_OVERRIDE = "listing_override"  # the listing's own price where it has one
    PERCENTAGE = "percentage"  # store price adjusted by ``percentage`` per cent
    FIXED_ADJUSTMENT = "fixed_adjustment"  # store price plus ``adjustment_cents``


class PriceRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: PriceMode = PriceMode.STORE_PRICE
    percentage: Decimal | None = Field(
        None, ge=-90, le=1000, max_digits=6, decimal_places=2, description="e.g. 12.5 for +12.5%."
    )
    adjustment_cents: int | None = Field(None, ge=-10_000_000, le=10_000_000)

    @model_validator(mode="after")
    def _needs_its_figure(self) -> PriceRule:
        if self.mode is PriceMode.PERCENTAGE and self.percentage is None:
            raise ValueError("the percentage price rule needs 'percentage'")
        if self.mode is PriceMode.FIXED_ADJUSTMENT and self.adjustment_cents is None:
            raise ValueError("the fixed_adjustment price rule needs 'adjustment_cents'")
        return self


class SyncIntervals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_poll_seconds: int = Field(300, ge=30, le=86_400)
    inventory_reconcile_minutes: int = Field(15, ge=5, le=10_080)
    listing_refresh_minutes: int = Field(1_440, ge=15, le=10_080)
    #: An expiring access token is refreshed once it runs out within this margin (eBay's
    #: last two hours; the adapter itself refreshes only in the last five minutes).
    token_refresh_margin_minutes: int = Field(10, ge=2, le=60)


class OversellPolicy(StrEnum):
    HOLD_FOR_REVIEW = "hold_for_review"  # the order waits for a person
    CANCEL_ORDER = "cancel_order"  # the order that cannot be filled is cancelled


class ConflictPolicies(BaseModel):
    """Per field, what a reconcile does with a value changed on the marketplace (see
    docs/sync.md, "Conflicts"); ``oversell`` is what an order that cannot be filled gets."""

    model_config = ConfigDict(extra="forbid")

    quantity: ConflictPolicy = Field(
        ConflictPolicy.STORE_WINS,
        description="store_wins: every quantity is set back to the store's offer; "
        "marketplace_wins: the marketplace's quantity is left until the store's offer "
        "changes; manual: an open conflict waits, the quantity is left meanwhile.",
    )
    price: ConflictPolicy = Field(
        ConflictPolicy.STORE_WINS,
        description="store_wins: the price is set back; marketplace_wins: the "
        "marketplace's price becomes the publication's override price; manual: an open "
        "conflict waits, the price is left meanwhile.",
    )
    oversell: OversellPolicy = OversellPolicy.HOLD_FOR_REVIEW


class ChannelSettings(BaseModel):
    """A channel's rules; every field has a default a new shop can start with."""

    model_config = ConfigDict(extra="forbid")

    branch_ids: list[BranchId] = Field(
        default_factory=list,
        max_length=50,
        description="Branches the channel sells from, preferred first (allocation order).",
    )
    safety_buffer: int = Field(0, ge=0, le=1_000_000, description="Units never offered.")
    max_listed_qty: int | None = Field(None, ge=0, le=1_000_000)
    price_rule: PriceRule = Field(default_factory=PriceRule)
    sync: SyncIntervals = Field(default_factory=SyncIntervals)
    conflicts: ConflictPolicies = Field(default_factory=ConflictPolicies)
    marketplace: dict[str, Any] = Field(
        default_factory=dict,
        description="The marketplace's own listing settings, handed to its adapter: on "
        "eBay `marketplace_id`, `merchant_location_key`, `category_id`, `policies` "
        '(e.g. {"fulfillment": "...", "payment": "...", "return": "..."}); on Shopify '
        "`location_id`.",
    )

    @model_validator(mode="after")
    def _branches_once(self) -> ChannelSettings:
        if len(set(self.branch_ids)) != len(self.branch_ids):
            raise ValueError("branch_ids lists a branch twice")
        return self

    def stored_config(self) -> dict[str, Any]:
        """The part kept in ``ecom_channels.config``."""
        return self.model_dump(
            mode="json",
            include={"price_rule", "sync", "conflicts", "marketplace"},
            exclude_none=True,
        )
