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

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from stockbridge.channels.base import OrderLine
from stockbridge.commerce.allocation import REFERENCE_TYPE, allocate_order_items
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


def _published(
    session: Session, channel_id: int, column: InstrumentedAttribute[str | None], values: set[str]
) -> dict[str, Product]:
    """Publications of the channel whose ``column`` is one of ``values``: the first (by id)
    of each value, as its product."""
    found: dict[str, Product] = {}
    if not values:
        return found
    rows = session.execute(
        select(column, EcomListing.product_code_id, EcomListing.condition)
        .join(EcomListingChannel, EcomListingChannel.listing_id == EcomListing.id)
        .where(EcomListingChannel.channel_id == channel_id, column.in_(sorted(values)))
        .order_by(EcomListingChannel.id)
    )
    for value, product_code_id, condition in rows:
        if value is not None:
            found.setdefault(value, Product(product_code_id, condition))
    return found


def find_products(
    session: Session, channel_id: int, lines: Sequence[OrderLine]
) -> list[Product | None]:
    """The product each line sold (None when nothing in the store matches it), looked up
    for all the lines at once: at most three queries, however many lines."""
    skus = {line.sku for line in lines if line.sku}
    by_sku = _published(session, channel_id, EcomListingChannel.external_sku, skus)
    unpublished = sorted(skus - by_sku.keys())
    if unpublished:
        codes = session.execute(
            select(ProductCode.sku, ProductCode.id).where(ProductCode.sku.in_(unpublished))
        )
        for sku, code_id in codes:
            by_sku[sku] = Product(code_id, Condition.NEW)
    listing_ids = {
        line.external_listing_id
        for line in lines
        if line.external_listing_id and not (line.sku and line.sku in by_sku)
    }
    by_listing = _published(session, channel_id, EcomListingChannel.external_id, listing_ids)
    return [
        by_sku.get(line.sku) if line.sku and line.sku in by_sku
        else by_listing.get(line.external_listing_id) if line.external_listing_id
        else None
        for line in lines
    ]  # fmt: skip


def find_product(session: Session, channel_id: int, line: OrderLine) -> Product | None:
    """The product an order line sold, or None when nothing in the store matches it."""
    return find_products(session, channel_id, [line])[0]


def new_item(order_id: int | None, line: OrderLine, product: Product | None) -> EcomOrderItem:
    """An order item for the line (not yet reserved); its total is price x quantity - discount.

    ``order_id`` may be None for an item appended to an order not yet flushed."""
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


def reserve_items(
    session: Session,
    pairs: Sequence[tuple[EcomOrderItem, Product | None]],
    *,
    branch_ids: Sequence[int],
    actor: str,
) -> list[str | None]:
    """Reserve what stock there is for each item, in turn; for each, the problem as text if
    it fell short (None if reserved in full)."""
    known = [(item, product) for item, product in pairs if product is not None]
    allocations = iter(
        allocate_order_items(
            session,
            [(item, product.condition) for item, product in known],
            branch_ids=branch_ids,
            allow_partial=True,
            actor=actor,
        )
    )
    problems: list[str | None] = []
    short: set[int] = set()
    for item, product in pairs:
        if product is None:
            problems.append(f"{_label(item)}: no product in the store matches this line")
            continue
        allocation = next(allocations)
        if isinstance(allocation, InsufficientStock):
            short.add(product.product_code_id)
            problems.append(f"{_label(item)}: sold {item.quantity}, none in stock (oversold)")
        elif not allocation.complete:
            # The allocation has marked the publications dirty already.
            problems.append(
                f"{_label(item)}: sold {item.quantity}, only {allocation.quantity} in stock "
                "reserved (oversold)"
            )
        else:
            problems.append(None)
    # What the marketplace sold beyond the stock: its next quantity push corrects it.
    mark_listings_dirty(session, short)
    return problems


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
