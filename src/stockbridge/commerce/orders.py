"""Importing marketplace orders: exactly one row per order, its stock reserved exactly once.

:func:`import_order` takes one :class:`~stockbridge.channels.base.NormalizedOrder` (from a
poll or a webhook) inside the caller's transaction and answers what became of it:

- ``created``: the first time the order is seen. Its row is inserted with
  ``INSERT ... ON CONFLICT DO NOTHING`` on ``(channel_id, external_id)``, so of two
  concurrent imports only one inserts; the other then waits on the row lock and sees
  an existing order. In the same transaction every line is reserved (``order_lines``).
  A line that cannot be fully reserved (unknown SKU, oversold) puts the order in
  ``needs_attention`` with the reason; what can be reserved still is.
- ``updated`` / ``unchanged``: the order exists; it is locked and the marketplace's
  fields (statuses, buyer, addresses, amounts) are brought up to date, each change
  recorded as an event. A cancellation releases what the order holds, once. Lines the
  marketplace added are added and reserved; a line it changed or removed flags the
  order for a person (the reservation is not guessed at).
- ``stale``: the payload is older (marketplace ``updated_at``) than the one stored, or of
  the same instant and not cancelled while the order is stored cancelled (:func:`_is_stale`),
  and changes nothing.

:func:`import_page` imports a whole page in one transaction, with the outcome of
importing its orders one at a time in page order, and a fixed number of statements for
its new orders (one look-up of the stored orders, of the lines' products and of the stock
to reserve; one insert each of orders, items, events and ledger rows) between two updates
that move stock.
If that transaction fails, it is rolled back and the page imported again an order at a
time, each in a transaction of its own, so one bad order never stops the others; what
failed, and what the adapter could not normalise (``OrderPage.rejected``), is recorded
in a channel log row instead of raised.

A transaction the database could not do just now (``OperationalError``: a deadlock, a
serialization failure, a lock wait past ``lock_timeout``, a lost connection, SQLite busy)
is no order's fault: it is run again, up to :data:`DATABASE_ATTEMPTS` times in all, and
then the error raised, so the caller stores no cursor past the page and the job's retry
policy applies. Recorded as failed, the order would never be imported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from stockbridge.channels.base import NormalizedOrder, OrderLine, OrderPage
from stockbridge.commerce import order_lines
from stockbridge.commerce.order_payload import check_order, marketplace_fields
from stockbridge.commerce.order_status import OPEN, can_change, change_status, record_event
from stockbridge.db.models import (
    ChannelLogStatus,
    ChannelOperation,
    EcomChannel,
    EcomChannelLog,
    EcomOrder,
    EcomOrderItem,
    OrderEventKind,
    OrderStatus,
)
from stockbridge.db.types import utcnow
from stockbridge.db.upsert import insert_unless_present
from stockbridge.errors import NotFound, StockbridgeError

log = logging.getLogger(__name__)

ACTOR = "order-import"
# Changes named with their values in the event; other fields are named only (they may
# hold a buyer's personal data, which events keep out).
_SHOWN_VALUES = ("payment_status", "fulfillment_status")
#: Tries of a transaction the database could not do just now, before its error is raised.
DATABASE_ATTEMPTS = 3

T = TypeVar("T")


class ImportOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


@dataclass(frozen=True)
class ImportResult:
    outcome: ImportOutcome
    order_id: int
    status: OrderStatus
    #: This import put the order in ``needs_attention``.
    flagged: bool = False


@dataclass
class PageCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    needs_attention: int = 0
    rejected: int = 0

    def add(self, result: ImportResult) -> None:
        name = str(result.outcome)
        setattr(self, name, getattr(self, name) + 1)
        self.needs_attention += result.flagged


# --- one order --------------------------------------------------------------------


def import_order(
    session: Session, channel_id: int, order: NormalizedOrder, *, actor: str = ACTOR
) -> ImportResult:
    """Create or bring up to date the order in the caller's transaction (see module doc)."""
    check_order(order)
    _require_channel(session, channel_id)
    now = utcnow()
    inserted = session.execute(
        insert_unless_present(
            session, EcomOrder, _order_values(channel_id, order, now),
            unique_on=("channel_id", "external_id"),
        ).returning(EcomOrder.id)
    ).scalar_one_or_none()  # fmt: skip
    stored = session.scalars(
        select(EcomOrder)
        .where(EcomOrder.channel_id == channel_id, EcomOrder.external_id == order.external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if inserted is not None:
        # Inserted just now: it has no items or events to load.
        set_committed_value(stored, "items", [])
        set_committed_value(stored, "events", [])
        return _create(session, [(stored, order)], actor=actor)[0]
    return _update(session, stored, order, actor=actor)


def _require_channel(session: Session, channel_id: int) -> None:
    channel = session.get(EcomChannel, channel_id)
    if channel is None or channel.deleted_at is not None:
        raise NotFound(f"channel {channel_id} does not exist")


def _order_values(channel_id: int, order: NormalizedOrder, now: datetime) -> dict[str, Any]:
    """The ``ecom_orders`` row of an order seen for the first time."""
    return {
        **marketplace_fields(order),
        "channel_id": channel_id,
        "external_id": order.external_id,
        "status": OrderStatus.PENDING,
        "marketplace_updated_at": order.updated_at,
        "raw": dict(order.raw),
        "created_at": now,
        "updated_at": now,
    }


def _create(
    session: Session, created: Sequence[tuple[EcomOrder, NormalizedOrder]], *, actor: str
) -> list[ImportResult]:
    """Record the import of new orders (stored or still pending) and reserve their lines."""
    to_reserve: list[tuple[EcomOrder, Sequence[OrderLine]]] = []
    for stored, order in created:
        record_event(
            stored,
            OrderEventKind.STATUS_CHANGE,
            "imported from the marketplace",
            actor=actor,
            to_status=OrderStatus.PENDING,
        )
        if order.cancelled:
            change_status(
                stored, OrderStatus.CANCELLED, reason="cancelled on the marketplace", actor=actor
            )
        else:
            to_reserve.append((stored, order.lines))
    for (stored, _lines), problems in zip(
        to_reserve, _add_lines(session, to_reserve, actor=actor), strict=True
    ):
        _flag(stored, problems, actor=actor)
    session.flush()
    was = OrderStatus.PENDING
    return [_result(ImportOutcome.CREATED, stored, was=was) for stored, _order in created]


def _result(outcome: ImportOutcome, stored: EcomOrder, *, was: OrderStatus) -> ImportResult:
    flagged = was != OrderStatus.NEEDS_ATTENTION and stored.status == OrderStatus.NEEDS_ATTENTION
    return ImportResult(outcome, stored.id, stored.status, flagged)


def _add_lines(
    session: Session, orders: Sequence[tuple[EcomOrder, Sequence[OrderLine]]], *, actor: str
) -> list[list[str]]:
    """Add the lines as items of their orders (all of one channel) and reserve their stock,
    with one product look-up and one allocation for them all; each order's problems."""
    if not orders:
        return []
    channel_id = orders[0][0].channel_id
    branch_ids = order_lines.channel_branch_ids(session, channel_id)
    all_lines = [line for _stored, lines in orders for line in lines]
    products = iter(order_lines.find_products(session, channel_id, all_lines))
    per_order: list[list[tuple[EcomOrderItem, order_lines.Product | None]]] = []
    for stored, lines in orders:
        pairs = []
        for line in lines:
            product = next(products)
            item = order_lines.new_item(stored.id, line, product)
            stored.items.append(item)
            pairs.append((item, product))
        # Products in id order: two orders reserving the same products lock them alike.
        pairs.sort(key=lambda pair: (pair[1] is None, pair[1].product_code_id if pair[1] else 0))
        per_order.append(pairs)
    session.flush()  # the items' ids are the ledger's references
    flat = [pair for pairs in per_order for pair in pairs]
    found = iter(order_lines.reserve_items(session, flat, branch_ids=branch_ids, actor=actor))
    problems = [[next(found) for _pair in pairs] for pairs in per_order]
    return [[problem for problem in listed if problem is not None] for listed in problems]


def _flag(stored: EcomOrder, problems: Sequence[str], *, actor: str) -> bool:
    """Record the problems not recorded yet, flagging the order if it may be; True if any."""
    known = stored.attention_reason or ""
    fresh = [problem for problem in problems if problem not in known]
    if not fresh:
        return False
    reason = "; ".join(fresh)
    stored.attention_reason = f"{known}; {reason}" if known else reason
    if can_change(stored, OrderStatus.NEEDS_ATTENTION):
        change_status(stored, OrderStatus.NEEDS_ATTENTION, reason=reason, actor=actor)
    else:
        record_event(stored, OrderEventKind.NOTE, reason, actor=actor)
    return True


def _is_stale(stored: EcomOrder, order: NormalizedOrder) -> bool:
    """Whether the payload is older than the stored state.

    A payload of the same instant is the same state as a rule, so it is applied (a later
    change in the same second must not be lost). But marketplaces stamp ``updated_at`` in
    whole seconds (Shopify) and never reopen a cancelled order, so one of the same instant
    that is not cancelled, for an order stored cancelled, was read before the cancellation.
    """
    seen = stored.marketplace_updated_at
    if seen is None:
        return False
    if order.updated_at == seen:
        return stored.status == OrderStatus.CANCELLED and not order.cancelled
    return order.updated_at < seen


def _update(
    session: Session, stored: EcomOrder, order: NormalizedOrder, *, actor: str
) -> ImportResult:
    if _is_stale(stored, order):
        return ImportResult(ImportOutcome.STALE, stored.id, stored.status)
    was = stored.status
    changed = _apply_fields(stored, marketplace_fields(order), actor=actor)
    stored.marketplace_updated_at = order.updated_at
    stored.raw = dict(order.raw)
    if order.cancelled:
        changed = _cancel(session, stored, actor=actor) or changed
    elif stored.status in OPEN:
        lines = _line_changes(session, stored, order.lines, actor=actor)
        changed = _flag(stored, lines.problems, actor=actor) or lines.added > 0 or changed
    session.flush()
    outcome = ImportOutcome.UPDATED if changed else ImportOutcome.UNCHANGED
    return _result(outcome, stored, was=was)


def _apply_fields(stored: EcomOrder, fields: dict[str, Any], *, actor: str) -> bool:
    changes: list[str] = []
    for name, value in fields.items():
        old = getattr(stored, name)
        if old == value:
            continue
        setattr(stored, name, value)
        changes.append(f"{name} {old} -> {value}" if name in _SHOWN_VALUES else name)
    if changes:
        message = "changed on the marketplace: " + ", ".join(changes)
        record_event(stored, OrderEventKind.MARKETPLACE_UPDATE, message, actor=actor)
    return bool(changes)


def _cancel(session: Session, stored: EcomOrder, *, actor: str) -> bool:
    """Cancel the order and release its stock, once; True if anything changed."""
    if stored.status == OrderStatus.CANCELLED:
        return False
    if not can_change(stored, OrderStatus.CANCELLED):
        problem = f"cancelled on the marketplace while {stored.status} here; review by hand"
        return _flag(stored, [problem], actor=actor)
    held = sorted(
        (item for item in stored.items if item.allocated_version_id is not None),
        key=lambda item: item.allocated_version_id or 0,
    )
    released = sum(order_lines.release_item(session, item, actor=actor) for item in held)
    change_status(
        stored,
        OrderStatus.CANCELLED,
        reason=f"cancelled on the marketplace; {released} reserved released",
        actor=actor,
    )
    return True


@dataclass(frozen=True)
class _LineChanges:
    added: int
    problems: list[str]


def _line_changes(
    session: Session, stored: EcomOrder, lines: Sequence[OrderLine], *, actor: str
) -> _LineChanges:
    """Add and reserve lines new to the order; report stored lines the marketplace changed."""
    incoming = {line.external_id: line for line in lines}
    known = {item.external_item_id: item for item in stored.items}
    problems = [
        f"line {item.external_item_id}: changed on the marketplace after import "
        "(check its reservation)"
        for external_id, item in known.items()
        if external_id not in incoming or incoming[external_id].quantity != item.quantity
    ]
    added = [line for line in lines if line.external_id not in known]
    if added:
        record_event(
            stored,
            OrderEventKind.MARKETPLACE_UPDATE,
            f"{len(added)} line(s) added on the marketplace",
            actor=actor,
        )
        problems += _add_lines(session, [(stored, added)], actor=actor)[0]
    return _LineChanges(len(added), problems)


# --- a page of orders --------------------------------------------------------------


def import_page(
    session_factory: sessionmaker[Session],
    channel_id: int,
    page: OrderPage,
    *,
    actor: str = ACTOR,
) -> PageCounts:
    """Import the page in one transaction; never raises for one bad order, only for a
    database that could not do the work in :data:`DATABASE_ATTEMPTS` tries (module doc)."""
    with session_factory() as session:
        if session.get(EcomChannel, channel_id) is None:
            raise NotFound(f"channel {channel_id} does not exist")
    failed: dict[str, str] = dict(page.rejected)
    storable: list[NormalizedOrder] = []
    for order in page.orders:
        try:
            check_order(order)
        except StockbridgeError as error:
            _not_imported(failed, order, error)
            continue
        storable.append(order)

    def together(session: Session) -> PageCounts:
        counts = _import_together(session, channel_id, storable, actor=actor)
        counts.rejected = len(failed)
        _log_page(session, channel_id, page, counts, failed, actor=actor)
        return counts

    try:
        return _in_transaction(session_factory, together)
    except OperationalError:
        raise  # tried DATABASE_ATTEMPTS times: the job's retry, not the fallback
    except (StockbridgeError, SQLAlchemyError) as error:
        # Rolled back whole: find the order at fault by importing one at a time.
        log.info("page of %s orders imported one by one: %s", len(storable), error)
    return _import_one_by_one(session_factory, channel_id, page, storable, failed, actor=actor)


def _in_transaction(session_factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """``work`` in a transaction of its own, committed; run again in a new one when the
    database could not do it just now, raising its ``OperationalError`` after
    :data:`DATABASE_ATTEMPTS` tries."""
    attempt = 1
    while True:
        try:
            with session_factory.begin() as session:
                return work(session)
        except OperationalError as error:
            if attempt >= DATABASE_ATTEMPTS:
                raise
            log.warning("order import tried again (attempt %s): %s", attempt + 1, error)
            attempt += 1


def _not_imported(failed: dict[str, str], order: NormalizedOrder, error: Exception) -> None:
    detail = error.detail if isinstance(error, StockbridgeError) else str(error)
    log.warning("order %s not imported: %s", order.external_id, detail)
    failed[order.external_id] = detail


def _import_together(
    session: Session, channel_id: int, orders: Sequence[NormalizedOrder], *, actor: str
) -> PageCounts:
    """Import checked orders in the caller's transaction, with the outcome of importing
    them one at a time in page order. Orders already stored are locked in id order, with
    their items and events, in one query. New orders are gathered and created together
    (a handful of statements for them all); an update that may move stock (``_moves_stock``)
    first creates the new orders before it, so stock goes to the orders in page order and
    the statements grow with such updates only, never with the new orders."""
    _require_channel(session, channel_id)
    stored = {
        row.external_id: row
        for row in session.scalars(
            select(EcomOrder)
            .where(
                EcomOrder.channel_id == channel_id,
                EcomOrder.external_id.in_(sorted({order.external_id for order in orders})),
            )
            .order_by(EcomOrder.id)
            .with_for_update()
            .options(selectinload(EcomOrder.items), selectinload(EcomOrder.events))
            .execution_options(populate_existing=True)
        )
    }
    now = utcnow()
    counts = PageCounts()
    waiting: dict[str, tuple[EcomOrder, NormalizedOrder]] = {}  # new, not created yet
    for order in orders:
        row = stored.get(order.external_id)
        if row is None:
            # Empty collections given, not loaded: a load would flush the page order by order.
            row = EcomOrder(**_order_values(channel_id, order, now), items=[], events=[])
            stored[order.external_id] = row
            waiting[order.external_id] = (row, order)
            continue
        if order.external_id in waiting or _moves_stock(row, order):
            _create_waiting(session, waiting, counts, actor=actor)
        counts.add(_update(session, row, order, actor=actor))
    _create_waiting(session, waiting, counts, actor=actor)
    return counts


def _moves_stock(stored: EcomOrder, order: NormalizedOrder) -> bool:
    """Whether bringing the stored order up to date may reserve or release stock: only
    such an update waits for the new orders listed before it (a cancellation counts even
    when the order holds nothing; an update of fields alone does not wait)."""
    if _is_stale(stored, order):
        return False
    if order.cancelled:
        return stored.status != OrderStatus.CANCELLED
    known = {item.external_item_id for item in stored.items}
    return stored.status in OPEN and any(line.external_id not in known for line in order.lines)


def _create_waiting(
    session: Session,
    waiting: dict[str, tuple[EcomOrder, NormalizedOrder]],
    counts: PageCounts,
    *,
    actor: str,
) -> None:
    """Create the new orders gathered so far, in page order, and count them."""
    if not waiting:
        return
    created = list(waiting.values())
    waiting.clear()
    session.add_all(row for row, _order in created)
    for result in _create(session, created, actor=actor):
        counts.add(result)


def _import_one_by_one(
    session_factory: sessionmaker[Session],
    channel_id: int,
    page: OrderPage,
    orders: Sequence[NormalizedOrder],
    failed: dict[str, str],
    *,
    actor: str,
) -> PageCounts:
    """Each order in a transaction of its own: one that fails is recorded, not raised."""
    counts = PageCounts()
    for order in orders:
        work = partial(import_order, channel_id=channel_id, order=order, actor=actor)
        try:
            counts.add(_in_transaction(session_factory, work))
        except OperationalError:
            raise  # not the order's fault: it must not be recorded as failed
        except (StockbridgeError, SQLAlchemyError) as error:
            _not_imported(failed, order, error)
    counts.rejected = len(failed)

    def log_page(session: Session) -> None:
        _log_page(session, channel_id, page, counts, failed, actor=actor)

    _in_transaction(session_factory, log_page)
    return counts


def _log_page(
    session: Session,
    channel_id: int,
    page: OrderPage,
    counts: PageCounts,
    failed: dict[str, str],
    *,
    actor: str,
) -> None:
    """One channel log row per page; a note on each stored order that failed to update."""
    total = len(page.orders) + len(page.rejected)
    status = (
        ChannelLogStatus.SUCCESS
        if not failed
        else ChannelLogStatus.FAILED
        if len(failed) == total
        else ChannelLogStatus.PARTIAL
    )
    now = utcnow()
    session.add(
        EcomChannelLog(
            channel_id=channel_id,
            operation=ChannelOperation.ORDER_IMPORT,
            status=status,
            records_processed=total,
            records_failed=len(failed),
            error_message=next(iter(failed.values()), None),
            details={"counts": asdict(counts), "rejected": failed},
            started_at=now,
            completed_at=now,
        )
    )
    stored = session.scalars(
        select(EcomOrder).where(
            EcomOrder.channel_id == channel_id, EcomOrder.external_id.in_(list(failed))
        )
    )
    for order in stored:
        message = f"a marketplace update could not be imported: {failed[order.external_id]}"
        record_event(order, OrderEventKind.NOTE, message, actor=actor)
