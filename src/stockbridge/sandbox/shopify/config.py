"""Settings of one Shopify sandbox: the shop it plays, its tokens, its rate limit, its clock.

The defaults are Shopify's Standard plan figures; the clock is injectable so tests move
time forward (throttling, ``updated_at``) without sleeping.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

API_VERSION = "2025-10"
CONTRACTS_ENV = "STOCKBRIDGE_SANDBOX_CONTRACTS"


def _contracts_dir_from_env() -> Path | None:
    value = os.environ.get(CONTRACTS_ENV)
    return Path(value) if value else None


@dataclass
class ShopifySandboxConfig:
    """What a sandbox app is built from.

    ``access_tokens`` are custom-app Admin API tokens (``shpat_...``) the sandbox
    accepts. Each token has its own leaky bucket of ``bucket_size`` points, refilled at
    ``restore_rate`` points per second. Shopify no longer publishes bucket sizes, so
    2000 is our choice (the Standard plan's figure when it was published); the restore
    rate of 100/s and the single-query maximum of 1000 are Shopify's documented
    Standard-plan figures. ``clock`` returns seconds since the epoch.

    Webhooks are signed with ``client_secret`` (the app's client secret, which Shopify
    uses as the HMAC key). ``webhook_time_scale`` multiplies every retry delay, so a
    test sees Shopify's four-hour retry schedule in milliseconds. Shopify refuses
    ``http://`` and local addresses; the sandbox accepts them so that a receiver on
    this machine can subscribe, unless ``webhook_https_only`` asks for Shopify's rule.
    ``compliance_webhook_url`` plays the app's compliance webhook setting (its
    ``shopify.app.toml``): where ``customers/data_request``, ``customers/redact`` and
    ``shop/redact`` go.
    """

    shop_name: str = "Stockbridge Sandbox"
    shop_domain: str = "stockbridge-sandbox.myshopify.com"
    shop_email: str = "owner@stockbridge-sandbox.example"
    currency_code: str = "GBP"
    iana_timezone: str = "Europe/London"
    location_names: tuple[str, ...] = ("Main Street", "Warehouse")
    access_tokens: frozenset[str] = frozenset({"shpat_sandbox"})
    bucket_size: float = 2000.0
    restore_rate: float = 100.0
    max_query_cost: int = 1000
    state_file: Path | None = None
    contracts_dir: Path | None = field(default_factory=_contracts_dir_from_env)
    clock: Callable[[], float] = time.time
    # webhooks (webhook_delivery.py)
    client_secret: str = "shpss_sandbox_client_secret"
    webhook_time_scale: float = 1.0
    webhook_timeout_seconds: float = 5.0
    webhook_connect_timeout_seconds: float = 1.0
    webhook_https_only: bool = False
    compliance_webhook_url: str | None = None
