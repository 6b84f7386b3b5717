"""``/api/pos/sales``: a sale at the counter of one branch."""

from __future__ import annotations

from fastapi import APIRouter

from stockbridge.api.deps import SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.orders import OrderPublic
from stockbridge.pos import sales
from stockbridge.pos.sales import SaleCreate

router = APIRouter(prefix="/sales", tags=["orders"])


@router.post(
    "",
    status_code=201,
    summary="Record a POS sale",
    description="Takes the lines out of the branch's stock and records a completed order "
    "(source `pos`) with its payments. Lines given by `sku` sell the NEW-condition "
    "version of that branch. Payments must add up to the total (422). All or nothing: if "
    "any line is short, 409 with `available` and `requested`, and nothing is recorded.",
    responses=problem_responses(404, 409),
)
def record_sale(session: SessionDep, principal: WriterPrincipal, body: SaleCreate) -> OrderPublic:
    order = sales.record_pos_sale(session, body, actor=principal.actor)
    return OrderPublic.model_validate(order)
