"""Fixtures of the webhook tests: our app served over HTTP with a Shopify channel on the
Shopify sandbox, and deliveries signed with the app's secret exactly as the sandbox's
delivery engine signs them (``shopify_hmac`` over ``webhook_body``).

For the end-to-end order tests, ``shopify_store`` gives a fresh Shopify sandbox (contract
mode on when the official files are there) selling one SKU the store holds and has
published on the channel; the sandbox is subscribed to our endpoint the way the product
subscribes (``register_webhooks``), so its buyers' orders arrive as real signed
deliveries. The test runs the queued ``webhook`` jobs itself, one by one or all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.access.keys import create_key
from stockbridge.api.app import create_app
from stockbridge.channels.base import ChannelAdapter, NormalizedOrder
from stockbridge.channels.registry import ChannelConnection, ProviderRegistry, registry
from stockbridge.commerce.channels import ChannelContext, get_channel, link_adapter, read_link
from stockbridge.db.models import (
    Branch,
    EcomListing,
    EcomListingChannel,
    EcomOrder,
    EcomOrderItem,
    EcomWebhookLog,
    JobKind,
    JobStatus,
    LedgerReason,
    ListingStatus,
    ProductCodeVersion,
    PublicationStatus,
    Role,
    StockLedgerEntry,
    SyncJob,
    SyncState,
)
from stockbridge.sandbox.serving import serve_in_thread
from stockbridge.sandbox.shopify import ShopifySandbox, ShopifySandboxConfig
from stockbridge.sandbox.shopify import create_app as create_shopify
from stockbridge.sandbox.shopify.webhook_delivery import shopify_hmac, webhook_body
from stockbridge.settings import Settings
from stockbridge.sync import runner
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.jobs import enqueue_job, get_job
from stockbridge.sync.queue import JobQueue
from stockbridge.sync.retry import RetryPolicy
from stockbridge.vault import Vault
from tests.factories import make_branch, make_product, make_version
from tests.sandbox.contracts import CONTRACTS_DIR, contracts_present
from tests.sandbox.ebay.conftest import EbayHarness, FakeClock, clock, ebay, start_sandbox
from tests.sandbox.shopify import shop_client
from tests.sandbox.shopify.order_flow import buy, stock_product
from tests.sandbox.shopify.shop_client import ShopifyClient
from tests.sync.conftest import wait_for
from tests.sync.ebay_shop import EbayShop, open_shop
from tests.sync.shops import NoWaker

__all__ = ["clock", "ebay", "start_sandbox"]

SECRET = ShopifySandboxConfig().client_secret


@dataclass
class Stockbridge:
    url: str
    sessions: sessionmaker[Session]
    settings: Settings
    admin: dict[str, str]
    channel_id: int

    def shopify(self, topic: str, payload: dict[str, Any], **options: Any) -> httpx.Response:
        """POST a delivery signed as the sandbox signs it (``secret``/``body`` to forge,
        ``headers`` to add, e.g. what a proxy would)."""
        body = options.pop("body", None) or webhook_body(payload)
        signed_body = options.pop("signed_body", body)
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": options.pop("delivery_id", f"{topic}-{payload.get('id')}"),
            "X-Shopify-Hmac-Sha256": shopify_hmac(options.pop("secret", SECRET), signed_body),
            "X-Shopify-Shop-Domain": "sandbox.myshopify.com",
            **options.pop("headers", {}),
        }
        channel = options.pop("channel_id", self.channel_id)
        return httpx.post(
            f"{self.url}/api/ecom/webhooks/shopify/{channel}",
            content=body,
            headers=headers,
            timeout=10,
        )

    def run_queued_webhook_jobs(self) -> int:
        """Process every queued webhook job, as a worker would; how many ran."""
        queued = self.webhook_jobs()
        for job_id in queued:
            self.run_job(job_id)
        return len(queued)

    def webhook_jobs(self) -> list[int]:
        """Ids of the webhook jobs, oldest first."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(SyncJob.id).where(SyncJob.kind == JobKind.WEBHOOK).order_by(SyncJob.id)
                )
            )

    def job_of(self, log_id: int) -> int:
        """The webhook job that processes a logged delivery (the newest, after a replay)."""
        with self.sessions() as session:
            jobs = session.scalars(
                select(SyncJob).where(SyncJob.kind == JobKind.WEBHOOK).order_by(SyncJob.id)
            ).all()
        [*_, newest] = [job.id for job in jobs if job.payload.get("log_id") == log_id]
        return newest

    def run_job(self, job_id: int, ctx: ChannelContext | None = None) -> None:
        """Run one queued job in this thread, as a worker would (``ctx``: its adapters)."""
        handlers = default_handlers(ctx or self.settings)
        runner.run_job(
            self.sessions, handlers, job_id, waker=NoWaker(), policy=RetryPolicy(),
            heartbeat_seconds=60,
        )  # fmt: skip

    def poll_orders(self, ctx: ChannelContext | None = None) -> dict[str, int]:
        """Run one ``orders`` poll of the channel, as the scheduler queues it; its counts
        that are not 0."""
        with self.sessions.begin() as session:
            job_id = enqueue_job(
                session, NoWaker(), kind=JobKind.ORDERS, channel_id=self.channel_id
            ).id
        self.run_job(job_id, ctx)
        with self.sessions() as session:
            job = get_job(session, job_id)
        assert job.status is JobStatus.SUCCEEDED, job.error
        return {name: count for name, count in job.counts.items() if count}

    def ctx(self) -> ChannelContext:
        """The channel context the app and its jobs open the channel's secrets with."""
        return ChannelContext(
            settings=self.settings, vault=Vault(self.settings.encryption_key), registry=registry
        )

    def adapter(self) -> ChannelAdapter:
        """The channel's adapter, connected as the jobs connect it."""
        ctx = self.ctx()
        with self.sessions() as session:
            link = read_link(ctx, get_channel(session, self.channel_id))
        return link_adapter(ctx, link)

    def endpoint(self, provider: str) -> str:
        return f"{self.url}/api/ecom/webhooks/{provider}/{self.channel_id}"

    def logs(self) -> list[EcomWebhookLog]:
        with self.sessions() as session:
            return list(session.scalars(select(EcomWebhookLog).order_by(EcomWebhookLog.id)))

    def wait_for_logs(self, count: int, topic: str | None = None) -> list[EcomWebhookLog]:
        """The logged deliveries (of ``topic``), once there are ``count`` of them."""

        def logged() -> list[EcomWebhookLog]:
            found = [log for log in self.logs() if topic in (None, log.event_type)]
            return found if len(found) >= count else []

        found: list[EcomWebhookLog] = wait_for(logged)
        return found


@pytest.fixture(scope="module")
def shopify_url() -> Iterator[str]:
    with serve_in_thread(create_shopify(ShopifySandboxConfig())) as url:
        yield url


@pytest.fixture
def limits() -> dict[str, Any]:
    """Settings of the test's app beyond the defaults below (a test parametrises it)."""
    return {"webhook_max_body_bytes": 4096, "webhook_rate_limit_per_minute": 1000}


def webhook_settings(limits: dict[str, Any], **values: Any) -> Settings:
    """Settings of one test's app: no Redis, a fresh encryption key, the Shopify app secret."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        redis_url=None,
        encryption_key=Fernet.generate_key().decode(),
        shopify_client_secret=SECRET,
        **(limits | values),
    )


@contextmanager
def serving(
    sessions: sessionmaker[Session], settings: Settings, queue_path: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    """Our app over HTTP with a job queue nobody consumes: its URL and an admin's headers."""
    queue = JobQueue(settings, sessions, sqlite_path=queue_path)
    app = create_app(session_factory=sessions, settings=settings, job_queue=queue)
    try:
        with serve_in_thread(app) as url:
            yield url, key_headers(sessions, Role.ADMIN)
    finally:
        queue.close()


@pytest.fixture
def stockbridge(
    sessions: sessionmaker[Session], tmp_path: Path, shopify_url: str, limits: dict[str, Any]
) -> Iterator[Stockbridge]:
    settings = webhook_settings(limits)
    with serving(sessions, settings, tmp_path / "queue.db") as (url, admin):
        credentials = {"access_token": "shpat_sandbox"}
        body = {"provider": "shopify", "name": "Web shop", "currency": "GBP",
                "base_url": shopify_url, "credentials": credentials}  # fmt: skip
        created = httpx.post(f"{url}/api/ecom/channels", json=body, headers=admin, timeout=10)
        assert created.status_code == 201, created.text
        yield Stockbridge(url, sessions, settings, admin, created.json()["id"])


def key_headers(sessions: sessionmaker[Session], role: Role) -> dict[str, str]:
    with sessions.begin() as session:
        return {"Authorization": f"Bearer {create_key(session, name=role.value, role=role).secret}"}


# --- a job that holds an order it fetched while the marketplace changes it ---------


@dataclass
class PausedFetch:
    """A provider whose adapters fetch an order, then wait for ``release`` to answer it:
    the job holds the order as it was while the shop changes it."""

    real: Any
    fetched: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    answered: list[NormalizedOrder] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def connect(self, connection: ChannelConnection) -> ChannelAdapter:
        return _Paused(self.real.connect(connection), self)  # type: ignore[return-value]


class _Paused:
    def __init__(self, real: ChannelAdapter, hooks: PausedFetch) -> None:
        self._real, self._hooks = real, hooks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get_order(self, external_id: str) -> NormalizedOrder:
        order = self._real.get_order(external_id)
        self._hooks.answered.append(order)
        self._hooks.fetched.set()
        assert self._hooks.release.wait(30), "never released"
        return order


def paused_context(app: Stockbridge, provider: str) -> tuple[ChannelContext, PausedFetch]:
    """A channel context whose ``provider`` adapters pause in ``get_order`` (a job's ``ctx``)."""
    hooks = PausedFetch(registry.get(provider))
    providers = ProviderRegistry()
    providers.register(hooks)
    base = app.ctx()
    return ChannelContext(settings=base.settings, vault=base.vault, registry=providers), hooks


# --- a store selling one SKU on a live Shopify sandbox ------------------------------

SKU = "LAMP-1"


@dataclass(frozen=True)
class Stock:
    """What the store holds of the SKU, and what its ledger says was reserved."""

    orders: int
    items: int
    allocated: int
    on_hand: int
    reserved: int
    reserve_entries: int
    reserved_by_ledger: int


@dataclass
class ShopifyStore:
    """Our app with a channel on a Shopify sandbox selling :data:`SKU`, held in one branch."""

    app: Stockbridge
    shop: ShopifyClient
    version_id: int
    publication_id: int

    @property
    def sandbox(self) -> ShopifySandbox:
        return self.shop.sandbox

    def buy(self, quantity: int = 1, **buyer: Any) -> dict[str, Any]:
        """A buyer orders on the shop; the orders/create payload."""
        return buy(self.shop, {SKU: quantity}, **buyer)

    def drain(self) -> None:
        """Wait until the sandbox has sent every delivery that is due."""
        answer = self.shop.http.post("/_sandbox/deliveries/drain")
        assert answer.json() == {"drained": True}

    def stock(self) -> Stock:
        with self.app.sessions() as session:
            version = session.get(ProductCodeVersion, self.version_id)
            assert version is not None
            entries = session.scalars(
                select(StockLedgerEntry.delta_reserved).where(
                    StockLedgerEntry.version_id == self.version_id,
                    StockLedgerEntry.reason == LedgerReason.RESERVE,
                )
            ).all()
            allocated = session.scalar(
                select(func.coalesce(func.sum(EcomOrderItem.quantity_allocated), 0))
            )
            return Stock(
                orders=session.scalar(select(func.count()).select_from(EcomOrder)) or 0,
                items=session.scalar(select(func.count()).select_from(EcomOrderItem)) or 0,
                allocated=int(allocated or 0),
                on_hand=version.qty_on_hand,
                reserved=version.qty_reserved,
                reserve_entries=len(entries),
                reserved_by_ledger=sum(entries),
            )

    def order(self, external_id: str) -> EcomOrder:
        with self.app.sessions() as session:
            return session.scalars(
                select(EcomOrder).where(EcomOrder.external_id == external_id)
            ).one()


@pytest.fixture
def shopify_client() -> Iterator[ShopifyClient]:
    """A fresh Shopify sandbox over HTTP; it must end with no contract violation."""
    config = ShopifySandboxConfig(
        access_tokens=frozenset({"shpat_sandbox", shop_client.TOKEN}),
        contracts_dir=CONTRACTS_DIR if contracts_present() else None,
    )
    app = create_shopify(config)
    sandbox: ShopifySandbox = app.state.sandbox
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield ShopifyClient(http, sandbox, shop_client.FakeClock())
    assert sandbox.contract_violations.all() == [], "documents broke Shopify's schema"


def hold_stock(
    sessions: sessionmaker[Session], channel_id: int, sku: str, on_hand: int, currency: str
) -> tuple[int, int]:
    """One branch holding ``on_hand`` of ``sku``, published on the channel in sync; the
    version's and the publication's ids."""
    with sessions.begin() as session:
        branch: Branch = make_branch(session)
        product = make_product(session, sku=sku)
        product.currency = currency
        version = make_version(session, product=product, branch=branch, on_hand=on_hand)
        listing = EcomListing(product_code_id=product.id, title=sku, status=ListingStatus.ACTIVE)
        session.add(listing)
        session.flush()
        publication = EcomListingChannel(
            listing_id=listing.id,
            channel_id=channel_id,
            external_sku=sku,
            status=PublicationStatus.PUBLISHED,
            sync_state=SyncState.IN_SYNC,
            last_pushed_qty=on_hand,
        )
        session.add(publication)
        session.flush()
        return version.id, publication.id


@pytest.fixture
def store_units() -> int:
    return 10


@pytest.fixture
def subscribed() -> bool:
    """Whether the shop is subscribed to our endpoint (a test may subscribe elsewhere)."""
    return True


@pytest.fixture
def shopify_store(
    stockbridge: Stockbridge, shopify_client: ShopifyClient, store_units: int, subscribed: bool
) -> ShopifyStore:
    """The shop sells :data:`SKU` (20 at the first location, overselling allowed); the
    store holds ``store_units``; the shop delivers its webhooks to our endpoint."""
    stock_product(shopify_client, SKU, [20], policy="CONTINUE")
    version_id, publication_id = hold_stock(
        stockbridge.sessions, stockbridge.channel_id, SKU, store_units, "GBP"
    )
    if subscribed:
        stockbridge.adapter().register_webhooks(stockbridge.endpoint("shopify"))
    return ShopifyStore(stockbridge, shopify_client, version_id, publication_id)


# --- a store selling one SKU on a live eBay sandbox ---------------------------------

VERIFICATION_TOKEN = "stockbridge-verification_0123456789abcdef"


@dataclass
class EbayStore:
    """Our app with an eBay channel whose notifications the sandbox sends to our endpoint."""

    app: Stockbridge
    shop: EbayShop

    @property
    def harness(self) -> EbayHarness:
        return self.shop.harness

    def confirm(self, order_id: str) -> None:
        """eBay announces the order: ORDER_CONFIRMATION goes to the subscribed endpoint."""
        self.harness.sandbox.control.events.publish("ORDER_CONFIRMATION", {"orderId": order_id})


@pytest.fixture
def ebay_store(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    ebay: EbayHarness,
    clock: FakeClock,
    limits: dict[str, Any],
) -> Iterator[EbayStore]:
    """10 units of the SKU listed on eBay and held in the store; the channel registered
    for notifications at our endpoint (eBay challenges it over HTTP first)."""
    settings = webhook_settings(limits)
    credentials = {"verification_token": VERIFICATION_TOKEN, "alert_email": "ops@shop.example"}
    shop = open_shop(sessions, ebay, clock, 10, settings=settings, credentials=credentials)
    with serving(sessions, settings, tmp_path / "queue.db") as (url, admin):
        app = Stockbridge(url, sessions, settings, admin, shop.channel_id)
        app.adapter().register_webhooks(app.endpoint("ebay"))
        yield EbayStore(app, shop)
