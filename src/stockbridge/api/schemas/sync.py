"""Shapes of ``/api/ecom/sync``: sync jobs and their progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.db.models import JobKind, JobStatus, SyncJob
from stockbridge.pos.schemas import RowId
from stockbridge.sync.on_demand import SyncRequestKind


class JobProgress(BaseModel):
    done: int
    total: int | None = Field(description="Unknown (null) until the job has counted its work.")
    percent: float | None


class SyncJobPublic(PublicModel):
    id: int
    kind: JobKind
    channel_id: int | None
    status: JobStatus
    progress: JobProgress
    counts: dict[str, Any]
    error: str | None
    attempts: int
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    not_before: datetime | None = Field(
        description="A queued job waiting for its retry does not start before this time."
    )
    replayed_as_id: int | None = Field(description="A replayed dead letter: the job replaying it.")

    @classmethod
    def of(cls, job: SyncJob) -> SyncJobPublic:
        total = job.progress_total
        percent = round(100 * job.progress_done / total, 1) if total else None
        return cls(
            id=job.id,
            kind=job.kind,
            channel_id=job.channel_id,
            status=job.status,
            progress=JobProgress(done=job.progress_done, total=total, percent=percent),
            counts=job.counts,
            error=job.error,
            attempts=job.attempts,
            queued_at=job.queued_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            heartbeat_at=job.heartbeat_at,
            not_before=job.not_before,
            replayed_as_id=job.replayed_as_id,
        )


class SyncJobsPublic(PagePublic[SyncJobPublic]):
    pass


class SyncJobQuery(PageQuery):
    channel_id: RowId | None = None
    kind: JobKind | None = None
    status: JobStatus | None = None


class DeadLetterQuery(PageQuery):
    channel_id: RowId | None = None
    kind: JobKind | None = None


class SyncRequest(BaseModel):
    kind: SyncRequestKind = Field(
        description="One kind, or `all`: one job per kind that has a handler. `reconcile` "
        "reads back what the marketplace shows and repairs drift by the channel's conflict "
        "policies, after bringing the channel's orders up to date."
    )


class SyncQueuedPublic(BaseModel):
    job_ids: list[int] = Field(description="The jobs queued, one per kind.")
