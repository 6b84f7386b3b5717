"""``/api/pos/stock``: stock movements by hand; each answers the version(s) it changed.

Every movement writes a stock ledger row with the caller's key as actor.
"""

from __future__ import annotations

from fastapi import APIRouter

from stockbridge.api.deps import SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.catalog import VersionPublic
from stockbridge.api.schemas.stock import (
    StockAdjust,
    StockReceive,
    StockTransfer,
    StockWriteOff,
    TransferPublic,
)
from stockbridge.pos import catalog, inventory

router = APIRouter(prefix="/stock", tags=["stock"])


@router.post(
    "/receive",
    summary="Receive goods",
    description="On hand rises in the branch and condition given; the version is created "
    "the first time a product arrives there.",
    responses=problem_responses(404),
)
def receive(session: SessionDep, principal: WriterPrincipal, body: StockReceive) -> VersionPublic:
    product = catalog.find_product_code(session, product_code_id=body.product_code_id, sku=body.sku)
    version = inventory.receive_into(
        session,
        product_code_id=product.id,
        branch_id=body.branch_id,
        condition=body.condition,
        quantity=body.quantity,
        actor=principal.actor,
        note=body.note,
    )
    return VersionPublic.model_validate(version)


@router.post(
    "/adjust",
    summary="Record a stock count",
    description="On hand becomes `counted`; the difference is ledgered with the reason. "
    "409 if fewer are counted than are reserved for orders.",
    responses=problem_responses(404, 409),
)
def adjust(session: SessionDep, principal: WriterPrincipal, body: StockAdjust) -> VersionPublic:
    version = inventory.adjust_to_count(
        session, body.version_id, body.counted, reason=body.reason, actor=principal.actor
    )
    return VersionPublic.model_validate(version)


@router.post(
    "/transfer",
    summary="Move stock to another branch",
    description="Available units move to the same product and condition in the other "
    "branch. 409 with `available` if fewer are available.",
    responses=problem_responses(404, 409),
)
def transfer(
    session: SessionDep, principal: WriterPrincipal, body: StockTransfer
) -> TransferPublic:
    source, target = inventory.transfer(
        session, body.version_id, body.to_branch_id, body.quantity, actor=principal.actor
    )
    return TransferPublic(
        source=VersionPublic.model_validate(source), target=VersionPublic.model_validate(target)
    )


@router.post(
    "/write-off",
    summary="Write stock off",
    description="Lost, stolen or broken units leave on hand. Only available (unreserved) "
    "units: 409 with `available` otherwise.",
    responses=problem_responses(404, 409),
)
def write_off(
    session: SessionDep, principal: WriterPrincipal, body: StockWriteOff
) -> VersionPublic:
    version = inventory.write_off(
        session, body.version_id, body.quantity, reason=body.reason, actor=principal.actor
    )
    return VersionPublic.model_validate(version)
