"""``/api/pos/orders``: the store's orders, POS sales and shipped marketplace orders alike."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import SessionDep
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.common import PathId
from stockbridge.api.schemas.orders import OrderPublic, OrderQuery, OrdersPublic
from stockbridge.pos import sales

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("", summary="List store orders", description="Newest first, with items and payments.")
def list_orders(session: SessionDep, query: Annotated[OrderQuery, Query()]) -> OrdersPublic:
    filters = sales.OrderFilter(source=query.source, status=query.status, branch_id=query.branch_id)
    page = sales.search_orders(session, filters, page=query.page, per_page=query.per_page)
    return OrdersPublic.model_validate(page)


@router.get("/{order_id}", summary="Get a store order", responses=problem_responses(404))
def get_order(session: SessionDep, order_id: PathId) -> OrderPublic:
    return OrderPublic.model_validate(sales.get_order(session, order_id))
