"""Allocating a marketplace order line records branch, version and quantity on the line."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stockbridge.commerce.allocation import allocate_order_item
from stockbridge.db.models import (
    ChannelStatus,
    EcomChannel,
    EcomOrder,
    EcomOrderItem,
    FulfillmentStatus,
    LedgerReason,
    OrderStatus,
    PaymentStatus,
    ProductCode,
    StockLedgerEntry,
)
from stockbridge.errors import InsufficientStock, InvalidStockOperation
from tests.factories import ACTOR, make_branch, make_product, make_version


def order_line(session: Session, product: ProductCode, quantity: int) -> EcomOrderItem:
    channel = EcomChannel(
        name="Shop", provider="shopify", status=ChannelStatus.ACTIVE, currency="EUR"
    )
    session.add(channel)
    session.flush()
    order = EcomOrder(
        channel_id=channel.id,
        external_id="1001",
        status=OrderStatus.PENDING,
        payment_status=PaymentStatus.PAID,
        fulfillment_status=FulfillmentStatus.UNFULFILLED,
        currency="EUR",
    )
    session.add(order)
    session.flush()
    item = EcomOrderItem(
        ecom_order_id=order.id,
        external_item_id="L1",
        sku=product.sku,
        title=product.name,
        product_code_id=product.id,
        quantity=quantity,
        unit_price_cents=product.price_cents,
        total_cents=quantity * product.price_cents,
    )
    session.add(item)
    session.flush()
    return item


def test_the_chosen_branch_and_version_are_recorded_on_the_line(session: Session) -> None:
    product = make_product(session)
    near, far = make_branch(session), make_branch(session)
    make_version(session, product=product, branch=near, on_hand=1)
    stocked = make_version(session, product=product, branch=far, on_hand=5)
    item = order_line(session, product, 2)

    allocation = allocate_order_item(session, item, branch_ids=[near.id, far.id], actor=ACTOR)

    session.refresh(item)
    assert (item.allocated_branch_id, item.allocated_version_id) == (far.id, stocked.id)
    assert item.quantity_allocated == allocation.quantity == 2
    reserve = session.scalars(
        select(StockLedgerEntry).where(StockLedgerEntry.reason == LedgerReason.RESERVE)
    ).one()
    assert (reserve.reference_type, reserve.reference_id) == ("ecom_order_item", str(item.id))


def test_a_short_line_reserves_what_it_can_only_when_allowed(session: Session) -> None:
    product = make_product(session)
    branch = make_branch(session)
    make_version(session, product=product, branch=branch, on_hand=1)
    item = order_line(session, product, 3)

    with pytest.raises(InsufficientStock):
        allocate_order_item(session, item, branch_ids=[branch.id], actor=ACTOR)
    assert item.allocated_version_id is None

    partial = allocate_order_item(
        session, item, branch_ids=[branch.id], allow_partial=True, actor=ACTOR
    )
    assert (partial.complete, item.quantity_allocated) == (False, 1)
    with pytest.raises(InvalidStockOperation):
        allocate_order_item(session, item, branch_ids=[branch.id], actor=ACTOR)
