"""``/api/ecom/sync``: sync jobs, their progress and outcome, and the dead letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import JobQueueDep, SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.common import PathId
from stockbridge.api.schemas.sync import (
    DeadLetterQuery,
    SyncJobPublic,
    SyncJobQuery,
    SyncJobsPublic,
)
from stockbridge.sync import jobs, on_demand

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


@router.get(
    "/dead-letters",
    summary="List dead letters",
    description="Jobs that used up their attempts (`STOCKBRIDGE_SYNC_MAX_ATTEMPTS`) and have "
    "not been replayed, newest first; filter on `channel_id` and `kind`.",
)
def list_dead_letters(
    session: SessionDep, query: Annotated[DeadLetterQuery, Query()]
) -> SyncJobsPublic:
    rows, total = jobs.list_dead_letters(
        session, channel_id=query.channel_id, kind=query.kind, page=query.page,
        per_page=query.per_page,
    )  # fmt: skip
    return SyncJobsPublic(
        items=[SyncJobPublic.of(row) for row in rows],
        total=total,
        page=query.page,
        per_page=query.per_page,
    )


@router.post(
    "/dead-letters/{job_id}/replay",
    status_code=202,
    summary="Replay a dead letter",
    description="Queues a fresh job with the dead one's kind, channel and payload and answers "
    "it; the dead job records it in `replayed_as_id` and leaves the dead letters. 404 for an "
    "unknown job; 409 if it is not dead, was replayed already, or its channel was removed "
    "or needs reconnecting.",
    responses=problem_responses(404, 409),
)
def replay_dead_letter(
    session: SessionDep, queue: JobQueueDep, _: WriterPrincipal, job_id: PathId
) -> SyncJobPublic:
    return SyncJobPublic.of(on_demand.replay_dead_letter(session, queue, queue.handlers, job_id))
