"""A stored eBay channel on a live eBay sandbox (over HTTP), with one SKU in stock on both.

The channel is connected the way an owner connects it (the OAuth consent against the
sandbox), saved through ``commerce.channels``, and sells from one branch holding the
SKU's units. Buyers order through the sandbox's own rules (``place_order``); the code
under test only ever reads them back over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.registry import registry
from stockbridge.commerce import channels
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.commerce.channels import ChannelContext, ChannelLink
from stockbridge.db.models import EcomOrder, EcomOrderItem, ProductCodeVersion
from stockbridge.sandbox.ebay.sales import OrderLine, PlaceOrder, place_order
from stockbridge.settings import Settings
from stockbridge.vault import Vault
from tests.channels.ebay.conftest import LOCATION_KEY, connect, listing
from tests.factories import make_branch, make_product, make_version
from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import CLIENT_ID, CLIENT_SECRET, EbayHarness, FakeClock

SKU = "LAMP-1"


@dataclass(frozen=True)
class EbayShop:
    harness: EbayHarness
    settings: Settings
    channel_id: int
    version_id: int

    def buy(self, count: int) -> list[str]:
        """``count`` orders of one unit each; their eBay order ids."""
        order = PlaceOrder(lines=[OrderLine(sku=SKU, quantity=1)])
        return [place_order(self.harness.sandbox, order).order_id for _ in range(count)]


def open_shop(
    sessions: sessionmaker[Session],
    harness: EbayHarness,
    clock: FakeClock,
    units: int,
    *,
    settings: Settings | None = None,
    credentials: Mapping[str, str] | None = None,
    marketplace: Mapping[str, Any] | None = None,
) -> EbayShop:
    """List ``units`` of the SKU on the sandbox and hold them in the store's one branch.

    ``settings`` are those the channel's secrets are sealed with (default: fresh ones);
    ``credentials`` are added to the app's keys (a notification verification token, ...);
    ``marketplace`` settings go to the channel's adapter (e.g. ``order_page_size``).
    """
    clock.now = time.time()  # the stored tokens are timed by the real clock
    located = harness.call("POST", f"/location/{LOCATION_KEY}", json=payloads.location())
    assert located.status_code == 204, located.text
    connected = connect(harness)
    connected.adapter.upsert_listings([listing(SKU, quantity=units)])
    connected.adapter.publish(SKU)
    tokens = connected.adapter.tokens.tokens
    assert tokens is not None
    settings = settings or Settings(encryption_key=Fernet.generate_key().decode(), redis_url=None)
    shop_ctx = ChannelContext(
        settings=settings, vault=Vault(settings.encryption_key), registry=registry
    )
    link = ChannelLink(
        channel_id=None,
        provider="ebay",
        base_url=harness.base_url,
        credentials={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **(credentials or {})},
        tokens=tokens,
    )
    with sessions.begin() as session:
        branch = make_branch(session)
        version = make_version(session, product=make_product(session, SKU), branch=branch,
                               on_hand=units)  # fmt: skip
        channel = channels.create_channel(
            session, shop_ctx, link=link, name="eBay UK", currency="GBP",
            settings=ChannelSettings(branch_ids=[branch.id], marketplace=dict(marketplace or {})),
            verified=True,
        )  # fmt: skip
        return EbayShop(harness, settings, channel.id, version.id)


@dataclass(frozen=True)
class Stored:
    orders: int
    distinct_orders: int
    reserved_lines: int
    qty_reserved: int


def stored(sessions: sessionmaker[Session], shop: EbayShop) -> Stored:
    with sessions() as session:
        orders = session.scalar(select(func.count()).select_from(EcomOrder)) or 0
        distinct = session.scalar(select(func.count(func.distinct(EcomOrder.external_id)))) or 0
        reserved = session.scalar(
            select(func.coalesce(func.sum(EcomOrderItem.quantity_allocated), 0))
        )
        version = session.get(ProductCodeVersion, shop.version_id)
        assert version is not None
        return Stored(orders, distinct, int(reserved or 0), version.qty_reserved)
