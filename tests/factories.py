"""Small builders for test data; every quantity goes through ``pos/inventory``."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockbridge.db.models import (
    Branch,
    ChannelStatus,
    Condition,
    EcomChannel,
    EcomListing,
    EcomListingChannel,
    ListingStatus,
    ProductCode,
    ProductCodeVersion,
    PublicationStatus,
    SyncState,
)
from stockbridge.pos import inventory

_counter = itertools.count(1)
ACTOR = "test"


def make_branch(session: Session, code: str | None = None) -> Branch:
    n = next(_counter)
    branch = Branch(code=code or f"B{n}", name=f"Branch {n}")
    session.add(branch)
    session.flush()
    return branch


def make_product(session: Session, sku: str | None = None, price_cents: int = 1999) -> ProductCode:
    n = next(_counter)
    product = ProductCode(
        sku=sku or f"SKU-{n}", name=f"Product {n}", price_cents=price_cents, currency="EUR"
    )
    session.add(product)
    session.flush()
    return product


def make_version(
    session: Session,
    *,
    product: ProductCode | None = None,
    branch: Branch | None = None,
    condition: Condition = Condition.NEW,
    on_hand: int = 0,
) -> ProductCodeVersion:
    product = product or make_product(session)
    branch = branch or make_branch(session)
    version_id = inventory.ensure_version(
        session, product_code_id=product.id, branch_id=branch.id, condition=condition
    )
    if on_hand:
        inventory.receive(session, version_id, on_hand, actor=ACTOR)
    version = session.get(ProductCodeVersion, version_id)
    assert version is not None
    return version


def make_publication(session: Session, product: ProductCode) -> EcomListingChannel:
    """The product's listing (made on first use) published on a fresh channel."""
    channel = EcomChannel(
        name=f"Channel {next(_counter)}",
        provider="ebay",
        status=ChannelStatus.ACTIVE,
        currency="EUR",
    )
    listing = session.scalars(
        select(EcomListing).where(
            EcomListing.product_code_id == product.id, EcomListing.condition == Condition.NEW
        )
    ).one_or_none() or EcomListing(
        product_code_id=product.id, title=product.name, status=ListingStatus.ACTIVE
    )
    session.add_all([channel, listing])
    session.flush()
    publication = EcomListingChannel(
        listing_id=listing.id,
        channel_id=channel.id,
        status=PublicationStatus.PUBLISHED,
        sync_state=SyncState.IN_SYNC,
    )
    session.add(publication)
    session.flush()
    return publication


def make_channel(
    session: Session, *, status: ChannelStatus = ChannelStatus.ACTIVE, provider: str = "ebay"
) -> EcomChannel:
    """A channel row (no credentials: for tests that never reach a marketplace)."""
    channel = EcomChannel(
        name=f"Channel {next(_counter)}", provider=provider, status=status, currency="EUR"
    )
    session.add(channel)
    session.flush()
    return channel
