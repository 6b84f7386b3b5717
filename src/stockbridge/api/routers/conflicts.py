"""``/api/ecom/conflicts``: differences reconciliation found between stockbridge and a
marketplace. (Resolving one is ``POST /api/ecom/listings/{id}/resolve-conflict``.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import SessionDep
from stockbridge.api.schemas.conflicts import ConflictQuery, ConflictsPublic
from stockbridge.commerce import conflicts

router = APIRouter(prefix="/conflicts", tags=["conflicts"])


@router.get(
    "",
    summary="List conflicts",
    description="Newest first; by default the `open` ones (a `manual` policy waiting for "
    "a person). Filters `channel_id`, `status` (`open`, `resolved`, `repaired`, `kept`, "
    "`gone`: an open one whose difference went away, closed by a reconcile), `field` "
    "(`quantity`, `price`).",
)
def list_conflicts(
    session: SessionDep, query: Annotated[ConflictQuery, Query()]
) -> ConflictsPublic:
    page = conflicts.search_conflicts(
        session,
        channel_id=query.channel_id,
        status=query.status,
        field=query.field,
        page=query.page,
        per_page=query.per_page,
    )
    return ConflictsPublic.model_validate(page)
