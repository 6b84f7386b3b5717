"""Receiving one delivery: verify its signature on the raw body, log it once, queue it.

:func:`receive` does only what must happen before the acknowledgement: let the channel's
adapter verify the delivery (no transaction open: eBay's key may have to be fetched),
then, in one transaction, check that the adapter is still made of what the channel's
row holds, one ``INSERT ... ON CONFLICT DO NOTHING`` into ``ecom_webhook_logs`` on
``(channel_id, delivery_id)`` and, only if the row is new, one ``webhook`` job, whose
worker is woken after the commit. A repeat of a delivery inserts nothing and queues
nothing.

The adapter comes from the process's :class:`~stockbridge.webhooks.verifiers.Verifiers`:
a channel's secrets are opened once, not per delivery. When the row no longer matches
(credentials or tokens changed, channel deleted), or the cached adapter refuses the
delivery, the channel is read again in a short transaction of its own and the delivery
verified afresh, so a stale entry neither admits nor refuses anything. A challenge
(eBay's ``GET``) is always answered from the stored secrets.

On PostgreSQL that transaction is one statement (:data:`_PG_ACKNOWLEDGE`: the stamp
read, the log row and its job as data-modifying CTEs) between ``BEGIN`` and ``COMMIT``;
a stamp that no longer matches rolls it back. Every round trip on the acknowledgement
path is a wait for the database and then for the interpreter lock, which under load
cost more than the statements themselves.

A delivery whose signature does not verify is logged with status ``rejected`` (under a
delivery id of its own, since a forger's id must not block the real delivery) and
refused with :class:`SignatureRejected`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.base import WebhookChallenge, WebhookEvent, WebhookRequest
from stockbridge.db.engine import transaction
from stockbridge.db.models import EcomWebhookLog, JobKind, JobStatus, SyncJob, WebhookStatus
from stockbridge.db.types import utcnow
from stockbridge.db.upsert import insert_unless_present
from stockbridge.errors import (
    ChannelError,
    ChannelErrorCategory,
    InvalidInput,
    NotFound,
    StockbridgeError,
)
from stockbridge.sync.jobs import Waker, enqueue_job, insert_queued_job, wake_after_commit
from stockbridge.webhooks.verifiers import (
    READ_STAMP,
    ChannelStamp,
    Verifier,
    Verifiers,
    read_stamp,
)

#: Headers kept with a logged delivery (never a signature or a token).
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "x-shopify-topic",
        "x-shopify-shop-domain",
        "x-shopify-api-version",
        "x-shopify-webhook-id",
        "x-shopify-event-id",
        "x-shopify-triggered-at",
        "user-agent",
    }
)
REJECTED_TOPIC = "rejected"
LOGS = cast(Table, EcomWebhookLog.__table__)
_JOBS = cast(Table, SyncJob.__table__)
_LOGGED_COLUMNS = (
    "channel_id", "delivery_id", "event_type", "status", "processed", "headers", "payload",
    "source_ip", "created_at",
)  # fmt: skip


def _pg_acknowledge() -> Any:
    """The stamp, the log row unless present and, for a new row, its queued job: one
    statement. Answers no row for a missing channel (nothing inserted), else the stamp's
    four columns, the new log row's id and the new job's id (both None for a repeat)."""
    stamp = READ_STAMP.cte("stamp")
    values = select(*(bindparam(name, type_=LOGS.c[name].type) for name in _LOGGED_COLUMNS))
    log = (
        pg_insert(LOGS)
        .from_select(_LOGGED_COLUMNS, values.where(exists(select(stamp.c.provider))))
        .on_conflict_do_nothing(index_elements=["channel_id", "delivery_id"])
        .returning(LOGS.c.id)
        .cte("log")
    )
    job = (
        insert(_JOBS)
        .from_select(
            ("kind", "channel_id", "status", "payload", "counts", "queued_at"),
            select(
                literal(JobKind.WEBHOOK, _JOBS.c.kind.type),
                bindparam("channel_id"),
                literal(JobStatus.QUEUED, _JOBS.c.status.type),
                func.jsonb_build_object("log_id", log.c.id),
                literal({}, _JOBS.c.counts.type),
                bindparam("created_at"),
            ),
        )
        .returning(_JOBS.c.id)
        .cte("job")
    )
    return select(*stamp.c, select(log.c.id).scalar_subquery(), select(job.c.id).scalar_subquery())


#: Built once: only its parameters change from one delivery to the next.
_PG_ACKNOWLEDGE = _pg_acknowledge()


class SignatureRejected(StockbridgeError):
    status = 401
    title = "Webhook signature rejected"


@dataclass(frozen=True)
class Receipt:
    """What became of a delivery: a challenge answered, or logged (``duplicate``: before)."""

    challenge: dict[str, Any] | None = None
    log_id: int | None = None
    duplicate: bool = False


def receive(
    sessions: sessionmaker[Session],
    verifiers: Verifiers,
    waker: Waker,
    *,
    provider: str,
    channel_id: int,
    request: WebhookRequest,
    source_ip: str | None,
) -> Receipt:
    verifier = None if request.method.upper() == "GET" else verifiers.cached(channel_id)
    if verifier is not None and verifier.stamp.provider != provider:
        raise NotFound(f"channel {channel_id} is not a {provider} channel")
    while True:
        fresh = verifier is None
        if verifier is None:
            with transaction(sessions) as session:
                verifier = verifiers.load(session, channel_id, provider)
        try:
            parsed = verifier.adapter.parse_webhook(request)
        except ChannelError as error:
            if not fresh:
                verifier = None  # the cached secrets may be stale: verify with the stored
                continue
            if error.category is not ChannelErrorCategory.AUTH_FAILED:
                raise InvalidInput(str(error.detail or error)) from error
            _log_rejected(sessions, channel_id, request, source_ip, str(error.detail or error))
            raise SignatureRejected(str(error.detail or error)) from error
        if isinstance(parsed, WebhookChallenge):
            return Receipt(challenge=dict(parsed.response_body))
        try:
            with transaction(sessions) as session:
                if session.get_bind().dialect.name == "postgresql":
                    return _log_once_pg(session, waker, verifier, fresh, parsed, request, source_ip)
                stamp = read_stamp(session, channel_id)
                if _current(stamp, verifier, fresh):
                    return _log_once(session, waker, channel_id, parsed, request, source_ip)
        except _Stale:
            pass  # rolled back: nothing logged
        verifier = None


class _Stale(Exception):
    """The channel's row no longer matches the verifier: undo what was written."""


def _current(stamp: ChannelStamp | None, verifier: Verifier, fresh: bool) -> bool:
    # Fresh: read a moment ago; a change since is as if made after this delivery (the
    # same as reading the channel once, before verifying).
    return stamp == verifier.stamp or (fresh and _live(stamp, verifier.stamp.provider))


def _live(stamp: ChannelStamp | None, provider: str) -> bool:
    return stamp is not None and stamp.deleted_at is None and stamp.provider == provider


def _headers(request: WebhookRequest) -> dict[str, str]:
    return {name: value for name, value in request.headers.items() if name in KEPT_HEADERS}


def _logged_values(
    channel_id: int, event: WebhookEvent, request: WebhookRequest, source_ip: str | None
) -> dict[str, Any]:
    return {
        "channel_id": channel_id,
        "delivery_id": event.delivery_id[:200],
        "event_type": event.topic[:100],
        "status": WebhookStatus.RECEIVED,
        "processed": False,
        "headers": _headers(request),
        "payload": dict(event.payload),
        "source_ip": source_ip,
        "created_at": utcnow(),
    }


def _log_once_pg(
    session: Session,
    waker: Waker,
    verifier: Verifier,
    fresh: bool,
    event: WebhookEvent,
    request: WebhookRequest,
    source_ip: str | None,
) -> Receipt:
    values = _logged_values(verifier.channel_id, event, request, source_ip)
    row = session.execute(_PG_ACKNOWLEDGE, values).first()
    stamp = ChannelStamp(*row[:4]) if row is not None else None
    if row is None or not _current(stamp, verifier, fresh):
        raise _Stale
    log_id, job_id = row[4], row[5]
    if log_id is None:
        return Receipt(duplicate=True)
    wake_after_commit(session, waker, job_id)
    return Receipt(log_id=log_id)


def _log_once(
    session: Session,
    waker: Waker,
    channel_id: int,
    event: WebhookEvent,
    request: WebhookRequest,
    source_ip: str | None,
) -> Receipt:
    values = _logged_values(channel_id, event, request, source_ip)
    inserted = session.execute(
        insert_unless_present(
            session, LOGS, values, unique_on=("channel_id", "delivery_id")
        ).returning(LOGS.c.id)
    ).scalar_one_or_none()
    if inserted is None:
        return Receipt(duplicate=True)
    payload = {"log_id": inserted}
    insert_queued_job(session, waker, kind=JobKind.WEBHOOK, channel_id=channel_id, payload=payload)
    return Receipt(log_id=inserted)


def queue_processing(session: Session, waker: Waker, channel_id: int, log_id: int) -> None:
    enqueue_job(
        session, waker, kind=JobKind.WEBHOOK, channel_id=channel_id, payload={"log_id": log_id}
    )


def _log_rejected(
    sessions: sessionmaker[Session],
    channel_id: int,
    request: WebhookRequest,
    source_ip: str | None,
    why: str,
) -> None:
    with transaction(sessions) as session:
        session.add(
            EcomWebhookLog(
                channel_id=channel_id,
                delivery_id=f"{REJECTED_TOPIC}:{uuid.uuid4()}",
                event_type=_claimed_topic(request)[:100],
                status=WebhookStatus.REJECTED,
                processed=True,
                error_message=why,
                headers=_headers(request),
                # A refused body is not trusted JSON: only its size is kept.
                payload={"bytes": len(request.body)},
                source_ip=source_ip,
                processed_at=utcnow(),
            )
        )


def _claimed_topic(request: WebhookRequest) -> str:
    topic = request.headers.get("x-shopify-topic")
    if topic:
        return topic
    try:
        claimed = json.loads(request.body).get("metadata", {}).get("topic")
    except (ValueError, AttributeError):
        claimed = None
    return str(claimed) if claimed else REJECTED_TOPIC
