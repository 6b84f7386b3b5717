"""Settings of one eBay sandbox instance (credentials, token lifetimes, budgets, files)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Names a directory laid out like ``../shared/ref``; turns live contract validation on.
CONTRACTS_ENV = "STOCKBRIDGE_SANDBOX_CONTRACTS"
#: Inside the contracts directory.
SPECS_DIR = Path("ebay") / "oas3-api-docs"
INVENTORY_SPEC = SPECS_DIR / "sell_inventory_v1_oas3.json"
FULFILLMENT_SPEC = SPECS_DIR / "sell_fulfillment_v1_oas3.json"
ACCOUNT_SPEC = SPECS_DIR / "sell_account_v1_oas3.json"
NOTIFICATION_SPEC = SPECS_DIR / "commerce_notification_v1_oas3.json"
#: Which official file holds the calls under each base path (contract mode). A new API
#: served by the sandbox adds its row here.
SPEC_BY_PREFIX: dict[str, Path] = {
    "/sell/inventory/v1": INVENTORY_SPEC,
    "/sell/fulfillment/v1": FULFILLMENT_SPEC,
    "/sell/account/v1": ACCOUNT_SPEC,
    "/commerce/notification/v1": NOTIFICATION_SPEC,
}


def contracts_dir_from_env() -> Path | None:
    value = os.environ.get(CONTRACTS_ENV, "").strip()
    return Path(value) if value else None


@dataclass(frozen=True)
class EbaySandboxConfig:
    """One sandbox's settings; every field has a default that works for the demo.

    ``clock`` returns seconds since the epoch; tests pass a fake one to expire tokens
    without waiting. ``contracts_dir`` defaults to ``$STOCKBRIDGE_SANDBOX_CONTRACTS``.
    """

    client_id: str = "stockbridge-sandbox-client"
    client_secret: str = "stockbridge-sandbox-secret"
    #: eBay's figures: user access token 2 h, refresh token about 18 months.
    access_token_ttl: int = 7200
    refresh_token_ttl: int = 47_304_000
    #: eBay's authorization codes live 299 s.
    auth_code_ttl: int = 299
    #: Inventory calls allowed per access token; None means no limit.
    calls_per_token: int | None = None
    #: Where state is kept between runs; None keeps it in memory only.
    state_file: Path | None = None
    contracts_dir: Path | None = field(default_factory=contracts_dir_from_env)
    #: Multiplies every notification retry delay; tests and demos compress them.
    notification_time_scale: float = 1.0
    clock: Callable[[], float] = time.time
    #: The seller's eBay user id, shown as ``sellerId`` on orders.
    seller_username: str = "stockbridge-seller"
    #: Background buyers: random small orders per minute on live listings (0: off).
    buyers_per_minute: float = 0.0
    #: Seed of the background buyers' choices, so a run can be repeated.
    buyers_seed: int = 0

    @property
    def inventory_spec(self) -> Path | None:
        return self.contracts_dir / INVENTORY_SPEC if self.contracts_dir else None

    @property
    def contract_specs(self) -> dict[str, Path]:
        """Base path -> official file, for contract mode; empty when it is off."""
        if self.contracts_dir is None:
            return {}
        return {prefix: self.contracts_dir / spec for prefix, spec in SPEC_BY_PREFIX.items()}
