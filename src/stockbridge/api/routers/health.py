"""``GET /healthz``: the process answers and its database does too (no key needed)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from stockbridge.api.deps import SessionDep
from stockbridge.api.problems import problem_responses

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: Literal["ok"]


@router.get(
    "/healthz",
    summary="Health check",
    description='Answers `{"status": "ok"}` once a trivial query reached the database, '
    "503 problem details when the database cannot be reached.",
    responses=problem_responses(503),
)
def healthz(session: SessionDep) -> HealthPublic:
    # An unreachable or busy database is answered 503 by the problem handlers.
    session.execute(select(1))
    return HealthPublic(status="ok")
