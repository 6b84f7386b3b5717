"""A shop with a channel on a marketplace sandbox, for the push tests: stock, sales, jobs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.base import ChannelAdapter, PriceUpdate, PushResult, ReadBack, StockLevel
from stockbridge.channels.registry import ChannelConnection, ProviderRegistry, registry
from stockbridge.commerce import channels
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.commerce.channels import ChannelContext, ChannelLink
from stockbridge.commerce.offer import ChannelRules, offers_for
from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    EcomListing,
    EcomListingChannel,
    JobKind,
    ListingStatus,
    PaymentMethod,
    ProductCodeVersion,
    PublicationStatus,
    SyncJob,
    SyncState,
)
from stockbridge.pos import catalog, inventory
from stockbridge.pos.sales import (
    SaleCreate,
    SaleLineCreate,
    SalePaymentCreate,
    record_pos_sale,
)
from stockbridge.pos.schemas import ProductCodeUpdate
from stockbridge.settings import Settings
from stockbridge.sync import jobs, runner
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.retry import RetryPolicy
from stockbridge.vault import Vault
from tests.factories import make_branch, make_product, make_version

ACTOR = "test"
SALE_PRICE = 1000


def channel_context(providers: ProviderRegistry = registry) -> ChannelContext:
    settings = Settings(encryption_key=Fernet.generate_key().decode())
    return ChannelContext(
        settings=settings, vault=Vault(settings.encryption_key), registry=providers
    )


@dataclass
class Shop:
    sessions: sessionmaker[Session]
    ctx: ChannelContext
    channel_id: int
    branch_id: int
    versions: dict[str, int]

    def sell(self, sku: str, quantity: int = 1) -> None:
        """A POS sale in the shop's branch, committed."""
        line = SaleLineCreate(sku=sku, quantity=quantity, unit_price_cents=SALE_PRICE)
        paid = SalePaymentCreate(method=PaymentMethod.CASH, amount_cents=SALE_PRICE * quantity)
        sale = SaleCreate(branch_id=self.branch_id, lines=[line], payments=[paid])
        with transaction(self.sessions) as session:
            record_pos_sale(session, sale, actor=ACTOR)

    def count(self, counted: Mapping[str, int]) -> None:
        """Stock counts of several SKUs, committed together."""
        with transaction(self.sessions) as session:
            for sku, quantity in counted.items():
                inventory.adjust_to_count(
                    session, self.versions[sku], quantity, reason="count", actor=ACTOR
                )

    def reprice(self, sku: str, price_cents: int) -> None:
        """The product code's store price changes, committed."""
        with transaction(self.sessions) as session:
            product = catalog.get_product_code_by_sku(session, sku)
            catalog.update_product_code(
                session, product.id, ProductCodeUpdate(price_cents=price_cents)
            )

    def on_hand(self, sku: str) -> int:
        with self.sessions() as session:
            version = session.get(ProductCodeVersion, self.versions[sku])
            assert version is not None
            return version.qty_on_hand

    def publications(self) -> dict[str, EcomListingChannel]:
        with self.sessions() as session:
            rows = session.scalars(
                select(EcomListingChannel).where(EcomListingChannel.channel_id == self.channel_id)
            ).all()
            return {row.external_sku or "": row for row in rows}

    def offered(self) -> dict[str, int]:
        """Each SKU's quantity as stockbridge offers it now (what the marketplace should show)."""
        with self.sessions() as session:
            channel = channels.get_channel(session, self.channel_id)
            rows = session.scalars(
                select(EcomListingChannel).where(EcomListingChannel.channel_id == self.channel_id)
            ).all()
            offers = offers_for(
                session,
                _rules(channels.channel_settings(channel)),
                [row.listing_id for row in rows],
            )
            return {row.external_sku or "": offers[row.listing_id].quantity for row in rows}

    def dirty(self) -> list[str]:
        """SKUs with changes not pushed yet."""
        return sorted(sku for sku, row in self.publications().items() if row.is_dirty)

    def push_jobs(self) -> list[SyncJob]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(SyncJob)
                    .where(SyncJob.channel_id == self.channel_id, SyncJob.kind == JobKind.INVENTORY)
                    .order_by(SyncJob.id)
                )
            )

    def run_push(self, kind: JobKind = JobKind.INVENTORY, job_id: int | None = None) -> SyncJob:
        """Run a queued push job (a new one by default) in this thread; its finished row."""
        if job_id is None:
            with transaction(self.sessions) as session:
                job = jobs.enqueue_job(session, NoWaker(), kind=kind, channel_id=self.channel_id)
                job_id = job.id
        handlers = default_handlers(self.ctx)
        runner.run_job(self.sessions, handlers, job_id, waker=NoWaker(), policy=RetryPolicy())
        with self.sessions() as session:
            return jobs.get_job(session, job_id)


class NoWaker:
    """Wakes nobody: the test runs its jobs itself."""

    def __init__(self) -> None:
        self.woken: list[int] = []
        self.delayed: list[tuple[int, float]] = []

    def wake(self, job_ids: Sequence[int]) -> None:
        self.woken.extend(job_ids)

    def wake_later(self, job_ids: Sequence[int], seconds: float) -> None:
        self.delayed.extend((job_id, seconds) for job_id in job_ids)


def open_shop(
    sessions: sessionmaker[Session],
    ctx: ChannelContext,
    link: ChannelLink,
    stock: Mapping[str, int],
    *,
    currency: str,
    price_cents: int = 4999,
    **rules: Any,
) -> Shop:
    """A branch with ``stock`` (sku -> on hand), each SKU listed on a new active channel whose
    publications are in sync with the marketplace (last pushed = what is offered now)."""
    with transaction(sessions) as session:
        branch = make_branch(session)
        settings = ChannelSettings(branch_ids=[branch.id], **rules)
        channel = channels.create_channel(
            session, ctx, link=link, name="Test shop", currency=currency, settings=settings,
            verified=True,
        )  # fmt: skip
        versions = {}
        for sku, on_hand in stock.items():
            product = make_product(session, sku=sku, price_cents=price_cents)
            product.currency = currency
            versions[sku] = make_version(
                session, product=product, branch=branch, on_hand=on_hand
            ).id
            listing = EcomListing(
                product_code_id=product.id, title=sku, status=ListingStatus.ACTIVE
            )
            session.add(listing)
            session.flush()
            session.add(
                EcomListingChannel(
                    listing_id=listing.id,
                    channel_id=channel.id,
                    external_sku=sku,
                    status=PublicationStatus.PUBLISHED,
                    sync_state=SyncState.IN_SYNC,
                )
            )
        session.flush()
        _record_offers(session, channel.id, settings)
        return Shop(sessions, ctx, channel.id, branch.id, versions)


def _rules(settings: ChannelSettings) -> ChannelRules:
    return ChannelRules(
        tuple(settings.branch_ids), settings.safety_buffer, settings.max_listed_qty,
        settings.price_rule,
    )  # fmt: skip


def _record_offers(session: Session, channel_id: int, settings: ChannelSettings) -> None:
    rows = session.scalars(
        select(EcomListingChannel).where(EcomListingChannel.channel_id == channel_id)
    ).all()
    offers = offers_for(session, _rules(settings), [row.listing_id for row in rows])
    for row in rows:
        row.last_pushed_qty = offers[row.listing_id].quantity
        row.last_pushed_price_cents = offers[row.listing_id].price_cents


# --- adapters with a hook between read and clear ----------------------------------------


@dataclass
class Hooked:
    """A provider wrapping a real one: its adapters run ``before_push`` ahead of each
    quantity call (``before_read`` ahead of each read-back), and count how many quantity
    calls run at once."""

    real: Any
    before_push: Callable[[], None] = lambda: None
    before_read: Callable[[], None] = lambda: None
    running: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def connect(self, connection: ChannelConnection) -> ChannelAdapter:
        return _HookedAdapter(self.real.connect(connection), self)  # type: ignore[return-value]


class _HookedAdapter:
    def __init__(self, real: ChannelAdapter, hooks: Hooked) -> None:
        self._real = real
        self._hooks = hooks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def set_quantities(self, levels: Sequence[StockLevel]) -> PushResult:
        with self._hooks.lock:
            self._hooks.running += 1
            self._hooks.most_at_once = max(self._hooks.most_at_once, self._hooks.running)
        try:
            self._hooks.before_push()
            return self._real.set_quantities(levels)
        finally:
            with self._hooks.lock:
                self._hooks.running -= 1

    def set_prices(self, prices: Sequence[PriceUpdate]) -> PushResult:
        return self._real.set_prices(prices)

    def read_offers(self, skus: Sequence[str]) -> ReadBack:
        self._hooks.before_read()
        return self._real.read_offers(skus)


def hooked_registry(provider_key: str) -> tuple[ProviderRegistry, Hooked]:
    hooks = Hooked(registry.get(provider_key))
    providers = ProviderRegistry()
    providers.register(hooks)
    return providers, hooks
