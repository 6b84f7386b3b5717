"""``/api/ecom/orders``: orders imported from the marketplaces, with allocations and history.

The store's own orders (POS sales, shipped marketplace orders) are ``/api/pos/orders``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import SessionDep
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.common import PathId
from stockbridge.api.schemas.ecom_orders import EcomOrderPublic, EcomOrderQuery, EcomOrdersPublic
from stockbridge.commerce.order_queries import EcomOrderFilter, get_ecom_order, search_ecom_orders

router = APIRouter(prefix="/orders", tags=["marketplace orders"])


@router.get(
    "",
    summary="List marketplace orders",
    description="Newest first, each with its lines and where their stock is reserved; "
    "filters `channel_id`, `status` (e.g. `needs_attention`), `placed_since`, `placed_until`.",
)
def list_ecom_orders(
    session: SessionDep, query: Annotated[EcomOrderQuery, Query()]
) -> EcomOrdersPublic:
    filters = EcomOrderFilter(
        channel_id=query.channel_id,
        status=query.status,
        placed_since=query.placed_since,
        placed_until=query.placed_until,
    )
    page = search_ecom_orders(session, filters, page=query.page, per_page=query.per_page)
    return EcomOrdersPublic.model_validate(page)


@router.get(
    "/{order_id}",
    summary="Get a marketplace order",
    description="With its lines, their allocations (branch, version, quantity) and its "
    "status history.",
    responses=problem_responses(404),
)
def get_order(session: SessionDep, order_id: PathId) -> EcomOrderPublic:
    return EcomOrderPublic.model_validate(get_ecom_order(session, order_id))
