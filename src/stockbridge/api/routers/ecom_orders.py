"""``/api/ecom/orders``: orders imported from the marketplaces, with allocations and history.

The store's own orders (POS sales, shipped marketplace orders) are ``/api/pos/orders``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import JobQueueDep, SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.common import PathId
from stockbridge.api.schemas.ecom_orders import (
    EcomOrderPublic,
    EcomOrderQuery,
    EcomOrdersPublic,
    OrderImportQueued,
    OrderImportRequest,
)
from stockbridge.commerce.order_queries import EcomOrderFilter, get_ecom_order, search_ecom_orders
from stockbridge.sync.order_poll import OrderWindow, queue_backfill

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


@router.post(
    "/import",
    status_code=202,
    summary="Import a channel's orders of a date range",
    description="Queues a backfill job reading the marketplace's orders last changed from "
    "`since` to `until` (in `statuses`, when given) and importing them as polling does; "
    "answers its id (follow it at `/api/ecom/sync/jobs/{id}`). 404 for an unknown channel, "
    "422 for `until` before `since` or an unknown status.",
    responses=problem_responses(404, 422),
)
def import_orders(
    session: SessionDep, queue: JobQueueDep, _: WriterPrincipal, body: OrderImportRequest
) -> OrderImportQueued:
    window = OrderWindow(since=body.since, until=body.until, statuses=frozenset(body.statuses))
    return OrderImportQueued(job_id=queue_backfill(session, queue, body.channel_id, window).id)


@router.get(
    "/{order_id}",
    summary="Get a marketplace order",
    description="With its lines, their allocations (branch, version, quantity) and its "
    "status history.",
    responses=problem_responses(404),
)
def get_order(session: SessionDep, order_id: PathId) -> EcomOrderPublic:
    return EcomOrderPublic.model_validate(get_ecom_order(session, order_id))
