"""The ``orders`` job: poll a channel for changed orders, or backfill a date range.

A job without payload is the periodic poll: it goes on from the channel's stored cursor
(``ecom_channels.orders_cursor``); a channel never polled starts
:data:`FIRST_POLL_LOOKBACK` back (older orders come by a backfill). A job whose payload
holds a :class:`OrderWindow` is a backfill: it starts at ``since``, keeps only orders last
changed by ``until`` and in one of ``statuses``, and keeps its cursor on its own job row,
so the channel's poll position never moves backwards.

Pages are read from the adapter one at a time, with no transaction open, and each is
imported by :func:`~stockbridge.commerce.orders.import_page` (a transaction per page);
only then is the page's cursor stored. A worker killed mid-run therefore re-reads at most
the page it was on, and the adapter's overlap window and the import's idempotency make
the repeat harmless. Nothing but the current page is held in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from stockbridge.channels.base import ChannelAdapter, NormalizedOrder, OrderPage, TokenSet
from stockbridge.commerce import channels
from stockbridge.commerce.channels import ChannelContext
from stockbridge.commerce.orders import PageCounts, import_page
from stockbridge.db.engine import transaction
from stockbridge.db.models import EcomChannel, JobKind, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.errors import InvalidInput
from stockbridge.statuses import FulfillmentStatus
from stockbridge.sync import jobs
from stockbridge.sync.context import JobRun
from stockbridge.sync.jobs import Waker, enqueue_job

FIRST_POLL_LOOKBACK = timedelta(days=1)
CANCELLED = "cancelled"
#: What a backfill's ``statuses`` may name: the marketplace's fulfilment state, or cancelled.
ORDER_STATES = frozenset({*(status.value for status in FulfillmentStatus), CANCELLED})
#: Orders a backfill read but left out (changed after ``until``, or another status).
SKIPPED = "skipped"
#: The prefix of the counts an import inside another job adds (:func:`catch_up_orders`).
CAUGHT_UP = "orders_"


def marketplace_state(order: NormalizedOrder) -> str:
    return CANCELLED if order.cancelled else order.fulfillment_status.value


@dataclass(frozen=True)
class OrderWindow:
    """A backfill's range: orders last changed from ``since`` to ``until``, in ``statuses``
    (every status when empty)."""

    since: datetime
    until: datetime | None = None
    statuses: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name, moment in (("since", self.since), ("until", self.until)):
            if moment is not None and moment.utcoffset() is None:
                raise InvalidInput(f"{name}: a time needs its UTC offset", field=name)
        if self.until is not None and self.until < self.since:
            raise InvalidInput("until: is before since", field="until")
        unknown = sorted(self.statuses - ORDER_STATES)
        if unknown:
            known = ", ".join(sorted(ORDER_STATES))
            raise InvalidInput(f"statuses: {unknown[0]!r} is not one of {known}", field="statuses")

    def admits(self, order: NormalizedOrder) -> bool:
        if self.until is not None and order.updated_at > self.until:
            return False
        return not self.statuses or marketplace_state(order) in self.statuses

    def payload(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "statuses": sorted(self.statuses),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> OrderWindow | None:
        if not payload.get("since"):
            return None
        until = payload.get("until")
        return cls(
            since=datetime.fromisoformat(payload["since"]),
            until=datetime.fromisoformat(until) if until else None,
            statuses=frozenset(payload.get("statuses") or ()),
        )


def queue_backfill(session: Session, waker: Waker, channel_id: int, window: OrderWindow) -> SyncJob:
    """Queue a backfill of ``window`` on the channel (404 if there is none)."""
    channels.get_channel(session, channel_id)
    return enqueue_job(
        session, waker, kind=JobKind.ORDERS, channel_id=channel_id, payload=window.payload()
    )


# --- the handler --------------------------------------------------------------------


@dataclass(frozen=True)
class _Start:
    cursor: str | None
    since: datetime
    done: int


class OrderPoll:
    """The ``orders`` handler, bound to what it needs to reach a channel's marketplace."""

    def __init__(self, ctx: ChannelContext) -> None:
        self._ctx = ctx

    def __call__(self, run: JobRun) -> dict[str, int]:
        if run.channel_id is None:
            raise InvalidInput("an orders job needs a channel")
        window = OrderWindow.from_payload(run.payload)
        with transaction(run.sessions) as session:
            link = channels.read_link(self._ctx, channels.get_channel(session, run.channel_id))
            start = _start(session, run, window)
        refreshed: list[TokenSet] = []
        adapter = channels.link_adapter(self._ctx, link, refreshed)
        done = start.done
        try:
            for page in adapter.orders_since(start.cursor, start.since):
                _add(run, import_page(run.sessions, run.channel_id, _within(page, window, run)))
                done += len(page.orders) + len(page.rejected)
                _page_done(run, page.next_cursor, done, backfill=window is not None)
        finally:
            if refreshed:  # the next poll starts from the new token, not another refresh
                with transaction(run.sessions) as session:
                    channels.keep_refreshed(
                        session, self._ctx, run.channel_id, refreshed, started=link.tokens
                    )
        return run.counts


def catch_up_orders(run: JobRun, adapter: ChannelAdapter) -> int:
    """Import what changed since the channel's stored cursor, inside another job of the
    channel (the reconcile, before it compares): the poll's own import, the channel's
    cursor stored after each page. The job's own cursor and progress are left to it; the
    import's counts are added prefixed with :data:`CAUGHT_UP` (``orders_created``, ...,
    and ``orders_pages``, the pages read).
    Answers how many orders were created or updated (``0``: nothing new)."""
    assert run.channel_id is not None
    with transaction(run.sessions) as session:
        channel = session.get(EcomChannel, run.channel_id)
        assert channel is not None
        cursor = channel.orders_cursor
    news = 0
    for page in adapter.orders_since(cursor, utcnow() - FIRST_POLL_LOOKBACK):
        counts = import_page(run.sessions, run.channel_id, page)
        _add(run, counts, prefix=CAUGHT_UP)
        run.count(CAUGHT_UP + "pages")
        news += counts.created + counts.updated
        with transaction(run.sessions) as session:
            _store_channel_cursor(session, run.channel_id, page.next_cursor)
            if not jobs.heartbeat(session, run.job_id):
                raise jobs.JobCancelled(f"job {run.job_id} is no longer running")
    return news


def _start(session: Session, run: JobRun, window: OrderWindow | None) -> _Start:
    """Where this run begins; a re-run after a crash goes on from its job's cursor."""
    job = session.get(SyncJob, run.job_id)
    channel = session.get(EcomChannel, run.channel_id)
    assert job is not None
    assert channel is not None
    if job.cursor is not None:
        run.counts.update({name: int(value) for name, value in job.counts.items()})
    if window is None:
        cursor = job.cursor or channel.orders_cursor
        return _Start(cursor, utcnow() - FIRST_POLL_LOOKBACK, job.progress_done)
    return _Start(job.cursor, window.since, job.progress_done if job.cursor else 0)


def _page_done(run: JobRun, cursor: str | None, done: int, *, backfill: bool) -> None:
    """Store the cursor after a page, with the progress and counts, in one transaction
    (raises ``JobCancelled`` if the job was cancelled meanwhile)."""
    with transaction(run.sessions) as session:
        if cursor is not None:
            session.execute(update(SyncJob).where(SyncJob.id == run.job_id).values(cursor=cursor))
            if not backfill:
                assert run.channel_id is not None
                _store_channel_cursor(session, run.channel_id, cursor)
        jobs.report_progress(session, run.job_id, done=done, counts=dict(run.counts))


def _store_channel_cursor(session: Session, channel_id: int, cursor: str | None) -> None:
    if cursor is not None:
        session.execute(
            update(EcomChannel)
            .where(EcomChannel.id == channel_id)
            .values(orders_cursor=cursor, last_sync_at=utcnow())
        )


def _within(page: OrderPage, window: OrderWindow | None, run: JobRun) -> OrderPage:
    if window is None:
        return page
    kept = tuple(order for order in page.orders if window.admits(order))
    if len(kept) < len(page.orders):
        run.count(SKIPPED, len(page.orders) - len(kept))
    return replace(page, orders=kept)


def _add(run: JobRun, counts: PageCounts, prefix: str = "") -> None:
    for name, amount in asdict(counts).items():
        run.count(prefix + name, amount)
