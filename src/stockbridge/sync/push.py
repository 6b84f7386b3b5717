"""The ``inventory`` and ``prices`` jobs: push a channel's dirty quantities and prices.

A stock or price change bumps ``dirty_seq`` on the publications it touches (see
``pos/outbox.py``). A push, holding the channel's lock (``sync/channel_lock.py``):

1. reads a batch of dirty, published rows in id order (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL: a row a stock transaction is changing right now is left to the job that
   change queues), remembers each row's ``dirty_seq`` and computes its offer
   (``commerce/offer.py``, the rule the listings job publishes by); the transaction ends
   there;
2. tells the adapter the marketplace ids recorded on the rows (``external_id``,
   ``external_refs``) if it takes them (``RemembersListings``: eBay then needs no
   ``getOffers`` look-up per SKU), and sends the quantities, and the prices that differ
   from the last price pushed (every price, for a ``prices`` job), with no transaction
   open;
3. compare-and-clears: ``synced_seq`` becomes the remembered ``dirty_seq`` only where
   ``dirty_seq`` still equals it, so a sale made during the call leaves its row dirty
   for the next push instead of being lost. A SKU the marketplace refused gets
   ``sync_state = error`` and the reason in ``last_error``; it is cleared too (not
   retried in a loop): the next change of its stock, or the reconcile job, retries it.
   Marketplace ids the adapter had to find again (``PushResult.found``: eBay, a stored
   offer id gone stale) replace the stored ones.

Batches are as large as the marketplace's bulk calls (``Capabilities``), and each batch
starts after the last row of the one before, so a job ends even while sales continue.
A whole-call failure (``ChannelError``) fails the job and leaves the rows dirty.

The reconcile job (``sync/reconcile.py``) walks all published rows with the same pieces
(:func:`publication_rows`, :func:`read_batch`, :func:`send_batch`,
:func:`compare_and_clear`), choosing per row which quantities and prices go out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from stockbridge.channels.base import (
    ChannelAdapter,
    ListingRef,
    Money,
    PriceUpdate,
    PushResult,
    RemembersListings,
    StockLevel,
    TokenSet,
)
from stockbridge.commerce import channels
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.commerce.channels import ChannelContext, ChannelLink
from stockbridge.commerce.offer import ChannelRules, Offer, offers_for, own_price
from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    EcomListing,
    EcomListingChannel,
    JobKind,
    ProductCode,
    PublicationStatus,
    SyncState,
)
from stockbridge.db.types import utcnow
from stockbridge.sync.channel_lock import channel_lock
from stockbridge.sync.context import JobRun

#: How long a push waits for the channel's lock held by another push.
LOCK_WAIT_SECONDS = 120.0

_PUBLICATIONS = cast(Table, EcomListingChannel.__table__)


@dataclass(frozen=True, slots=True)
class Dirty:
    """One publication as read, with the ``dirty_seq`` it had then."""

    id: int
    listing_id: int
    sku: str
    seq: int
    last_price_cents: int | None
    overrides: Mapping[str, Any]
    external_id: str | None
    external_refs: Mapping[str, str]
    synced_seq: int

    @property
    def pending(self) -> bool:
        """A store change of the row has not been pushed yet."""
        return self.seq > self.synced_seq

    @property
    def own_price(self) -> int | None:
        """The price this publication sets itself on its channel, if it does."""
        return own_price(self.overrides)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one row of a batch: what was sent, or refused with a reason."""

    row: Dirty
    offer: Offer
    price_sent: bool
    error: str | None
    quantity_sent: bool = True
    #: The marketplace ids the adapter found again, the stored ones being stale.
    found: ListingRef | None = None


Batch = list[tuple[Dirty, Offer]]
#: Whether one row's quantity (or price) goes out in a batch.
Wanted = Callable[[Dirty, Offer], bool]


def publication_rows(
    channel_id: int,
    *,
    after: int = 0,
    dirty_only: bool = True,
    ids: Sequence[int] | None = None,
) -> Any:
    """Published rows of the channel (with changes not yet pushed, by default), in id order."""
    query = (
        select(
            EcomListingChannel.id,
            EcomListingChannel.listing_id,
            func.coalesce(EcomListingChannel.external_sku, ProductCode.sku),
            EcomListingChannel.dirty_seq,
            EcomListingChannel.last_pushed_price_cents,
            EcomListingChannel.overrides,
            EcomListingChannel.external_id,
            EcomListingChannel.external_refs,
            EcomListingChannel.synced_seq,
        )
        .join(EcomListing, EcomListing.id == EcomListingChannel.listing_id)
        .join(ProductCode, ProductCode.id == EcomListing.product_code_id)
        .where(
            EcomListingChannel.channel_id == channel_id,
            EcomListingChannel.status == PublicationStatus.PUBLISHED,
            EcomListingChannel.id > after,
        )
        .order_by(EcomListingChannel.id)
    )
    if dirty_only:
        query = query.where(EcomListingChannel.dirty_seq > EcomListingChannel.synced_seq)
    if ids is not None:
        query = query.where(EcomListingChannel.id.in_(ids))
    return query


def dirty_rows(channel_id: int, *, after: int = 0) -> Any:
    """Published rows of the channel with changes not yet pushed, in id order."""
    return publication_rows(channel_id, after=after)


def push_handler(ctx: ChannelContext) -> Callable[[JobRun], Mapping[str, int]]:
    """The handler of both kinds, reaching marketplaces through ``ctx``."""

    def handle(run: JobRun) -> Mapping[str, int]:
        if run.channel_id is None:
            raise ValueError(f"a {run.kind.value} job needs a channel")
        return push_channel(ctx, run, all_prices=run.kind is JobKind.PRICES)

    return handle


def batch_size(adapter: ChannelAdapter) -> int:
    """Rows per batch: as many as one quantity call and one price call take."""
    capabilities = adapter.capabilities
    return min(capabilities.max_quantities_per_call, capabilities.max_prices_per_call)


def push_channel(ctx: ChannelContext, run: JobRun, *, all_prices: bool = False) -> dict[str, int]:
    assert run.channel_id is not None
    channel_id = run.channel_id
    engine = cast(Engine, run.sessions.kw["bind"])
    for name in ("pushed", "rejected", "changed_meanwhile", "calls"):
        run.counts.setdefault(name, 0)

    def price_wanted(row: Dirty, offer: Offer) -> bool:
        return all_prices or row.last_price_cents != offer.price_cents

    with (
        channel_lock(engine, channel_id, wait_seconds=LOCK_WAIT_SECONDS),
        open_channel(ctx, run, dirty_rows(channel_id)) as opened,
    ):
        size = batch_size(opened.adapter)
        run.progress(0, opened.total)
        done, after = 0, 0
        while batch := read_batch(run, opened.rules, dirty_rows(channel_id, after=after), size):
            remember_listings(opened.adapter, batch)
            outcomes = send_batch(opened.adapter, batch, run=run, price_wanted=price_wanted)
            compare_and_clear(run, outcomes)
            after = batch[-1][0].id
            done += len(batch)
            run.progress(done, max(done, opened.total))
    return run.counts


@dataclass(frozen=True)
class OpenChannel:
    """A job's channel as :func:`open_channel` read it, and its connected adapter."""

    settings: ChannelSettings
    rules: ChannelRules
    adapter: ChannelAdapter
    #: The rows of the query the job walks, counted when the channel was read.
    total: int


@contextmanager
def open_channel(ctx: ChannelContext, run: JobRun, rows: Any) -> Iterator[OpenChannel]:
    """The run's channel read in one short transaction (settings, link, how many ``rows``
    there are), with its adapter; on the way out, tokens the adapter refreshed are kept."""
    assert run.channel_id is not None
    with transaction(run.sessions) as session:
        channel = channels.get_channel(session, run.channel_id)
        settings = channels.channel_settings(channel)
        link = channels.read_link(ctx, channel)
        total = session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    refreshed: list[TokenSet] = []
    adapter = channels.link_adapter(ctx, link, refreshed)
    try:
        yield OpenChannel(settings, ChannelRules.of(settings), adapter, total)
    finally:
        keep_tokens(ctx, run, link, refreshed)


def read_batch(run: JobRun, rules: ChannelRules, query: Any, size: int) -> Batch:
    """Up to ``size`` rows of ``query`` with their offers now; the transaction ends here."""
    with transaction(run.sessions) as session:
        rows = [Dirty(*row) for row in session.execute(_skip_locked(session, query.limit(size)))]
        own = {row.listing_id: price for row in rows if (price := row.own_price) is not None}
        offers = offers_for(session, rules, (row.listing_id for row in rows), own_prices=own)
    return [(row, offers[row.listing_id]) for row in rows]


def _skip_locked(session: Session, query: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(of=EcomListingChannel, skip_locked=True)
    return query


def remember_listings(adapter: ChannelAdapter, batch: Sequence[tuple[Dirty, Offer]]) -> None:
    """Tell the adapter the marketplace ids the listings job recorded, so it need not look
    them up (eBay: one getOffers per SKU otherwise)."""
    if not isinstance(adapter, RemembersListings):
        return
    refs = [
        ListingRef(row.sku, row.external_id, published=True, refs=dict(row.external_refs or {}))
        for row, _ in batch
        if row.external_id
    ]
    if refs:
        adapter.remember(refs)


def _everything(row: Dirty, offer: Offer) -> bool:
    return True


def send_batch(
    adapter: ChannelAdapter,
    batch: Sequence[tuple[Dirty, Offer]],
    *,
    run: JobRun,
    price_wanted: Wanted,
    quantity_wanted: Wanted = _everything,
) -> list[Outcome]:
    """The bulk calls, with no transaction open; per-row outcome."""
    levels = [
        StockLevel(row.sku, offer.quantity) for row, offer in batch if quantity_wanted(row, offer)
    ]
    result = adapter.set_quantities(levels) if levels else PushResult(())
    refused = dict(result.rejected)
    found = dict(result.found)
    calls = result.calls
    prices = [
        (row, offer) for row, offer in batch if row.sku not in refused and price_wanted(row, offer)
    ]
    if prices:
        updates = [PriceUpdate(row.sku, Money(o.price_cents, o.currency)) for row, o in prices]
        priced = adapter.set_prices(updates)
        refused.update(priced.rejected)
        found.update(priced.found)
        calls += priced.calls
    run.count("calls", calls)
    sent = {row.sku for row, _ in prices}
    quantities = {level.sku for level in levels}
    return [
        Outcome(
            row,
            offer,
            price_sent=row.sku in sent,
            error=refused.get(row.sku),
            quantity_sent=row.sku in quantities,
            found=found.get(row.sku),
        )
        for row, offer in batch
        if row.sku in quantities or row.sku in sent
    ]


_RECORD = (
    update(_PUBLICATIONS)
    .where(_PUBLICATIONS.c.id == bindparam("row_id"))
    .values(
        last_pushed_qty=func.coalesce(bindparam("qty"), _PUBLICATIONS.c.last_pushed_qty),
        last_pushed_price_cents=func.coalesce(
            bindparam("price"), _PUBLICATIONS.c.last_pushed_price_cents
        ),
        last_synced_at=bindparam("now"),
        sync_state=bindparam("state"),
        last_error=bindparam("error"),
        updated_at=bindparam("now"),
    )
)
_CLEAR = (
    update(_PUBLICATIONS)
    .where(
        and_(
            _PUBLICATIONS.c.id == bindparam("row_id"),
            _PUBLICATIONS.c.dirty_seq == bindparam("seq"),
        )
    )
    .values(synced_seq=bindparam("seq"), dirty_at=None)
)


def compare_and_clear(run: JobRun, outcomes: Sequence[Outcome]) -> None:
    """Rows whose quantity went out are in sync unless changed meanwhile; each row's
    outcome is recorded on it."""
    if not outcomes:
        return
    now = utcnow()
    with transaction(run.sessions) as session:
        cleared = {
            outcome.row.id
            for outcome in outcomes
            if outcome.quantity_sent and _cleared(session, outcome.row)
        }
        records = [_record(outcome, outcome.row.id in cleared, now) for outcome in outcomes]
        session.execute(_RECORD, records)
        _store_found_ids(session, outcomes)
    rejected = sum(1 for outcome in outcomes if outcome.error)
    run.count("pushed", len(outcomes) - rejected)
    run.count("rejected", rejected)
    sent = sum(1 for outcome in outcomes if outcome.quantity_sent)
    run.count("changed_meanwhile", sent - len(cleared))


def _store_found_ids(session: Session, outcomes: Sequence[Outcome]) -> None:
    """The marketplace ids found again replace the stale ones stored (eBay: an offer
    deleted and re-created by the seller), so the next push needs no look-up."""
    for outcome in outcomes:
        if (ref := outcome.found) is not None:
            refs = dict(outcome.row.external_refs or {}) | dict(ref.refs)
            session.execute(
                update(_PUBLICATIONS)
                .where(_PUBLICATIONS.c.id == outcome.row.id)
                .values(external_id=ref.external_id, external_refs=refs)
            )


def _cleared(session: Session, row: Dirty) -> bool:
    result = session.execute(_CLEAR, {"row_id": row.id, "seq": row.seq})
    return bool(getattr(result, "rowcount", 0))


def _record(outcome: Outcome, cleared: bool, now: datetime) -> dict[str, Any]:
    """What one row's push leaves on it: what was pushed, its state, its error."""
    ok = outcome.error is None
    state = SyncState.IN_SYNC if cleared or not outcome.quantity_sent else SyncState.PENDING
    if not ok:
        state = SyncState.ERROR
    return {
        "row_id": outcome.row.id,
        "qty": outcome.offer.quantity if ok and outcome.quantity_sent else None,
        "price": outcome.offer.price_cents if ok and outcome.price_sent else None,
        "state": state,
        "error": outcome.error,
        "now": now,
    }


def keep_tokens(
    ctx: ChannelContext, run: JobRun, link: ChannelLink, refreshed: list[TokenSet]
) -> None:
    """Tokens the adapter refreshed during the push are stored for the next one."""
    if not refreshed or link.channel_id is None:
        return
    with transaction(run.sessions) as session:
        channels.keep_refreshed(session, ctx, link.channel_id, refreshed, started=link.tokens)
