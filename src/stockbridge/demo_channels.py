"""The demo's marketplaces: both sandboxes run in the demo process, one channel on each.

The Shopify channel connects at once with the sandbox shop's custom-app token; the eBay
channel waits for its OAuth flow (``GET /api/ecom/channels/{id}/oauth/start`` answers
the sandbox's consent page, which sends the browser back to this server). Simulated
buyers order from whatever is listed on either marketplace.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.registry import registry
from stockbridge.commerce import channels
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.commerce.channels import ChannelContext, ChannelDraft
from stockbridge.db.engine import transaction
from stockbridge.db.models import Branch
from stockbridge.sandbox.ebay import EbaySandboxConfig
from stockbridge.sandbox.ebay import create_app as create_ebay
from stockbridge.sandbox.serving import serve_in_thread
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from stockbridge.sandbox.shopify import create_app as create_shopify
from stockbridge.settings import Settings
from stockbridge.vault import Vault

#: The demo's own encryption key, kept so a ``--keep`` run can read its channels again.
DEMO_KEY_FILE = Path("var/demo.key")
#: Orders a minute each simulated marketplace places on what is listed there.
BUYERS_PER_MINUTE = 2.0
SHOPIFY_TOKEN = "shpat_sandbox"


@dataclass(frozen=True)
class DemoMarketplaces:
    ebay_url: str
    shopify_url: str
    settings: Settings


def start_marketplaces(stack: ExitStack, settings: Settings) -> DemoMarketplaces:
    """Start both sandboxes on free local ports until ``stack`` closes; the settings the
    demo server needs to reach them (the eBay app's keys, an encryption key)."""
    ebay_config = EbaySandboxConfig(buyers_per_minute=BUYERS_PER_MINUTE)
    shopify_config = ShopifySandboxConfig(buyers_per_minute=BUYERS_PER_MINUTE)
    ebay_url = stack.enter_context(serve_in_thread(create_ebay(ebay_config)))
    shopify_url = stack.enter_context(serve_in_thread(create_shopify(shopify_config)))
    demo_settings = settings.model_copy(
        update={
            "encryption_key": settings.encryption_key or _demo_key(),
            "ebay_client_id": ebay_config.client_id,
            "ebay_client_secret": SecretStr(ebay_config.client_secret),
        }
    )
    return DemoMarketplaces(ebay_url=ebay_url, shopify_url=shopify_url, settings=demo_settings)


def _demo_key() -> str:
    if not DEMO_KEY_FILE.exists():
        DEMO_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEMO_KEY_FILE.write_text(Fernet.generate_key().decode(), encoding="ascii")
        DEMO_KEY_FILE.chmod(0o600)
    return DEMO_KEY_FILE.read_text(encoding="ascii").strip()


def connect_demo_channels(
    sessions: sessionmaker[Session], marketplaces: DemoMarketplaces
) -> list[str]:
    """One channel per sandbox, selling from every branch; lines describing them."""
    ctx = ChannelContext(
        settings=marketplaces.settings,
        vault=Vault(marketplaces.settings.encryption_key),
        registry=registry,
    )
    with sessions() as session:
        branch_ids = list(session.scalars(select(Branch.id).order_by(Branch.id)))
    rules = ChannelSettings(branch_ids=branch_ids, safety_buffer=1)
    wanted = [
        ("shopify", "Shopify (sandbox)", marketplaces.shopify_url, {"access_token": SHOPIFY_TOKEN}),
        ("ebay", "eBay UK (sandbox)", marketplaces.ebay_url, {}),
    ]
    lines = []
    for provider, name, url, credentials in wanted:
        draft = ChannelDraft(base_url=url, credentials=credentials)
        link = channels.new_link(ctx, provider, draft)
        verified = channels.verify_link(ctx, link) is not None  # a call: no transaction open
        with transaction(sessions) as session:
            channel = channels.create_channel(
                session, ctx, link=link, name=name, currency="GBP", settings=rules,
                verified=verified,
            )  # fmt: skip
            lines.append(f"channel {channel.id}: {name} at {url} ({channel.status})")
    return lines
