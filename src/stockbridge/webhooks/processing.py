"""The ``webhook`` job: act on one logged delivery, then mark its log row processed or failed.

Order topics re-fetch the order from the marketplace (``get_order``, no transaction
open) and import it through ``commerce/orders``, which resolves deliveries out of order
by the marketplace's ``updated_at``: the order as it is now is always the newest.
Inventory and product updates (Shopify) and a listing revision (eBay) queue a
``reconcile`` job of the matching publications (payload ``publication_ids``, source
``webhook``), so the channel's conflict policies decide the edit as they do for a
scheduled reconcile. While such a reconcile is still queued (not started) for the channel,
later deliveries add their publications to it instead of queueing one each: a push of N
SKUs that the marketplace echoes as N notifications makes one reconcile, not N.
``app/uninstalled`` puts the channel
in ``auth_required`` and cancels its waiting jobs. Compliance topics go to
:mod:`stockbridge.webhooks.privacy`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from stockbridge.channels.base import NormalizedOrder, TokenSet
from stockbridge.commerce.channels import (
    ChannelContext,
    get_channel,
    keep_refreshed,
    link_adapter,
    read_link,
)
from stockbridge.commerce.orders import import_order
from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    ChannelStatus,
    ConflictSource,
    EcomChannel,
    EcomListingChannel,
    EcomOrder,
    EcomWebhookLog,
    JobKind,
    JobStatus,
    SyncJob,
    WebhookStatus,
)
from stockbridge.db.types import utcnow
from stockbridge.errors import NotFound
from stockbridge.sync.context import JobRun
from stockbridge.sync.jobs import Waker, enqueue_job
from stockbridge.webhooks import privacy
from stockbridge.webhooks.topics import Action, ActionKind, action_for

ACTOR = "webhook"
MAX_ERROR_LENGTH = 4000


def webhook_handler(ctx: ChannelContext) -> Callable[[JobRun], Mapping[str, int]]:
    def handle(run: JobRun) -> Mapping[str, int]:
        log_id = int(run.payload["log_id"])
        try:
            return _process(ctx, run, log_id)
        except Exception as error:
            with transaction(run.sessions) as session:
                _finish(session, log_id, WebhookStatus.FAILED, f"{type(error).__name__}: {error}")
            raise

    return handle


def _process(ctx: ChannelContext, run: JobRun, log_id: int) -> Mapping[str, int]:
    with transaction(run.sessions) as session:
        log = session.get(EcomWebhookLog, log_id)
        if log is None:
            raise NotFound(f"webhook delivery {log_id} does not exist")
        channel = get_channel(session, log.channel_id)
        action = action_for(channel.provider, log.event_type, log.payload)
        link = read_link(ctx, channel)
    order: NormalizedOrder | None = None
    refreshed: list[TokenSet] = []
    if action.kind is ActionKind.IMPORT_ORDER and action.external_id:
        order = link_adapter(ctx, link, refreshed).get_order(action.external_id)
    with transaction(run.sessions) as session:
        channel = get_channel(session, link.channel_id or 0)
        keep_refreshed(session, ctx, channel.id, refreshed, started=link.tokens)
        counts = _apply(
            session, channel, action, order, log_id, run.job_id, run.waker or _NoWaker()
        )
        status = WebhookStatus.IGNORED if action.kind is ActionKind.IGNORE else None
        _finish(session, log_id, status or WebhookStatus.PROCESSED, None)
    return counts


def _apply(
    session: Session,
    channel: EcomChannel,
    action: Action,
    order: NormalizedOrder | None,
    log_id: int,
    job_id: int,
    waker: Waker,
) -> dict[str, int]:
    if order is not None:
        result = import_order(session, channel.id, order, actor=ACTOR)
        privacy.erase_if_redacted(session, channel.id, result.order_id)
        return {str(result.outcome): 1}
    if action.kind is ActionKind.RECONCILE and action.external_id:
        return {
            "reconcile_queued": _queue_reconcile(session, channel.id, action.external_id, waker)
        }
    if action.kind is ActionKind.UNINSTALLED:
        return {"jobs_cancelled": _uninstalled(session, channel, job_id)}
    if action.kind is ActionKind.DATA_REQUEST:
        return _data_request(session, channel, action, log_id)
    if action.kind is ActionKind.REDACT_CUSTOMER:
        orders = privacy.matching_orders(
            session, channel.id, external_ids=action.order_ids, buyer=action.buyer
        )
        order_ids = (*action.order_ids, *(o.external_id for o in orders))
        return {
            "orders_redacted": privacy.erase_orders(session, channel, orders),
            "payloads_redacted": privacy.erase_payloads(
                session, channel.id, action.buyer, order_ids
            ),
        }
    if action.kind is ActionKind.REDACT_SHOP:
        every = session.scalars(select(EcomOrder).where(EcomOrder.channel_id == channel.id))
        return {
            "orders_redacted": privacy.erase_orders(session, channel, list(every)),
            "payloads_redacted": privacy.erase_all_payloads(session, channel.id),
        }
    return {"ignored": 1}


def _finish(session: Session, log_id: int, status: WebhookStatus, error: str | None) -> None:
    log = session.get(EcomWebhookLog, log_id)
    if log is None:
        return
    log.status, log.processed = status, status is not WebhookStatus.FAILED
    log.error_message = error[:MAX_ERROR_LENGTH] if error else None
    log.processed_at = utcnow()


class _NoWaker:
    """Leaves a queued job to the sweeper (a run without the runner's waker)."""

    def wake(self, job_ids: Sequence[int]) -> None:
        return None


def _queue_reconcile(session: Session, channel_id: int, external_id: str, waker: Waker) -> int:
    """Queue a reconcile of the channel's publications this marketplace id names; how many."""
    publications = session.scalars(
        select(EcomListingChannel).where(EcomListingChannel.channel_id == channel_id)
    ).all()
    wanted = {external_id, external_id.rsplit("/", 1)[-1]}
    ids = sorted(
        p.id
        for p in publications
        if p.external_id in wanted or wanted & {str(v) for v in p.external_refs.values()}
    )
    if ids and not _join_queued_reconcile(session, channel_id, ids):
        payload = {"publication_ids": ids, "source": ConflictSource.WEBHOOK.value}
        enqueue_job(session, waker, kind=JobKind.RECONCILE, channel_id=channel_id, payload=payload)
    return len(ids)


def _join_queued_reconcile(session: Session, channel_id: int, ids: Sequence[int]) -> bool:
    """Add ``ids`` to the channel's webhook reconcile still waiting to start, if there is
    one; whether there was.

    The job row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises
    writers from ``BEGIN IMMEDIATE``): a worker claiming it waits for this commit and
    runs the ids added, and a job being claimed right now is skipped (a new one is
    queued). A job waiting out a retry's backoff is not joined, so as not to hold the new
    publications up with it.
    """
    now = utcnow()
    job = session.scalars(
        select(SyncJob)
        .where(
            SyncJob.channel_id == channel_id,
            SyncJob.kind == JobKind.RECONCILE,
            SyncJob.status == JobStatus.QUEUED,
            SyncJob.payload["source"].as_string() == ConflictSource.WEBHOOK.value,
            SyncJob.payload["publication_ids"].as_string().is_not(None),
            or_(SyncJob.not_before.is_(None), SyncJob.not_before <= now),
        )
        .order_by(SyncJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is None:
        return False
    joined = sorted({int(value) for value in job.payload["publication_ids"]} | set(ids))
    job.payload = {**job.payload, "publication_ids": joined}
    session.flush()
    return True


def _uninstalled(session: Session, channel: EcomChannel, job_id: int) -> int:
    channel.status = ChannelStatus.AUTH_REQUIRED
    channel.last_error = "the app was uninstalled from the shop: connect the channel again"
    result = session.execute(
        update(SyncJob)
        .where(
            SyncJob.channel_id == channel.id,
            SyncJob.id != job_id,
            SyncJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
        .values(status=JobStatus.CANCELLED, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _data_request(
    session: Session, channel: EcomChannel, action: Action, log_id: int
) -> dict[str, int]:
    orders = privacy.matching_orders(
        session, channel.id, external_ids=action.order_ids, buyer=action.buyer
    )
    log = session.get(EcomWebhookLog, log_id)
    if log is not None:
        # The export is kept beside the request: the shop owner answers the buyer from it.
        log.headers = {**log.headers, "stockbridge-export": privacy.held_for(orders)}
    return {"orders_held": len(orders)}
