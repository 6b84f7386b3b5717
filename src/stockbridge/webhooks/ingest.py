"""Receiving deliveries: verify each signature on the raw body, log each once, queue it.

:func:`receive_many` does only what must happen before the acknowledgement, for a batch
of deliveries (the acknowledger's, ``webhooks/acknowledger.py``; :func:`receive` is a
batch of one): let each channel's adapter verify its deliveries (no transaction open),
then, in one transaction for the batch, check that each adapter is still made of what
its channel's row holds (one read of the channels' rows), one ``INSERT ... ON CONFLICT
DO NOTHING`` into ``ecom_webhook_logs`` on ``(channel_id, delivery_id)`` per delivery
and, only if the row is new, one ``webhook`` job, whose worker is woken after the
commit. A repeat of a delivery, in the batch or before it, inserts nothing and queues
nothing. On PostgreSQL a delivery's two inserts are one statement
(:data:`_PG_ACKNOWLEDGE`, data-modifying CTEs). Should that transaction fail, each
delivery is tried again in one of its own, so one the database refuses fails alone.

The adapter comes from the process's :class:`~stockbridge.webhooks.verifiers.Verifiers`:
a channel's secrets are opened once, not per delivery. When the row no longer matches
(credentials or tokens changed, channel deleted), or the cached adapter refuses the
delivery, the channel is read again in a short transaction of its own and the delivery
verified afresh, so a stale entry neither admits nor refuses anything. A challenge
(eBay's ``GET``) is always answered from the stored secrets. Inside
:func:`~stockbridge.channels.base.verifying_offline`, a delivery whose verification
would call the marketplace is answered :class:`VerificationNeedsNetwork` (its caller
verifies it elsewhere) and not logged.

A delivery whose signature does not verify is logged with status ``rejected`` (under a
delivery id of its own, since a forger's id must not block the real delivery) and
refused with :class:`SignatureRejected`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.base import (
    VerificationNeedsNetwork,
    WebhookChallenge,
    WebhookEvent,
    WebhookRequest,
)
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
from stockbridge.webhooks.verifiers import ChannelStamp, Verifier, Verifiers, read_stamps

logger = logging.getLogger(__name__)

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
    """The log row unless present and, for a new row, its queued job: one statement.
    Answers the new log row's id and the new job's id (both None for a repeat)."""
    values = select(*(bindparam(name, type_=LOGS.c[name].type) for name in _LOGGED_COLUMNS))
    log = (
        pg_insert(LOGS)
        .from_select(_LOGGED_COLUMNS, values)
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
    return select(select(log.c.id).scalar_subquery(), select(job.c.id).scalar_subquery())


#: Built once: only its parameters change from one delivery to the next.
_PG_ACKNOWLEDGE = _pg_acknowledge()


class SignatureRejected(StockbridgeError):
    status = 401
    title = "Webhook signature rejected"


@dataclass(frozen=True)
class Delivery:
    """One request to a delivery endpoint, as received (its body within the size limit)."""

    provider: str
    channel_id: int
    request: WebhookRequest
    source_ip: str | None


@dataclass(frozen=True)
class Receipt:
    """What became of a delivery: a challenge answered, or logged (``duplicate``: before)."""

    challenge: dict[str, Any] | None = None
    log_id: int | None = None
    duplicate: bool = False


#: What :func:`receive_many` answers for each delivery: its receipt, or why there is none
#: (a :class:`StockbridgeError` refusing it, or the database's error).
Outcome = Receipt | Exception


def receive(
    sessions: sessionmaker[Session], verifiers: Verifiers, waker: Waker, delivery: Delivery
) -> Receipt:
    """One delivery on its own: its receipt, or the refusal raised."""
    [outcome] = receive_many(sessions, verifiers, waker, [delivery])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def receive_many(
    sessions: sessionmaker[Session],
    verifiers: Verifiers,
    waker: Waker,
    deliveries: Sequence[Delivery],
) -> list[Outcome]:
    """Verify each delivery, then log the verified ones in one transaction (see the
    module's docstring); what became of each, in order."""
    outcomes: dict[int, Outcome] = {}
    # A challenge is answered from the stored secrets; so is a delivery the cached
    # secrets refused, or whose cached secrets turned out stale when it was logged.
    stored = {n for n, delivery in enumerate(deliveries) if delivery.request.method == "GET"}
    pending = list(range(len(deliveries)))
    while pending:
        fresh = _load(
            sessions,
            verifiers,
            {
                deliveries[n].channel_id
                for n in pending
                if n in stored or verifiers.cached(deliveries[n].channel_id) is None
            },
        )
        to_log: list[_Verified | _Rejected] = []  # in the order they came
        retry: list[int] = []
        for n in pending:
            delivery = deliveries[n]
            verifier = fresh.get(delivery.channel_id) or verifiers.cached(delivery.channel_id)
            if verifier is None:  # forgotten meanwhile
                stored.add(n)
                retry.append(n)
                continue
            if isinstance(verifier, NotFound):
                outcomes[n] = verifier
                continue
            if verifier.stamp.provider != delivery.provider:
                outcomes[n] = NotFound(
                    f"channel {delivery.channel_id} is not a {delivery.provider} channel"
                )
                continue
            try:
                parsed = verifier.adapter.parse_webhook(delivery.request)
            except VerificationNeedsNetwork as needed:
                outcomes[n] = needed  # for the caller to verify where calls may wait
                continue
            except ChannelError as error:
                why = str(error.detail or error)
                if delivery.channel_id not in fresh:
                    stored.add(n)
                    retry.append(n)
                elif error.category is ChannelErrorCategory.AUTH_FAILED:
                    to_log.append(_Rejected(n, delivery, why))
                    outcomes[n] = SignatureRejected(why)
                elif error.retryable:
                    outcomes[n] = error  # the marketplace failed us (502): deliver again
                else:
                    outcomes[n] = InvalidInput(why)
                continue
            if isinstance(parsed, WebhookChallenge):
                outcomes[n] = Receipt(challenge=dict(parsed.response_body))
            else:
                is_fresh = delivery.channel_id in fresh
                to_log.append(_Verified(n, delivery, verifier, is_fresh, parsed))
        try:
            stale = _log(sessions, waker, to_log, outcomes)
        except Exception:
            stale = _log_alone(sessions, waker, to_log, outcomes)
        stored.update(stale)
        pending = sorted(retry + stale)
    return [outcomes[n] for n in range(len(deliveries))]


@dataclass(frozen=True)
class _Verified:
    """A delivery whose signature ``verifier`` accepted (``fresh``: made in this call)."""

    index: int
    delivery: Delivery
    verifier: Verifier
    fresh: bool
    event: WebhookEvent


@dataclass(frozen=True)
class _Rejected:
    """A delivery whose signature the channel's stored secrets refused (``why``)."""

    index: int
    delivery: Delivery
    why: str


def _load(
    sessions: sessionmaker[Session], verifiers: Verifiers, channel_ids: set[int]
) -> dict[int, Verifier | NotFound]:
    """Each channel's verifier made afresh from its row (one short transaction), or why not."""
    if not channel_ids:
        return {}
    made: dict[int, Verifier | NotFound] = {}
    with transaction(sessions) as session:
        for channel_id in sorted(channel_ids):
            try:
                made[channel_id] = verifiers.load(session, channel_id)
            except NotFound as missing:
                made[channel_id] = missing
    return made


def _log(
    sessions: sessionmaker[Session],
    waker: Waker,
    entries: list[_Verified | _Rejected],
    outcomes: dict[int, Outcome],
) -> list[int]:
    """Log the deliveries in one transaction, then fill in the verified ones' receipts;
    answers those to verify again (their verifier went stale)."""
    if not entries:
        return []
    stale: list[int] = []
    written: dict[int, Receipt] = {}
    with transaction(sessions) as session:
        verified = [entry for entry in entries if isinstance(entry, _Verified)]
        stamps = read_stamps(session, {entry.delivery.channel_id for entry in verified})
        for entry in entries:
            if isinstance(entry, _Rejected):
                _log_rejected(session, entry)
            elif _current(stamps.get(entry.delivery.channel_id), entry.verifier, entry.fresh):
                written[entry.index] = _log_once(session, waker, entry)
            else:
                stale.append(entry.index)
    outcomes.update(written)
    return stale


def _log_alone(
    sessions: sessionmaker[Session],
    waker: Waker,
    entries: list[_Verified | _Rejected],
    outcomes: dict[int, Outcome],
) -> list[int]:
    """After the transaction of them all failed: each in a transaction of its own, so a
    delivery the database refuses fails alone (its outcome is the database's error)."""
    stale: list[int] = []
    for entry in entries:
        try:
            stale += _log(sessions, waker, [entry], outcomes)
        except Exception as error:
            if isinstance(entry, _Rejected):
                logger.exception("could not log a rejected webhook delivery")
            else:
                outcomes[entry.index] = error
    return stale


def _current(stamp: ChannelStamp | None, verifier: Verifier, fresh: bool) -> bool:
    # Fresh: read a moment ago; a change since is as if made after this delivery (the
    # same as reading the channel once, before verifying).
    return stamp == verifier.stamp or (fresh and _live(stamp, verifier.stamp.provider))


def _live(stamp: ChannelStamp | None, provider: str) -> bool:
    return stamp is not None and stamp.deleted_at is None and stamp.provider == provider


def _headers(request: WebhookRequest) -> dict[str, str]:
    return {name: value for name, value in request.headers.items() if name in KEPT_HEADERS}


def _logged_values(entry: _Verified) -> dict[str, Any]:
    delivery, event = entry.delivery, entry.event
    return {
        "channel_id": delivery.channel_id,
        "delivery_id": event.delivery_id[:200],
        "event_type": event.topic[:100],
        "status": WebhookStatus.RECEIVED,
        "processed": False,
        "headers": _headers(delivery.request),
        "payload": _storable(event.payload, delivery.request.body),
        "source_ip": delivery.source_ip,
        "created_at": utcnow(),
    }


def _storable(payload: Mapping[str, Any], body: bytes) -> dict[str, Any]:
    """The payload to keep: without NUL characters when the body has any (escaped, as
    JSON must), since PostgreSQL's ``jsonb`` cannot hold one and refusing the delivery
    for it would lose it; no marketplace text means anything by one."""
    if b"\\u0000" not in body:
        return dict(payload)
    return cast(dict[str, Any], _without_nul(dict(payload)))


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _log_once(session: Session, waker: Waker, entry: _Verified) -> Receipt:
    """The log row unless present and, if it is new, its job (woken after the commit)."""
    values = _logged_values(entry)
    if session.get_bind().dialect.name == "postgresql":
        log_id, job_id = session.execute(_PG_ACKNOWLEDGE, values).one()
        if log_id is None:
            return Receipt(duplicate=True)
        wake_after_commit(session, waker, job_id)
        return Receipt(log_id=log_id)
    log_id = session.execute(
        insert_unless_present(
            session, LOGS, values, unique_on=("channel_id", "delivery_id")
        ).returning(LOGS.c.id)
    ).scalar_one_or_none()
    if log_id is None:
        return Receipt(duplicate=True)
    payload = {"log_id": log_id}
    insert_queued_job(
        session, waker, kind=JobKind.WEBHOOK, channel_id=entry.delivery.channel_id, payload=payload
    )
    return Receipt(log_id=log_id)


def queue_processing(session: Session, waker: Waker, channel_id: int, log_id: int) -> None:
    enqueue_job(
        session, waker, kind=JobKind.WEBHOOK, channel_id=channel_id, payload={"log_id": log_id}
    )


def _log_rejected(session: Session, entry: _Rejected) -> None:
    delivery, request = entry.delivery, entry.delivery.request
    session.add(
        EcomWebhookLog(
            channel_id=delivery.channel_id,
            delivery_id=f"{REJECTED_TOPIC}:{uuid.uuid4()}",
            event_type=_claimed_topic(request)[:100],
            status=WebhookStatus.REJECTED,
            processed=True,
            error_message=entry.why,
            headers=_headers(request),
            # A refused body is not trusted JSON: only its size is kept.
            payload={"bytes": len(request.body)},
            source_ip=delivery.source_ip,
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
