"""Shapes of the channel log: ``/api/ecom/channels/{id}/logs`` and a listing's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field, computed_field

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.db.models import ChannelLogStatus, ChannelOperation, LogLevel
from stockbridge.sync.channel_logs import LogFilter


class ChannelLogPublic(PublicModel):
    id: int
    channel_id: int
    job_id: int | None = Field(description="The sync job whose run this entry records, if any.")
    operation: ChannelOperation
    status: ChannelLogStatus
    records_processed: int
    records_failed: int
    error_message: str | None
    details: dict[str, Any] = Field(
        description="For a job run: its `kind`, `attempt`, `counts`, and `retry_at` of a retry."
    )
    started_at: datetime
    completed_at: datetime | None

    @computed_field(description="info, warning or error; follows from `status`.")  # type: ignore[prop-decorator]
    @property
    def level(self) -> LogLevel:
        return self.status.level

    @computed_field(description="Milliseconds from start to end; null while running.")  # type: ignore[prop-decorator]
    @property
    def duration_ms(self) -> int | None:
        if self.completed_at is None:
            return None
        return int((self.completed_at - self.started_at).total_seconds() * 1000)


class ChannelLogsPublic(PagePublic[ChannelLogPublic]):
    pass


class ChannelLogQuery(PageQuery):
    level: LogLevel | None = Field(None, description="Only entries of this level.")
    operation: ChannelOperation | None = Field(
        None, description="Only this operation (a job kind's: `inventory` -> `inventory_push`)."
    )
    since: AwareDatetime | None = Field(None, description="Started at or after (ISO 8601).")
    until: AwareDatetime | None = Field(None, description="Started before (ISO 8601).")

    def filters(self) -> LogFilter:
        return LogFilter(
            level=self.level, operation=self.operation, since=self.since, until=self.until
        )
