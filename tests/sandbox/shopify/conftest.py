"""Fixtures for the Shopify sandbox tests: a sandbox served over real HTTP, in contract mode.

Every test talks to the sandbox through ``shopify`` (an httpx client on a uvicorn
server in a thread). Contract mode is on (``STOCKBRIDGE_SANDBOX_CONTRACTS`` points at
../shared/ref), and a test that leaves a contract violation behind fails at teardown;
a test provoking one on purpose takes it with ``contract_violations.take()``.
Time is a :class:`FakeClock` the test moves forward, so nothing sleeps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stockbridge.sandbox.shopify import ShopifySandbox, ShopifySandboxConfig, create_app
from stockbridge.sandbox.shopify.config import CONTRACTS_ENV
from tests.sandbox.contracts import CONTRACTS_DIR, contracts_present, require_contracts
from tests.sandbox.servers import serve_in_thread
from tests.sandbox.shopify.shop_client import TOKEN, FakeClock, ShopifyClient
from tests.sandbox.shopify.webhook_receiver import Receiver, serve_receiver


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def contract_mode(monkeypatch: pytest.MonkeyPatch) -> Path | None:
    """Contract mode on when the official files are beside the repo (always in CI)."""
    if not contracts_present():
        if os.environ.get("CI"):
            require_contracts()  # fails the test: CI must have the official files
        return None
    monkeypatch.setenv(CONTRACTS_ENV, str(CONTRACTS_DIR))
    return CONTRACTS_DIR


@pytest.fixture
def config(clock: FakeClock, contract_mode: Path | None) -> ShopifySandboxConfig:
    return ShopifySandboxConfig(access_tokens=frozenset({TOKEN}), clock=clock)


@pytest.fixture
def shopify(config: ShopifySandboxConfig, clock: FakeClock) -> Iterator[ShopifyClient]:
    app = create_app(config)
    sandbox: ShopifySandbox = app.state.sandbox
    if contracts_present():
        assert sandbox.engine.official is not None, "contract mode must be on in tests"
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as http:
        yield ShopifyClient(http, sandbox, clock)
    assert sandbox.contract_violations.all() == [], "documents broke Shopify's official schema"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver over HTTP that checks Shopify's HMAC (webhook_receiver.py)."""
    with serve_receiver() as served:
        yield served
