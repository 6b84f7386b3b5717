"""Conflict policies on the eBay sandbox over HTTP: store_wins, marketplace_wins, manual."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.commerce import conflicts
from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    ConflictField,
    ConflictSide,
    ConflictStatus,
    EcomChannel,
    EcomConflict,
    JobKind,
    JobStatus,
)
from stockbridge.errors import Conflict
from stockbridge.sync import jobs
from tests.channels.ebay.conftest import calls, shop
from tests.sandbox.ebay.conftest import EbayHarness, FakeClock, ebay, start_sandbox
from tests.sync.shops import NoWaker, Shop, channel_context, open_shop
from tests.sync.test_push_ebay import ebay_link, offered, quantities
from tests.sync.test_reconcile_ebay import SKUS, seller_hub_edit

__all__ = ["ebay", "shop", "start_sandbox"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=time.time())


def lamps_with(sessions: sessionmaker[Session], shop: EbayHarness, **policies: str) -> Shop:
    """4 of each lamp offered at 49.99 (as eBay shows them), then edited on eBay: LAMP-0's
    quantity to 9, LAMP-1's price to 12.34."""
    link = ebay_link(shop, SKUS, quantity=4)
    lamps = open_shop(sessions, channel_context(), link, dict.fromkeys(SKUS, 4),
                      currency="GBP", conflicts=policies)  # fmt: skip
    seller_hub_edit(shop, "LAMP-0", quantity=9)
    seller_hub_edit(shop, "LAMP-1", price="12.34")
    return lamps


def recorded(lamps: Shop) -> list[tuple[str, ConflictField, int, int | None, ConflictStatus]]:
    with lamps.sessions() as session:
        rows = session.scalars(
            select(EcomConflict)
            .where(EcomConflict.channel_id == lamps.channel_id)
            .order_by(EcomConflict.id)
        )
        return [
            (row.sku, row.field, row.store_value, row.marketplace_value, row.status) for row in rows
        ]


def price_on_ebay(shop: EbayHarness, sku: str) -> str:
    return str(offered(shop)[sku]["pricingSummary"]["price"]["value"])


def test_store_wins_sets_both_back_and_records_the_repairs(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamps_with(sessions, shop)  # the defaults

    job = lamps.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert quantities(shop)["LAMP-0"] == 4
    assert price_on_ebay(shop, "LAMP-1") == "49.99"
    assert recorded(lamps) == [
        ("LAMP-0", ConflictField.QUANTITY, 4, 9, ConflictStatus.REPAIRED),
        ("LAMP-1", ConflictField.PRICE, 4999, 1234, ConflictStatus.REPAIRED),
    ]
    assert (job.counts["conflicts"], job.counts["kept"]) == (0, 0)


def test_marketplace_wins_keeps_the_edits_and_later_pushes_do_not_undo_them(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamps_with(sessions, shop, quantity="marketplace_wins", price="marketplace_wins")

    job = lamps.run_push(JobKind.RECONCILE)

    assert job.counts["kept"] == 2
    assert quantities(shop) == {"LAMP-0": 9, "LAMP-1": 4, "LAMP-2": 4}
    assert price_on_ebay(shop, "LAMP-1") == "12.34"
    assert lamps.publications()["LAMP-1"].overrides["price_cents"] == 1234
    # Seen again, the same kept quantity is neither re-asserted nor recorded twice.
    again = lamps.run_push(JobKind.RECONCILE)
    assert (again.counts["drift_quantity"], again.counts["kept"]) == (1, 0)
    assert quantities(shop)["LAMP-0"] == 9
    assert [status for *_, status in recorded(lamps)] == [ConflictStatus.KEPT] * 2
    # The store's price changes: every other lamp follows it, LAMP-1 keeps eBay's; the
    # push sends the whole offer of each changed row, so LAMP-0's quantity is the
    # store's again.
    for sku in SKUS:
        lamps.reprice(sku, 5999)
    lamps.run_push(JobKind.PRICES)
    assert price_on_ebay(shop, "LAMP-1") == "12.34"
    assert price_on_ebay(shop, "LAMP-2") == "59.99"
    assert quantities(shop)["LAMP-0"] == 4


def test_manual_leaves_open_conflicts_updated_when_seen_again_and_resolvable(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamps_with(sessions, shop, quantity="manual", price="manual")

    first = lamps.run_push(JobKind.RECONCILE)
    seller_hub_edit(shop, "LAMP-0", quantity=8)
    second = lamps.run_push(JobKind.RECONCILE)

    assert (first.counts["conflicts"], second.counts["conflicts"]) == (2, 2)
    assert quantities(shop)["LAMP-0"] == 8  # left as it is while open
    assert price_on_ebay(shop, "LAMP-1") == "12.34"
    assert recorded(lamps) == [
        ("LAMP-0", ConflictField.QUANTITY, 4, 8, ConflictStatus.OPEN),
        ("LAMP-1", ConflictField.PRICE, 4999, 1234, ConflictStatus.OPEN),
    ]
    rows = lamps.publications()
    with transaction(sessions) as session:
        conflicts.resolve_conflict(session, listing_id=rows["LAMP-0"].listing_id,
                                   channel_id=lamps.channel_id, field=ConflictField.QUANTITY,
                                   keep=ConflictSide.STORE)  # fmt: skip
        conflicts.resolve_conflict(session, listing_id=rows["LAMP-1"].listing_id,
                                   channel_id=lamps.channel_id, field=ConflictField.PRICE,
                                   keep=ConflictSide.MARKETPLACE)  # fmt: skip
    assert lamps.publications()["LAMP-0"].is_dirty  # the store's value is pushed again
    lamps.run_push()
    assert quantities(shop)["LAMP-0"] == 4
    assert price_on_ebay(shop, "LAMP-1") == "12.34"
    assert lamps.publications()["LAMP-1"].overrides["price_cents"] == 1234
    third = lamps.run_push(JobKind.RECONCILE)
    assert (third.counts["drift_quantity"], third.counts["drift_price"]) == (0, 0)
    assert [status for *_, status in recorded(lamps)] == [ConflictStatus.RESOLVED] * 2
    with transaction(sessions) as session, pytest.raises(Conflict):
        conflicts.resolve_conflict(session, listing_id=rows["LAMP-0"].listing_id,
                                   channel_id=lamps.channel_id, field=ConflictField.QUANTITY,
                                   keep=ConflictSide.STORE)  # fmt: skip


def test_a_reconcile_a_webhook_queued_decides_only_its_publications_and_sends_only_drift(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamps_with(sessions, shop, quantity="manual")
    rows = lamps.publications()
    payload = {"publication_ids": [rows["LAMP-0"].id, rows["LAMP-2"].id], "source": "webhook"}
    with transaction(sessions) as session:
        job_id = jobs.enqueue_job(session, NoWaker(), kind=JobKind.RECONCILE,
                                  channel_id=lamps.channel_id, payload=payload).id  # fmt: skip

    job = lamps.run_push(job_id=job_id)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert (job.progress_total, job.counts["conflicts"], job.counts["drift_price"]) == (2, 1, 0)
    assert recorded(lamps) == [("LAMP-0", ConflictField.QUANTITY, 4, 9, ConflictStatus.OPEN)]
    with sessions() as session:
        source = session.scalars(select(EcomConflict.source)).one()
    assert source == "webhook"
    # LAMP-0 waits for a person, LAMP-2 showed what the store offers: nothing to send.
    assert "bulkUpdatePriceQuantity" not in calls(shop)


def set_policies(lamps: Shop, **policies: str) -> None:
    """The channel's conflict policies change (as a settings update stores them)."""
    with transaction(lamps.sessions) as session:
        channel = session.get(EcomChannel, lamps.channel_id)
        assert channel is not None
        settings = dict(channel.config.get("settings", {}))
        settings["conflicts"] = {**settings.get("conflicts", {}), **policies}
        channel.config = {**channel.config, "settings": settings}


def test_rows_waiting_for_their_push_send_the_store_value_and_record_no_conflict(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamps_with(sessions, shop, quantity="manual", price="manual")
    lamps.sell("LAMP-2")  # eBay still shows 4 at 49.99: the push has not run yet
    lamps.reprice("LAMP-2", 5999)
    assert lamps.dirty() == ["LAMP-2"]

    job = lamps.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert quantities(shop)["LAMP-2"] == 3
    assert price_on_ebay(shop, "LAMP-2") == "59.99"
    assert lamps.dirty() == []
    # Only the edits made on eBay wait for a person.
    assert recorded(lamps) == [
        ("LAMP-0", ConflictField.QUANTITY, 4, 9, ConflictStatus.OPEN),
        ("LAMP-1", ConflictField.PRICE, 4999, 1234, ConflictStatus.OPEN),
    ]
    # A store sale of LAMP-0 goes out over the open conflict, which then has no difference.
    lamps.sell("LAMP-0")
    again = lamps.run_push(JobKind.RECONCILE)
    assert quantities(shop)["LAMP-0"] == 3
    assert again.counts["gone"] == 1
    assert [status for *_, status in recorded(lamps)] == [
        ConflictStatus.GONE, ConflictStatus.OPEN,
    ]  # fmt: skip


def test_open_conflicts_close_when_the_difference_goes_or_the_policy_decides_them(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamps_with(sessions, shop, quantity="manual", price="manual")
    first = lamps.run_push(JobKind.RECONCILE)
    assert first.counts["conflicts"] == 2
    seller_hub_edit(shop, "LAMP-0", quantity=4)  # the seller puts it back
    set_policies(lamps, price="store_wins")

    job = lamps.run_push(JobKind.RECONCILE)

    assert (job.counts["gone"], job.counts["conflicts"]) == (1, 0)
    assert price_on_ebay(shop, "LAMP-1") == "49.99"
    assert recorded(lamps) == [
        ("LAMP-0", ConflictField.QUANTITY, 4, 9, ConflictStatus.GONE),
        ("LAMP-1", ConflictField.PRICE, 4999, 1234, ConflictStatus.REPAIRED),
    ]
    with lamps.sessions() as session:
        closed = session.scalars(select(EcomConflict.resolved_at)).all()
    assert all(when is not None for when in closed)
    # Nothing is open any more: an old marketplace price cannot be applied.
    rows = lamps.publications()
    with transaction(sessions) as session, pytest.raises(Conflict):
        conflicts.resolve_conflict(session, listing_id=rows["LAMP-1"].listing_id,
                                   channel_id=lamps.channel_id, field=ConflictField.PRICE,
                                   keep=ConflictSide.MARKETPLACE)  # fmt: skip
    assert "price_cents" not in (lamps.publications()["LAMP-1"].overrides or {})
