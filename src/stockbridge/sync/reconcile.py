"""The ``reconcile`` job: read back what a marketplace shows, fix drift, record what differed.

It first brings the channel's orders up to date: the ``orders`` poll's own import
from the stored cursor (:func:`~stockbridge.sync.order_poll.catch_up_orders`). A
marketplace sale not imported yet shows as fewer units there than stockbridge offers,
and re-asserting the higher quantity would offer the sold unit again; imported, the
sale is reserved and the offer read next is net of it. Then it walks every published
row of the channel (or only the publications named in the job's payload,
``{"publication_ids": [...]}``, as a webhook queues it) in batches as large as the
marketplace's bulk calls, and for each batch, holding the channel's lock
(``sync/channel_lock.py``) as a push does, but only for that batch (so a sale's push
waits for one batch, not for the whole walk):

1. reads the rows and what stockbridge offers now (``commerce/offer.py``);
2. reads the marketplace's quantity and price of each SKU (``ChannelAdapter.read_offers``);
   where the marketplace shows fewer units than offered, catches up the orders once more
   and, if that imported anything, reads 1 and 2 again (``rechecked``);
3. re-asserts every quantity, zeros included, and sends the prices that differ, through
   the push's own bulk calls and compare-and-clear (``sync/push.py``).

Fewer units with no new order imported is drift like any other. A sale made between the
last orders read and the quantity sent can still be re-offered: the window is the
read-back and send of one batch (a few calls); the push after that order's import (by
webhook, or the next poll) corrects it.

A difference is decided by the channel's conflict policy for its field
(``settings.conflicts.quantity`` / ``.price``, see ``commerce/conflicts.py``):

- ``store_wins``: the value is set back (``repaired``);
- ``marketplace_wins``: a price becomes the publication's override price, a quantity is
  not re-asserted (``kept``; the store's next stock change is pushed as usual, and the
  same difference seen again is not recorded again);
- ``manual``: the field of that row is left as it is and an open conflict waits.

A row with a store change not pushed yet (``dirty_seq > synced_seq``) is pending on the
store's side: the marketplace still shows the value before that change, which is no
marketplace edit. Its quantity (and its price, if that is the change) is sent, with
compare-and-clear as usual, and no conflict is recorded.

An open conflict whose field the marketplace now shows as stockbridge offers it (the
seller set it back, a push sent the store's value, or this batch did) is closed as
``gone``; one the channel's policy now decides otherwise (``store_wins``,
``marketplace_wins``) becomes that finding (``repaired``, ``kept``).

A reconcile a webhook queued (payload ``source: webhook``) re-asserts only the rows that
differ: the marketplace notifies stockbridge's own writes too, and re-sending unchanged
quantities there would answer every notification with another one. Most of those
notifications echo a push, so it does not bring the orders up to date first: only a batch
where the marketplace shows fewer units than offered catches them up (and is read again
if that imported anything), as in step 2.

A SKU whose quantity the marketplace does not hold (unknown, not stocked at the
location) is always re-asserted: there is no marketplace value to keep.

Every difference is a row of ``ecom_conflicts``; the job counts ``drift_quantity``,
``drift_price``, ``conflicts`` (open ones), ``kept``, ``gone`` (open ones closed),
``missing`` (SKUs the marketplace does not know), ``rechecked`` (batches read again after
new orders) besides the push's ``pushed``, ``rejected``, ``changed_meanwhile``, ``calls``,
and the orders import's counts prefixed ``orders_`` (``orders_created``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from sqlalchemy import Engine

from stockbridge.channels.base import ChannelAdapter, MarketplaceOffer, ReadBack
from stockbridge.commerce import conflicts
from stockbridge.commerce.channel_schemas import ConflictPolicies
from stockbridge.commerce.channels import ChannelContext
from stockbridge.commerce.conflicts import Finding
from stockbridge.commerce.offer import ChannelRules, Offer
from stockbridge.db.engine import transaction
from stockbridge.db.models import ConflictField, ConflictSource, ConflictStatus
from stockbridge.statuses import ConflictPolicy
from stockbridge.sync.channel_lock import channel_lock
from stockbridge.sync.context import JobRun
from stockbridge.sync.order_poll import catch_up_orders
from stockbridge.sync.push import (
    LOCK_WAIT_SECONDS,
    Batch,
    Dirty,
    Outcome,
    batch_size,
    compare_and_clear,
    open_channel,
    publication_rows,
    read_batch,
    remember_listings,
    send_batch,
)

COUNTS = ("drift_quantity", "drift_price", "conflicts", "kept", "gone", "missing", "pushed",
          "rejected", "changed_meanwhile", "calls", "rechecked")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Drift:
    """One row's stockbridge offer beside what the marketplace shows."""

    row: Dirty
    offer: Offer
    seen: MarketplaceOffer | None

    @property
    def quantity_differs(self) -> bool:
        return self.seen is None or self.seen.quantity != self.offer.quantity

    @property
    def quantity_held(self) -> bool:
        """The marketplace holds a quantity of its own (one a policy could keep)."""
        return self.seen is not None and self.seen.quantity is not None

    @property
    def price_differs(self) -> bool:
        return (
            self.seen is not None
            and self.seen.price is not None
            and self.seen.price.cents != self.offer.price_cents
        )


def reconcile_handler(ctx: ChannelContext) -> Callable[[JobRun], Mapping[str, int]]:
    def handle(run: JobRun) -> Mapping[str, int]:
        if run.channel_id is None:
            raise ValueError("a reconcile job needs a channel")
        return reconcile_channel(ctx, run)

    return handle


def _publication_ids(payload: Mapping[str, Any]) -> list[int] | None:
    ids = payload.get("publication_ids")
    if ids is None:
        return None
    return sorted({int(value) for value in ids})


def reconcile_channel(ctx: ChannelContext, run: JobRun) -> dict[str, int]:
    assert run.channel_id is not None
    channel_id = run.channel_id
    ids = _publication_ids(run.payload)
    engine = cast(Engine, run.sessions.kw["bind"])
    for name in COUNTS:
        run.counts.setdefault(name, 0)
    source = ConflictSource(run.payload.get("source") or ConflictSource.RECONCILE)
    rows = publication_rows(channel_id, dirty_only=False, ids=ids)
    with open_channel(ctx, run, rows) as opened:
        adapter, rules = opened.adapter, opened.rules
        policy = _Policy(channel_id, opened.settings.conflicts, source)
        size = batch_size(adapter)
        done, after = 0, 0
        if source is ConflictSource.RECONCILE:
            catch_up_orders(run, adapter)
        run.progress(0, opened.total)
        while True:
            # The lock for one batch at a time: a push waiting for it goes next.
            with channel_lock(engine, channel_id, wait_seconds=LOCK_WAIT_SECONDS):
                batch = _next_batch(run, rules, channel_id, after, size, ids)
                if batch:
                    again = partial(_next_batch, run, rules, channel_id, after, size, ids)
                    batch = _reconcile_batch(adapter, run, batch, policy, again)
            if not batch:
                break
            after = batch[-1][0].id
            done += len(batch)
            run.progress(done, max(done, opened.total))
    return run.counts


def _next_batch(
    run: JobRun, rules: ChannelRules, channel_id: int, after: int, size: int,
    ids: Sequence[int] | None,
) -> Batch:  # fmt: skip
    query = publication_rows(channel_id, after=after, dirty_only=False, ids=ids)
    return read_batch(run, rules, query, size)


@dataclass(frozen=True, slots=True)
class _Policy:
    channel_id: int
    conflicts: ConflictPolicies
    source: ConflictSource


@dataclass
class _Decisions:
    """Which rows get which field sent, and what is recorded."""

    quantities: set[int]
    prices: set[int]
    findings: list[Finding]


def _reconcile_batch(
    adapter: ChannelAdapter, run: JobRun, batch: Batch, policy: _Policy,
    again: Callable[[], Batch],
) -> Batch:  # fmt: skip
    """Reconcile one batch; answers the batch as last read (see :func:`_read_back`)."""
    batch, back = _read_back(adapter, run, batch, again)
    if not batch:
        return batch
    drifts = _compare(batch, back)
    run.count("missing", len(back.missing))
    run.count("drift_quantity", sum(1 for drift in drifts.values() if drift.quantity_differs))
    run.count("drift_price", sum(1 for drift in drifts.values() if drift.price_differs))
    with transaction(run.sessions) as session:
        settled = conflicts.latest_quantity_decisions(session, drifts)
    every = policy.source is ConflictSource.RECONCILE
    decided = _decide(list(drifts.values()), policy.conflicts, settled, reassert_all=every)

    def quantity_wanted(row: Dirty, offer: Offer) -> bool:
        return row.id in decided.quantities

    def price_wanted(row: Dirty, offer: Offer) -> bool:
        return row.id in decided.prices

    outcomes = send_batch(
        adapter, batch, run=run, price_wanted=price_wanted, quantity_wanted=quantity_wanted
    )
    compare_and_clear(run, outcomes)
    with transaction(run.sessions) as session:
        conflicts.record_findings(session, policy.channel_id, decided.findings, policy.source)
        agreeing = _agreeing(drifts.values(), decided, outcomes)
        run.count("gone", conflicts.close_agreeing(session, agreeing))
    run.count("conflicts", sum(1 for f in decided.findings if f.status is ConflictStatus.OPEN))
    run.count("kept", sum(1 for f in decided.findings if f.status is ConflictStatus.KEPT))
    return batch


def _read_back(
    adapter: ChannelAdapter, run: JobRun, batch: Batch, again: Callable[[], Batch]
) -> tuple[Batch, ReadBack]:
    """What the marketplace shows of the batch's SKUs.

    Where it shows fewer units than stockbridge offers, a sale not imported yet may be
    why: the orders are caught up once more and, if that brought any, the batch is read
    again (``again``: its offers now net of the new reservations) and so is the
    marketplace. Fewer units with nothing new imported is drift (see sync.md for the sale
    that can still fall between that import and this read).
    """
    back = _read_offers(adapter, run, batch)
    if _shows_fewer(batch, back) and catch_up_orders(run, adapter):
        run.count("rechecked")
        batch = again()
        back = _read_offers(adapter, run, batch) if batch else back
    return batch, back


def _read_offers(adapter: ChannelAdapter, run: JobRun, batch: Batch) -> ReadBack:
    remember_listings(adapter, batch)
    back = adapter.read_offers([row.sku for row, _ in batch])
    run.count("calls", back.calls)
    return back


def _shows_fewer(batch: Batch, back: ReadBack) -> bool:
    for row, offer in batch:
        seen = back.offers.get(row.sku)
        if seen is not None and seen.quantity is not None and seen.quantity < offer.quantity:
            return True
    return False


_STATUS = {
    ConflictPolicy.STORE_WINS: ConflictStatus.REPAIRED,
    ConflictPolicy.MARKETPLACE_WINS: ConflictStatus.KEPT,
    ConflictPolicy.MANUAL: ConflictStatus.OPEN,
}


def _decide(
    drifts: Sequence[Drift],
    policies: ConflictPolicies,
    settled: Mapping[int, tuple[int, int | None]],
    *,
    reassert_all: bool,
) -> _Decisions:
    decided = _Decisions(set(), set(), [])
    for drift in drifts:
        _decide_quantity(drift, policies.quantity, settled, decided, reassert_all=reassert_all)
        _decide_price(drift, policies.price, decided)
    return decided


def _decide_quantity(
    drift: Drift,
    policy: ConflictPolicy,
    settled: Mapping[int, tuple[int, int | None]],
    decided: _Decisions,
    *,
    reassert_all: bool,
) -> None:
    row, offer, seen = drift.row, drift.offer, drift.seen
    if row.pending:
        # A store change waits for its push: the marketplace shows the value before it,
        # which is no marketplace edit. The store's offer goes out, as the push would send it.
        decided.quantities.add(row.id)
    elif not drift.quantity_differs:
        if reassert_all:
            decided.quantities.add(row.id)
    elif not drift.quantity_held:
        decided.quantities.add(row.id)
    elif policy is not ConflictPolicy.STORE_WINS and settled.get(row.id) == (
        offer.quantity,
        seen.quantity if seen else None,
    ):
        pass  # left on the marketplace on purpose, and nothing changed since
    else:
        status = _STATUS[policy]
        if status is ConflictStatus.REPAIRED:
            decided.quantities.add(row.id)
        decided.findings.append(_finding(drift, ConflictField.QUANTITY, policy, status))


def _decide_price(drift: Drift, policy: ConflictPolicy, decided: _Decisions) -> None:
    row = drift.row
    if not drift.price_differs:
        return
    if row.pending and row.last_price_cents != drift.offer.price_cents:
        decided.prices.add(row.id)  # a store price not pushed yet, as for a quantity
        return
    status = _STATUS[policy]
    if status is ConflictStatus.REPAIRED:
        decided.prices.add(row.id)
    decided.findings.append(_finding(drift, ConflictField.PRICE, policy, status))


def _agreeing(
    drifts: Iterable[Drift], decided: _Decisions, outcomes: Sequence[Outcome]
) -> list[tuple[int, ConflictField]]:
    """The (publication, field) pairs the marketplace now shows as stockbridge offers them:
    no difference was seen, or the store's value was sent and accepted; none decided."""
    found = {(finding.publication_id, finding.field) for finding in decided.findings}
    accepted = {outcome.row.id: outcome for outcome in outcomes if outcome.error is None}
    pairs = []
    for drift in drifts:
        outcome = accepted.get(drift.row.id)
        if not drift.quantity_differs or (outcome is not None and outcome.quantity_sent):
            pairs.append((drift.row.id, ConflictField.QUANTITY))
        if not drift.price_differs or (outcome is not None and outcome.price_sent):
            pairs.append((drift.row.id, ConflictField.PRICE))
    return [pair for pair in pairs if pair not in found]


def _finding(
    drift: Drift, field: ConflictField, policy: ConflictPolicy, status: ConflictStatus
) -> Finding:
    seen = drift.seen
    if field is ConflictField.QUANTITY:
        store, marketplace = drift.offer.quantity, seen.quantity if seen else None
    else:
        store = drift.offer.price_cents
        marketplace = seen.price.cents if seen and seen.price else None
    return Finding(
        publication_id=drift.row.id,
        listing_id=drift.row.listing_id,
        sku=drift.row.sku,
        field=field,
        store_value=store,
        marketplace_value=marketplace,
        policy=policy,
        status=status,
    )


def _compare(batch: Batch, back: ReadBack) -> dict[int, Drift]:
    return {row.id: Drift(row, offer, back.offers.get(row.sku)) for row, offer in batch}
