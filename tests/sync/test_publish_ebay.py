"""The ``listings`` job on eBay: the API queues it, the consumer runs it against the sandbox.

The channel connects as a shop owner connects it (OAuth through the API and the eBay
sandbox's consent page); the sandbox runs over HTTP in contract mode.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update

from stockbridge.db.models import (
    ChannelLogStatus,
    ChannelOperation,
    EcomListingChannel,
    JobKind,
    JobStatus,
    ProductCodeVersion,
    SyncJob,
)
from stockbridge.pos import inventory
from tests.channels.ebay.conftest import (
    LOCATION_KEY,
    POLICIES,
    calls,
    clock,
    ebay,
    shop,
    start_sandbox,
)
from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness
from tests.sync.conftest import wait_for
from tests.sync.storefront import Store, store

__all__ = ["clock", "ebay", "shop", "start_sandbox", "store"]

MARKETPLACE = {
    "marketplace_id": "EBAY_GB",
    "merchant_location_key": LOCATION_KEY,
    "category_id": "112581",
    "policies": POLICIES,
}


def connect_ebay(store: Store, harness: EbayHarness, **settings: Any) -> int:
    """Create an eBay channel and run its OAuth flow end to end; returns its id."""
    body = {
        "provider": "ebay",
        "name": "eBay UK",
        "currency": "GBP",
        "base_url": harness.base_url,
        "credentials": {},
        "settings": {"branch_ids": [store.branch_id], "marketplace": MARKETPLACE, **settings},
    }
    channel = store.post("/api/ecom/channels", body, 201)
    start = store.client.get(
        f"/api/ecom/channels/{channel['id']}/oauth/start", headers=store.headers
    )
    consent = httpx.get(start.json()["authorization_url"], follow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    done = store.client.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"
    return int(channel["id"])


def ebay_listing(harness: EbayHarness, listing_id: str) -> dict[str, Any]:
    listing: dict[str, Any] = harness.get_state()["listings"][listing_id]
    return listing


def test_bulk_publish_lists_title_price_and_offered_quantity(
    store: Store, shop: EbayHarness
) -> None:
    # The listing's own price is asked where the channel's rule says so.
    rule = {"mode": "listing_override"}
    channel_id = connect_ebay(store, shop, safety_buffer=1, max_listed_qty=4, price_rule=rule)
    assert store.jobs(channel_id) == []  # nothing active to publish when it connected
    lamp = store.listing(store.product("LAMP-1", on_hand=3, price_cents=4999))
    clock_ = store.listing(store.product("CLOCK-1", on_hand=9), price_cents=1250, title="Clock")

    job = store.bulk("publish", channel_id, [lamp, clock_])

    assert job["status"] == "succeeded", job
    assert (job["counts"]["published"], job["counts"]["failed"]) == (2, 0)
    assert (job["progress"]["done"], job["progress"]["total"]) == (2, 2)
    state = shop.get_state()
    assert state["inventory_items"]["CLOCK-1"]["product"]["title"] == "Clock"
    offer = next(o for o in state["offers"].values() if o["sku"] == "CLOCK-1")
    assert offer["body"]["pricingSummary"]["price"] == {"currency": "GBP", "value": "12.50"}
    shown = {sku: publication for sku, publication in _by_sku(store, channel_id, [lamp, clock_])}
    assert shown["LAMP-1"]["external_id"] is not None
    lamp_listing = ebay_listing(shop, shown["LAMP-1"]["external_refs"]["listing_id"])
    clock_listing = ebay_listing(shop, shown["CLOCK-1"]["external_refs"]["listing_id"])
    # 3 - 1 buffered; 9 - 1 capped at 4.
    assert (lamp_listing["status"], lamp_listing["quantity"]) == ("ACTIVE", 2)
    assert (clock_listing["status"], clock_listing["quantity"]) == ("ACTIVE", 4)
    for publication in shown.values():
        assert (publication["status"], publication["sync_state"]) == ("published", "in_sync")
        assert publication["last_synced_at"] is not None
        assert publication["dirty"] is False
    [row] = store.history(lamp)
    assert (row.operation, row.status) == (ChannelOperation.LISTING_SYNC, ChannelLogStatus.SUCCESS)
    assert row.details["action"] == "published"


def test_unpublish_ends_the_listing_and_republish_brings_it_back(
    store: Store, shop: EbayHarness
) -> None:
    channel_id = connect_ebay(store, shop)
    lamp = store.listing(store.product("LAMP-1", on_hand=2))
    store.bulk("publish", channel_id, [lamp])
    listing_id = store.publication(lamp, channel_id)["external_refs"]["listing_id"]

    job = store.bulk("unpublish", channel_id, [lamp])

    assert (job["status"], job["counts"]["ended"]) == ("succeeded", 1)
    assert ebay_listing(shop, listing_id)["status"] == "ENDED"
    ended = store.publication(lamp, channel_id)
    assert (ended["status"], ended["sync_state"]) == ("unpublished", "in_sync")
    again = store.bulk("publish", channel_id, [lamp])
    assert again["counts"]["published"] == 1
    republished = store.publication(lamp, channel_id)
    assert republished["status"] == "published"
    assert ebay_listing(shop, republished["external_refs"]["listing_id"])["status"] == "ACTIVE"


def test_a_listing_ebay_refuses_gets_its_message_and_the_others_are_listed(
    store: Store, shop: EbayHarness
) -> None:
    channel_id = connect_ebay(store, shop)
    empty = store.listing(store.product("EMPTY-1", on_hand=0))  # eBay lists nothing at 0
    lamps = [store.listing(store.product(f"LAMP-{n}", on_hand=2)) for n in range(1, 4)]

    job = store.bulk("publish", channel_id, [lamps[0], empty, *lamps[1:]])

    assert job["status"] == "succeeded", job
    assert (job["counts"]["published"], job["counts"]["failed"]) == (3, 1)
    refused = store.publication(empty, channel_id)
    assert (refused["status"], refused["sync_state"]) == ("error", "error")
    assert "quantity" in refused["last_error"]
    assert refused["external_id"] is not None  # the offer exists; only listing it failed
    assert [store.publication(n, channel_id)["status"] for n in lamps] == ["published"] * 3
    [row] = store.history(empty)
    assert row.status is ChannelLogStatus.FAILED
    assert row.error_message == refused["last_error"]


def test_an_item_listed_before_stockbridge_is_adopted_by_the_initial_sync(
    store: Store, shop: EbayHarness
) -> None:
    """Listed by hand on eBay first: connecting the channel links it, no twin is made."""
    item = shop.call("PUT", "/inventory_item/LAMP-1", json=payloads.inventory_item(quantity=1))
    assert item.status_code in (200, 204), item.text
    made = shop.call("POST", "/offer", json=payloads.offer("LAMP-1", quantity=1))
    assert made.status_code == 201, made.text
    offer_id = made.json()["offerId"]
    listed = shop.call("POST", f"/offer/{offer_id}/publish")
    assert listed.status_code == 200, listed.text
    lamp = store.listing(store.product("LAMP-1", on_hand=6, price_cents=3000), active=True)
    fresh = store.listing(store.product("FRESH-1", on_hand=2), active=True)

    channel_id = connect_ebay(store, shop)

    [job] = store.jobs(channel_id)
    job = store.finished(job["id"])
    assert job["status"] == "succeeded", job
    counts = job["counts"]
    assert (counts["adopted"], counts["updated"], counts["published"]) == (1, 1, 1)
    adopted = store.publication(lamp, channel_id)
    assert adopted["external_id"] == offer_id
    assert adopted["external_refs"]["listing_id"] == listed.json()["listingId"]
    assert adopted["status"] == "published"
    state = shop.get_state()
    assert [o["offer_id"] for o in state["offers"].values() if o["sku"] == "LAMP-1"] == [offer_id]
    assert ebay_listing(shop, listed.json()["listingId"])["quantity"] == 6
    assert store.publication(fresh, channel_id)["status"] == "published"
    assert store.history(lamp)[0].details["adopted"] is True


def _by_sku(
    store: Store, channel_id: int, listing_ids: list[int]
) -> list[tuple[str, dict[str, Any]]]:
    publications = [store.publication(listing_id, channel_id) for listing_id in listing_ids]
    return [(str(p["external_sku"]), p) for p in publications]


def test_an_unpublish_made_while_the_publish_is_at_ebay_wins(
    store: Store, shop: EbayHarness
) -> None:
    """Two listings jobs of one channel never overlap: the unpublish queued while the
    publish call is still at eBay runs after it, and ends what it listed."""
    channel_id = connect_ebay(store, shop)
    lamp = store.listing(store.product("LAMP-1", on_hand=2))
    rule = {"path_pattern": "/publish$", "method": "POST", "latency_ms": 1500}
    answer = shop.http.post("/_sandbox/faults", json=rule)
    assert answer.status_code == 201, answer.text
    body = {"action": "publish", "channel_id": channel_id, "listing_ids": [lamp]}
    first = store.post("/api/ecom/listings/bulk", body)["job_id"]
    wait_for(lambda: shop.http.get("/_sandbox/faults").json()[0]["hits"] == 1)

    second = store.bulk("unpublish", channel_id, [lamp])

    assert store.finished(first)["counts"]["published"] == 1
    assert (second["status"], second["counts"]["ended"]) == ("succeeded", 1)
    final = store.publication(lamp, channel_id)
    assert (final["status"], final["sync_state"], final["dirty"]) == (
        "unpublished",
        "in_sync",
        False,
    )
    assert ebay_listing(shop, final["external_refs"]["listing_id"])["status"] == "ENDED"


def _push_jobs(store: Store, channel_id: int) -> list[SyncJob]:
    with store.sessions() as session:
        query = select(SyncJob).where(
            SyncJob.channel_id == channel_id, SyncJob.kind == JobKind.INVENTORY
        )
        return list(session.scalars(query.order_by(SyncJob.id)))


def _recount(store: Store, counts: dict[int, int]) -> None:
    """Stock counts of the products' versions, committed together (their push follows)."""
    with store.sessions.begin() as session:
        for product_id, quantity in counts.items():
            version_id = session.scalars(
                select(ProductCodeVersion.id).where(
                    ProductCodeVersion.product_code_id == product_id
                )
            ).one()
            inventory.adjust_to_count(session, version_id, quantity, reason="count", actor="test")


def _pushed(store: Store, channel_id: int, count: int) -> list[SyncJob]:
    def done() -> list[SyncJob] | None:
        found = _push_jobs(store, channel_id)
        return found if len(found) == count and found[-1].status.finished else None

    pushes: list[SyncJob] = wait_for(done, timeout=30)
    return pushes


def test_a_listing_is_published_at_the_channels_ruled_price_which_the_next_push_keeps(
    store: Store, shop: EbayHarness
) -> None:
    rule = {"mode": "percentage", "percentage": "12.5"}
    channel_id = connect_ebay(store, shop, price_rule=rule)
    product = store.product("LAMP-1", on_hand=3, price_cents=3999)
    lamp = store.listing(product)
    store.bulk("publish", channel_id, [lamp])
    # 3999 * 1.125 = 4498.875 -> 4499 cents, as the push prices it.
    offer = next(o for o in shop.get_state()["offers"].values() if o["sku"] == "LAMP-1")
    assert offer["body"]["pricingSummary"]["price"] == {"currency": "GBP", "value": "44.99"}
    shop.http.delete("/_sandbox/calls")

    _recount(store, {product: 2})

    [push] = _pushed(store, channel_id, 1)
    assert (push.status, push.counts["pushed"]) == (JobStatus.SUCCEEDED, 1)
    offer = next(o for o in shop.get_state()["offers"].values() if o["sku"] == "LAMP-1")
    assert offer["body"]["availableQuantity"] == 2
    assert offer["body"]["pricingSummary"]["price"]["value"] == "44.99"
    # One bulk call: the quantity; the price published is the price pushed, none sent.
    assert calls(shop)["bulkUpdatePriceQuantity"] == 1


def test_a_push_of_published_skus_takes_their_offer_ids_from_the_publications(
    store: Store, shop: EbayHarness
) -> None:
    """Without the stored ids the eBay adapter looks each SKU's offer up (getOffers) in
    every push job; with them, none."""
    channel_id = connect_ebay(store, shop)
    products = [store.product(f"LAMP-{n}", on_hand=5) for n in range(3)]
    lamps = [store.listing(product) for product in products]
    store.bulk("publish", channel_id, lamps)
    shop.http.delete("/_sandbox/calls")

    _recount(store, dict.fromkeys(products, 4))

    [push] = _pushed(store, channel_id, 1)
    assert push.counts["pushed"] == 3
    assert calls(shop) == {"bulkUpdatePriceQuantity": 1}  # no getOffers
    # Before: a publication whose ids were not recorded costs one look-up per push.
    with store.sessions.begin() as session:
        session.execute(
            update(EcomListingChannel)
            .where(EcomListingChannel.listing_id == lamps[0])
            .values(external_id=None, external_refs={})
        )
    shop.http.delete("/_sandbox/calls")

    _recount(store, dict.fromkeys(products, 3))

    [_, again] = _pushed(store, channel_id, 2)
    assert again.counts["pushed"] == 3
    assert calls(shop) == {"getOffers": 1, "bulkUpdatePriceQuantity": 1}
    assert {o["body"]["availableQuantity"] for o in shop.get_state()["offers"].values()} == {3}
