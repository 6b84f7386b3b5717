"""``GET /healthz``: the process answers and its database does too (no key needed)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from stockbridge.api.deps import SessionDep
from stockbridge.api.problems import problem_responses
from stockbridge.errors import ServiceUnavailable

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
    try:
        session.execute(select(1))
    except OperationalError:
        raise ServiceUnavailable("the database cannot be reached") from None
    return HealthPublic(status="ok")
