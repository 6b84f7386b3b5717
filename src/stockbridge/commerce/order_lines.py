"""The lines of an imported marketplace order: which product each is, stock held and given back.

A line's SKU is matched first against the SKUs this channel's publications carry (which
also give the listing's condition), then against product codes (condition new); a line
without a usable SKU is matched by the marketplace listing id of a publication. Stock is
reserved by ``commerce.allocation`` (branch and version recorded on the item). A line
that cannot be fully reserved does not stop the order: it is reported as a problem for
the order to be flagged, and the product's publications are marked dirty so the next
quantity push corrects what the marketplace shows (it sold more than we had).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from stockbridge.channels.base import OrderLine
from stockbridge.commerce.allocation import REFERENCE_TYPE, allocate_order_item
from stockbridge.db.models import (
    Condition,
    EcomChannelBranch,
    EcomListing,
    EcomListingChannel,
    EcomOrderItem,
    ProductCode,
)
from stockbridge.errors import InsufficientStock
from stockbridge.pos import inventory
from stockbridge.pos.outbox import mark_listings_dirty


@dataclass(frozen=True)
class Product:
    """What an order line is in the store: a product code in a condition."""

    product_code_id: int
    condition: Condition


def channel_branch_ids(session: Session, channel_id: int) -> list[int]:
    """The branches the channel sells from, preferred first (empty: every active branch)."""
    return list(
        session.scalars(
            select(EcomChannelBranch.branch_id)
            .where(EcomChannelBranch.channel_id == channel_id)
            .order_by(EcomChannelBranch.priority)
        )
    )


def _published(session: Session, channel_id: int, criterion: ColumnElement[bool]) -> Product | None:
    row = session.execute(
        select(EcomListing.product_code_id, EcomListing.condition)
        .join(EcomListingChannel, EcomListingChannel.listing_id == EcomListing.id)
        .where(EcomListingChannel.channel_id == channel_id, criterion)
        .order_by(EcomListingChannel.id)
        .limit(1)
    ).first()
    return Product(row.product_code_id, row.condition) if row else None


def find_product(session: Session, channel_id: int, line: OrderLine) -> Product | None:
    """The product an order line sold, or None when nothing in the store matches it."""
    if line.sku:
        published = _published(session, channel_id, EcomListingChannel.external_sku == line.sku)
        if published:
            return published
        code_id = session.scalars(select(ProductCode.id).where(ProductCode.sku == line.sku)).first()
        if code_id is not None:
            return Product(code_id, Condition.NEW)
    if line.external_listing_id:
        return _published(
            session, channel_id, EcomListingChannel.external_id == line.external_listing_id
        )
    return None


def new_item(order_id: int, line: OrderLine, product: Product | None) -> EcomOrderItem:
    """An order item for the line (not yet reserved); its total is price x quantity - discount."""
    return EcomOrderItem(
        ecom_order_id=order_id,
        external_item_id=line.external_id,
        sku=line.sku or None,
        title=line.title[:300],
        product_code_id=product.product_code_id if product else None,
        quantity=line.quantity,
        unit_price_cents=line.unit_price.cents,
        tax_cents=line.tax.cents,
        discount_cents=line.discount.cents,
        total_cents=line.unit_price.cents * line.quantity - line.discount.cents,
        quantity_allocated=0,
    )


def _label(item: EcomOrderItem) -> str:
    return f"line {item.external_item_id} (SKU {item.sku or '-'})"


def reserve_item(
    session: Session,
    item: EcomOrderItem,
    product: Product | None,
    *,
    branch_ids: Sequence[int],
    actor: str,
) -> str | None:
    """Reserve what stock there is for the item; the problem as text if it fell short."""
    if product is None:
        return f"{_label(item)}: no product in the store matches this line"
    try:
        allocation = allocate_order_item(
            session,
            item,
            branch_ids=branch_ids,
            condition=product.condition,
            allow_partial=True,
            actor=actor,
        )
    except InsufficientStock:
        mark_listings_dirty(session, [product.product_code_id])
        return f"{_label(item)}: sold {item.quantity}, none in stock (oversold)"
    if not allocation.complete:
        # allocate() has marked the publications dirty already.
        return (
            f"{_label(item)}: sold {item.quantity}, only {allocation.quantity} in stock "
            "reserved (oversold)"
        )
    return None


def release_item(session: Session, item: EcomOrderItem, *, actor: str) -> int:
    """Give back what the item holds and has not shipped; returns the quantity released.

    Afterwards the item holds nothing, so releasing again releases nothing.
    """
    held = item.quantity_allocated - item.quantity_shipped
    if held <= 0 or item.allocated_version_id is None:
        return 0
    inventory.release(
        session,
        item.allocated_version_id,
        held,
        actor=actor,
        reference=inventory.Reference(REFERENCE_TYPE, str(item.id)),
    )
    item.quantity_allocated = item.quantity_shipped
    return held
