"""``/api/ecom/sync``: sync jobs, their progress and outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.common import PathId
from stockbridge.api.schemas.sync import SyncJobPublic, SyncJobQuery, SyncJobsPublic
from stockbridge.sync import jobs

router = APIRouter(prefix="/sync", tags=["sync"])


@router.get(
    "/jobs",
    summary="List sync jobs",
    description="Newest first; filter on `channel_id`, `kind` and `status`.",
)
def list_jobs(session: SessionDep, query: Annotated[SyncJobQuery, Query()]) -> SyncJobsPublic:
    rows, total = jobs.list_jobs(
        session,
        channel_id=query.channel_id,
        kind=query.kind,
        status=query.status,
        page=query.page,
        per_page=query.per_page,
    )
    return SyncJobsPublic(
        items=[SyncJobPublic.of(row) for row in rows],
        total=total,
        page=query.page,
        per_page=query.per_page,
    )


@router.get(
    "/jobs/{job_id}",
    summary="Get a sync job",
    description="Its status, progress (`done` of `total`), counts and error.",
    responses=problem_responses(404),
)
def get_job(session: SessionDep, job_id: PathId) -> SyncJobPublic:
    return SyncJobPublic.of(jobs.get_job(session, job_id))


@router.post(
    "/jobs/{job_id}/cancel",
    summary="Cancel a sync job",
    description="A queued job never runs; a running one stops at its next progress report. "
    "409 if it has already finished.",
    responses=problem_responses(404, 409),
)
def cancel_job(session: SessionDep, _: WriterPrincipal, job_id: PathId) -> SyncJobPublic:
    return SyncJobPublic.of(jobs.cancel_job(session, job_id))
