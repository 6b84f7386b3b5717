"""Reading logged deliveries (a filtered, paginated list; one in full) and replaying one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from stockbridge.db.models import EcomWebhookLog, WebhookStatus
from stockbridge.errors import Conflict, NotFound
from stockbridge.pos.catalog import Page, paginate
from stockbridge.sync.jobs import Waker
from stockbridge.webhooks.ingest import queue_processing


@dataclass(frozen=True)
class DeliveryFilter:
    channel_id: int | None = None
    topic: str | None = None
    status: WebhookStatus | None = None
    #: Received at or after / before these moments.
    received_since: datetime | None = None
    received_until: datetime | None = None


def search_deliveries(
    session: Session, filters: DeliveryFilter, *, page: int, per_page: int
) -> Page[EcomWebhookLog]:
    """Deliveries, newest first."""
    conditions: list[ColumnElement[bool]] = []
    if filters.channel_id is not None:
        conditions.append(EcomWebhookLog.channel_id == filters.channel_id)
    if filters.topic is not None:
        conditions.append(EcomWebhookLog.event_type == filters.topic)
    if filters.status is not None:
        conditions.append(EcomWebhookLog.status == filters.status)
    if filters.received_since is not None:
        conditions.append(EcomWebhookLog.created_at >= filters.received_since)
    if filters.received_until is not None:
        conditions.append(EcomWebhookLog.created_at < filters.received_until)
    query = select(EcomWebhookLog).where(*conditions).order_by(EcomWebhookLog.id.desc())
    return paginate(session, query, page=page, per_page=per_page)


def get_delivery(session: Session, log_id: int) -> EcomWebhookLog:
    log = session.get(EcomWebhookLog, log_id)
    if log is None:
        raise NotFound(f"webhook delivery {log_id} does not exist")
    return log


def replay_delivery(session: Session, waker: Waker, log_id: int) -> EcomWebhookLog:
    """Process a logged delivery again (its stored payload, as redaction left it)."""
    log = get_delivery(session, log_id)
    if log.status is WebhookStatus.REJECTED:
        raise Conflict(f"webhook delivery {log_id} was rejected: there is nothing to replay")
    log.status, log.processed = WebhookStatus.RECEIVED, False
    log.error_message, log.processed_at = None, None
    queue_processing(session, waker, log.channel_id, log.id)
    return log
