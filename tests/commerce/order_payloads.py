"""Marketplace orders as an adapter hands them over, and the shop they are imported into."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockbridge.channels.base import Address, Buyer, Money, NormalizedOrder, OrderLine
from stockbridge.db.models import (
    Branch,
    ChannelStatus,
    EcomChannel,
    EcomChannelBranch,
    EcomOrderItem,
    FulfillmentStatus,
    PaymentStatus,
    ProductCodeVersion,
    StockLedgerEntry,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CURRENCY = "EUR"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def eur(cents: int) -> Money:
    return Money(cents, CURRENCY)


def line(
    external_id: str = "L1", sku: str | None = "SKU-A", quantity: int = 1, price: int = 1000
) -> OrderLine:
    return OrderLine(
        external_id=external_id,
        sku=sku,
        title=f"Item {sku}",
        quantity=quantity,
        unit_price=eur(price),
        tax=eur(0),
        discount=eur(0),
    )


def order(
    external_id: str = "1001",
    *lines: OrderLine,
    updated: datetime = T0,
    cancelled: bool = False,
    **changes: Any,
) -> NormalizedOrder:
    lines = lines or (line(),)
    base = NormalizedOrder(
        external_id=external_id,
        number=f"#{external_id}",
        currency=CURRENCY,
        placed_at=T0,
        updated_at=updated,
        payment_status=PaymentStatus.PAID,
        fulfillment_status=FulfillmentStatus.UNFULFILLED,
        cancelled=cancelled,
        buyer=Buyer(external_id="b1", name="Ada Buyer", email="ada@example.com"),
        shipping_address=Address(name="Ada Buyer", line1="1 High St", city="Leeds", country="GB"),
        billing_address=None,
        lines=lines,
        shipping_cost=eur(450),
        total=eur(sum(item.unit_price.cents * item.quantity for item in lines) + 450),
        raw={"id": external_id},
    )
    return replace(base, **changes)


def make_channel(session: Session, *branches: Branch) -> EcomChannel:
    """A channel selling from ``branches``, the first preferred."""
    channel = EcomChannel(
        name="Shop", provider="shopify", status=ChannelStatus.ACTIVE, currency=CURRENCY
    )
    channel.branches = [
        EcomChannelBranch(branch_id=branch.id, priority=rank)
        for rank, branch in enumerate(branches)
    ]
    session.add(channel)
    session.flush()
    return channel


def stock_problems(session: Session) -> list[str]:
    """Every way stored stock disagrees with the invariants; empty when all hold.

    ``0 <= reserved <= on_hand`` per version, the ledger sums equal the stored quantities,
    and what a version has reserved equals what the order items allocated to it hold.
    """
    held = {
        version_id: quantity
        for version_id, quantity in session.execute(
            select(
                EcomOrderItem.allocated_version_id,
                func.sum(EcomOrderItem.quantity_allocated - EcomOrderItem.quantity_shipped),
            )
            .where(EcomOrderItem.allocated_version_id.is_not(None))
            .group_by(EcomOrderItem.allocated_version_id)
        ).all()
    }
    ledger = {
        version_id: (on_hand, reserved)
        for version_id, on_hand, reserved in session.execute(
            select(
                StockLedgerEntry.version_id,
                func.sum(StockLedgerEntry.delta_on_hand),
                func.sum(StockLedgerEntry.delta_reserved),
            ).group_by(StockLedgerEntry.version_id)
        ).all()
    }
    problems = []
    for version in session.scalars(
        select(ProductCodeVersion).execution_options(populate_existing=True)
    ):
        on_hand, reserved = version.qty_on_hand, version.qty_reserved
        if not 0 <= reserved <= on_hand:
            problems.append(f"version {version.id}: reserved {reserved}, on hand {on_hand}")
        if ledger.get(version.id, (0, 0)) != (on_hand, reserved):
            problems.append(f"version {version.id}: ledger {ledger.get(version.id)}")
        if held.get(version.id, 0) != reserved:
            problems.append(f"version {version.id}: items hold {held.get(version.id, 0)}")
    return problems
