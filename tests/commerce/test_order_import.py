"""Importing a marketplace order: created once and reserved, then updated, cancelled, flagged."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockbridge.channels.base import Address, NormalizedOrder
from stockbridge.commerce.orders import ImportOutcome, import_order
from stockbridge.db.models import (
    EcomListingChannel,
    EcomOrder,
    EcomOrderEvent,
    LedgerReason,
    OrderEventKind,
    OrderStatus,
    PaymentStatus,
    ProductCodeVersion,
    StockLedgerEntry,
)
from stockbridge.errors import InvalidInput, NotFound
from tests.commerce.order_payloads import at, line, make_channel, order, stock_problems
from tests.factories import make_branch, make_product, make_publication, make_version


def reserved(session: Session, version: ProductCodeVersion) -> int:
    session.refresh(version)
    return version.qty_reserved


def ledger_count(session: Session, reason: LedgerReason) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(StockLedgerEntry)
            .where(StockLedgerEntry.reason == reason)
        )
        or 0
    )


def events(session: Session, order_id: int) -> list[EcomOrderEvent]:
    return list(
        session.scalars(
            select(EcomOrderEvent)
            .where(EcomOrderEvent.ecom_order_id == order_id)
            .order_by(EcomOrderEvent.id)
        )
    )


def stored_order(session: Session, order_id: int) -> EcomOrder:
    found = session.get(EcomOrder, order_id, populate_existing=True)
    assert found is not None
    return found


def test_a_new_order_is_stored_and_its_stock_reserved_in_the_preferred_branch(
    session: Session,
) -> None:
    product = make_product(session, sku="SKU-A")
    near, far = make_branch(session), make_branch(session)
    in_near = make_version(session, product=product, branch=near, on_hand=5)
    make_version(session, product=product, branch=far, on_hand=9)
    channel = make_channel(session, near, far)

    result = import_order(session, channel.id, order("1001", line(quantity=2, price=1250)))

    assert result.outcome == ImportOutcome.CREATED
    assert not result.flagged
    saved = stored_order(session, result.order_id)
    assert (saved.status, saved.external_number, saved.currency) == (
        OrderStatus.PENDING,
        "#1001",
        "EUR",
    )
    assert (saved.subtotal_cents, saved.shipping_cents, saved.total_cents) == (2500, 450, 2950)
    assert saved.shipping_address is not None
    assert saved.shipping_address["city"] == "Leeds"
    [item] = saved.items
    assert (item.product_code_id, item.allocated_branch_id, item.allocated_version_id) == (
        product.id,
        near.id,
        in_near.id,
    )
    assert item.quantity_allocated == 2
    assert reserved(session, in_near) == 2
    reserve = session.scalars(
        select(StockLedgerEntry).where(StockLedgerEntry.reason == LedgerReason.RESERVE)
    ).one()
    assert (reserve.reference_type, reserve.reference_id) == ("ecom_order_item", str(item.id))
    [created] = events(session, saved.id)
    assert (created.kind, created.from_status, created.to_status) == (
        OrderEventKind.STATUS_CHANGE,
        None,
        OrderStatus.PENDING,
    )
    assert stock_problems(session) == []


def test_the_same_payload_again_changes_nothing_and_reserves_nothing_more(
    session: Session,
) -> None:
    branch = make_branch(session)
    version = make_version(
        session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5
    )
    channel = make_channel(session, branch)
    payload = order("1001", line(quantity=2))

    first = import_order(session, channel.id, payload)
    again = import_order(session, channel.id, payload)

    assert again.outcome == ImportOutcome.UNCHANGED
    assert again.order_id == first.order_id
    assert session.scalar(select(func.count()).select_from(EcomOrder)) == 1
    assert reserved(session, version) == 2
    assert ledger_count(session, LedgerReason.RESERVE) == 1
    assert len(events(session, first.order_id)) == 1


def test_an_update_applies_addresses_and_statuses_with_an_event(session: Session) -> None:
    branch = make_branch(session)
    make_version(session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5)
    channel = make_channel(session, branch)
    first = import_order(session, channel.id, order("1001", payment_status=PaymentStatus.PENDING))

    moved = Address(name="Ada Buyer", line1="9 Low Rd", city="York", country="GB")
    result = import_order(session, channel.id, order("1001", updated=at(5), shipping_address=moved))

    assert result.outcome == ImportOutcome.UPDATED
    saved = stored_order(session, first.order_id)
    assert saved.shipping_address is not None
    assert saved.shipping_address["city"] == "York"
    assert saved.payment_status == PaymentStatus.PAID
    assert saved.marketplace_updated_at == at(5)
    update = events(session, saved.id)[-1]
    assert update.kind == OrderEventKind.MARKETPLACE_UPDATE
    assert update.message is not None
    assert "payment_status pending -> paid" in update.message
    assert "shipping_address" in update.message
    assert "York" not in update.message


def test_an_older_payload_after_a_newer_one_is_stale_and_changes_nothing(
    session: Session,
) -> None:
    branch = make_branch(session)
    version = make_version(
        session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5
    )
    channel = make_channel(session, branch)
    moved = Address(name="Ada Buyer", line1="9 Low Rd", city="York", country="GB")
    newer = import_order(session, channel.id, order("1001", updated=at(10), shipping_address=moved))
    history = len(events(session, newer.order_id))

    older = import_order(session, channel.id, order("1001", updated=at(1), cancelled=True))

    assert older.outcome == ImportOutcome.STALE
    saved = stored_order(session, newer.order_id)
    assert saved.status == OrderStatus.PENDING
    assert saved.marketplace_updated_at == at(10)
    assert saved.shipping_address is not None
    assert saved.shipping_address["city"] == "York"
    assert reserved(session, version) == 1
    assert len(events(session, saved.id)) == history


def test_a_payload_of_the_same_second_is_applied_unless_it_would_undo_a_cancel(
    session: Session,
) -> None:
    # Shopify's updated_at has whole seconds: the create and a cancel a moment later
    # can carry the same one, and their fetches can be imported in either order.
    branch = make_branch(session)
    version = make_version(
        session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5
    )
    channel = make_channel(session, branch)
    import_order(session, channel.id, order("1001", updated=at(10)))

    cancel = import_order(
        session,
        channel.id,
        order("1001", updated=at(10), cancelled=True, payment_status=PaymentStatus.REFUNDED),
    )
    before_cancel = import_order(session, channel.id, order("1001", updated=at(10)))

    assert (cancel.outcome, before_cancel.outcome) == (ImportOutcome.UPDATED, ImportOutcome.STALE)
    saved = stored_order(session, cancel.order_id)
    assert (saved.status, saved.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
    assert reserved(session, version) == 0


def test_a_cancellation_releases_the_stock_once_however_often_it_arrives(
    session: Session,
) -> None:
    branch = make_branch(session)
    version = make_version(
        session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5
    )
    channel = make_channel(session, branch)
    created = import_order(session, channel.id, order("1001", line(quantity=3)))

    cancelled = import_order(
        session, channel.id, order("1001", line(quantity=3), updated=at(1), cancelled=True)
    )
    repeated = [
        import_order(
            session, channel.id, order("1001", line(quantity=3), updated=at(n), cancelled=True)
        )
        for n in (1, 2)
    ]

    assert cancelled.outcome == ImportOutcome.UPDATED
    assert cancelled.status == OrderStatus.CANCELLED
    assert [r.outcome for r in repeated] == [ImportOutcome.UNCHANGED, ImportOutcome.UNCHANGED]
    assert reserved(session, version) == 0
    assert ledger_count(session, LedgerReason.RELEASE) == 1
    changes = [
        (event.from_status, event.to_status)
        for event in events(session, created.order_id)
        if event.kind == OrderEventKind.STATUS_CHANGE
    ]
    assert changes == [(None, OrderStatus.PENDING), (OrderStatus.PENDING, OrderStatus.CANCELLED)]
    assert stored_order(session, created.order_id).items[0].quantity_allocated == 0
    assert stock_problems(session) == []


def test_an_order_first_seen_cancelled_reserves_nothing(session: Session) -> None:
    branch = make_branch(session)
    version = make_version(
        session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5
    )
    channel = make_channel(session, branch)

    result = import_order(session, channel.id, order("1001", cancelled=True))

    assert (result.outcome, result.status) == (ImportOutcome.CREATED, OrderStatus.CANCELLED)
    assert reserved(session, version) == 0
    assert ledger_count(session, LedgerReason.RESERVE) == 0


def test_unknown_skus_and_oversold_lines_flag_the_order_and_reserve_what_there_is(
    session: Session,
) -> None:
    branch = make_branch(session)
    short = make_product(session, sku="SKU-A")
    empty = make_product(session, sku="SKU-B")
    short_version = make_version(session, product=short, branch=branch, on_hand=2)
    make_version(session, product=empty, branch=branch, on_hand=0)
    publications = [make_publication(session, short), make_publication(session, empty)]
    before = {p.id: p.dirty_seq for p in publications}
    channel = make_channel(session, branch)

    result = import_order(
        session,
        channel.id,
        order(
            "1001",
            line("L1", sku="NO-SUCH-SKU"),
            line("L2", sku="SKU-A", quantity=3),
            line("L3", sku="SKU-B", quantity=1),
        ),
    )

    assert (result.outcome, result.status, result.flagged) == (
        ImportOutcome.CREATED,
        OrderStatus.NEEDS_ATTENTION,
        True,
    )
    saved = stored_order(session, result.order_id)
    assert saved.attention_reason is not None
    assert "line L1 (SKU NO-SUCH-SKU): no product" in saved.attention_reason
    assert "line L2 (SKU SKU-A): sold 3, only 2 in stock reserved" in saved.attention_reason
    assert "line L3 (SKU SKU-B): sold 1, none in stock" in saved.attention_reason
    allocated = {item.external_item_id: item.quantity_allocated for item in saved.items}
    assert allocated == {"L1": 0, "L2": 2, "L3": 0}
    assert reserved(session, short_version) == short_version.qty_on_hand == 2
    for publication in publications:
        session.refresh(publication)
        assert publication.dirty_seq > before[publication.id], "a quantity push must follow"
    flag = events(session, saved.id)[-1]
    assert (flag.to_status, flag.message) == (OrderStatus.NEEDS_ATTENTION, saved.attention_reason)
    assert stock_problems(session) == []


def test_cancelling_a_flagged_order_releases_its_partial_reservation(session: Session) -> None:
    branch = make_branch(session)
    version = make_version(
        session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=1
    )
    channel = make_channel(session, branch)
    import_order(session, channel.id, order("1001", line(quantity=4)))

    result = import_order(
        session, channel.id, order("1001", line(quantity=4), updated=at(1), cancelled=True)
    )

    assert result.status == OrderStatus.CANCELLED
    assert reserved(session, version) == 0
    assert stock_problems(session) == []


def test_a_line_added_on_the_marketplace_is_reserved_and_a_changed_one_flagged_once(
    session: Session,
) -> None:
    branch = make_branch(session)
    a = make_version(session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5)
    b = make_version(session, product=make_product(session, sku="SKU-B"), branch=branch, on_hand=5)
    channel = make_channel(session, branch)
    import_order(session, channel.id, order("1001", line("L1", quantity=1)))

    added = import_order(
        session,
        channel.id,
        order("1001", line("L1", quantity=1), line("L2", sku="SKU-B", quantity=2), updated=at(1)),
    )
    changed = order(
        "1001", line("L1", quantity=3), line("L2", sku="SKU-B", quantity=2), updated=at(2)
    )
    flagged = import_order(session, channel.id, changed)
    again = import_order(session, channel.id, replace(changed, updated_at=at(3)))

    assert (added.outcome, added.status) == (ImportOutcome.UPDATED, OrderStatus.PENDING)
    assert (reserved(session, a), reserved(session, b)) == (1, 2)
    assert (flagged.outcome, flagged.status, flagged.flagged) == (
        ImportOutcome.UPDATED,
        OrderStatus.NEEDS_ATTENTION,
        True,
    )
    assert again.outcome == ImportOutcome.UNCHANGED
    saved = stored_order(session, flagged.order_id)
    assert saved.attention_reason == (
        "line L1: changed on the marketplace after import (check its reservation)"
    )
    assert stock_problems(session) == []


def test_a_cancellation_after_shipping_is_noted_for_a_person(session: Session) -> None:
    branch = make_branch(session)
    make_version(session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5)
    channel = make_channel(session, branch)
    created = import_order(session, channel.id, order("1001"))
    saved = stored_order(session, created.order_id)
    saved.status = OrderStatus.SHIPPED  # as fulfilment would leave it
    session.flush()

    result = import_order(session, channel.id, order("1001", updated=at(1), cancelled=True))
    repeat = import_order(session, channel.id, order("1001", updated=at(2), cancelled=True))

    assert (result.outcome, result.status) == (ImportOutcome.UPDATED, OrderStatus.SHIPPED)
    assert repeat.outcome == ImportOutcome.UNCHANGED
    note = events(session, saved.id)[-1]
    assert note.kind == OrderEventKind.NOTE
    assert "while shipped" in (note.message or "")


def test_the_channel_listing_sku_decides_product_and_condition(session: Session) -> None:
    branch = make_branch(session)
    product = make_product(session, sku="SKU-A")
    version = make_version(session, product=product, branch=branch, on_hand=2)
    publication = make_publication(session, product)
    publication.external_sku = "EBAY-A-1"
    session.flush()

    result = import_order(session, publication.channel_id, order("1001", line(sku="EBAY-A-1")))

    assert result.status == OrderStatus.PENDING
    assert reserved(session, version) == 1


@pytest.mark.parametrize(
    "payload",
    [
        order("1001", line("L1"), line("L1")),
        order("1001", line(quantity=0)),
        order("1001", placed_at=at(0).replace(tzinfo=None)),
        order("1001", currency="USD"),
        order(" "),
        order("1001", line(sku="S" * 101)),
    ],
    ids=["twice", "zero", "naive", "currency", "no-id", "long-sku"],
)
def test_a_malformed_order_is_refused_and_nothing_is_written(
    session: Session, payload: NormalizedOrder
) -> None:
    branch = make_branch(session)
    make_version(session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=5)
    channel = make_channel(session, branch)

    with pytest.raises(InvalidInput):
        import_order(session, channel.id, payload)

    assert session.scalar(select(func.count()).select_from(EcomOrder)) == 0


def test_an_unknown_channel_is_refused(session: Session) -> None:
    with pytest.raises(NotFound):
        import_order(session, 404, order("1001"))


def test_publications_are_read_by_channel(session: Session) -> None:
    """A SKU published under another channel's name does not match on this channel."""
    branch = make_branch(session)
    product = make_product(session, sku="SKU-A")
    make_version(session, product=product, branch=branch, on_hand=2)
    elsewhere = make_publication(session, product)
    elsewhere.external_sku = "OTHER-1"
    session.flush()
    channel = make_channel(session, branch)

    result = import_order(session, channel.id, order("1001", line(sku="OTHER-1")))

    assert result.status == OrderStatus.NEEDS_ATTENTION
    assert session.scalar(select(func.count()).select_from(EcomListingChannel)) == 1
