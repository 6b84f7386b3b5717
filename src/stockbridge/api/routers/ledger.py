"""``/api/pos/ledger``: every stock movement, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import SessionDep
from stockbridge.api.schemas.ledger import LedgerEntriesPublic, LedgerQuery
from stockbridge.pos import ledger

router = APIRouter(prefix="/ledger", tags=["stock"])


@router.get(
    "",
    summary="Search the stock ledger",
    description="Newest first. Filters combine; `since` is inclusive, `until` exclusive, "
    "both ISO 8601 with a UTC offset.",
)
def search_ledger(
    session: SessionDep, query: Annotated[LedgerQuery, Query()]
) -> LedgerEntriesPublic:
    filters = ledger.LedgerFilter(
        **query.model_dump(exclude={"page", "per_page"}),
    )
    page = ledger.search_ledger(session, filters, page=query.page, per_page=query.per_page)
    return LedgerEntriesPublic.model_validate(page)
