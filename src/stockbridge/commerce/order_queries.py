"""Reading imported marketplace orders: a filtered, paginated list and one order in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from stockbridge.db.models import EcomOrder, OrderStatus
from stockbridge.errors import NotFound
from stockbridge.pos.catalog import Page, paginate


@dataclass(frozen=True)
class EcomOrderFilter:
    channel_id: int | None = None
    status: OrderStatus | None = None
    #: Placed on the marketplace at or after / before these moments.
    placed_since: datetime | None = None
    placed_until: datetime | None = None


def search_ecom_orders(
    session: Session, filters: EcomOrderFilter, *, page: int, per_page: int
) -> Page[EcomOrder]:
    """Marketplace orders, newest first, with their items (allocations included)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.channel_id is not None:
        conditions.append(EcomOrder.channel_id == filters.channel_id)
    if filters.status is not None:
        conditions.append(EcomOrder.status == filters.status)
    if filters.placed_since is not None:
        conditions.append(EcomOrder.placed_at >= filters.placed_since)
    if filters.placed_until is not None:
        conditions.append(EcomOrder.placed_at < filters.placed_until)
    query = (
        select(EcomOrder)
        .where(*conditions)
        .options(selectinload(EcomOrder.items))
        .order_by(EcomOrder.id.desc())
    )
    return paginate(session, query, page=page, per_page=per_page)


def get_ecom_order(session: Session, order_id: int) -> EcomOrder:
    """One marketplace order with its items and its history."""
    order = session.scalars(
        select(EcomOrder)
        .where(EcomOrder.id == order_id)
        .options(selectinload(EcomOrder.items), selectinload(EcomOrder.events))
    ).one_or_none()
    if order is None:
        raise NotFound(f"marketplace order {order_id} does not exist")
    return order
