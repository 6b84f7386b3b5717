"""Fixtures for the Shopify adapter tests: the Shopify sandbox over real HTTP, in contract mode.

``sandbox`` serves a fresh sandbox shop on a local port (its bucket and tokens set by
``sandbox_config``); ``adapter`` is a ShopifyAdapter connected to it with a custom-app
token, as a shop owner would connect. Contract mode is on (every document the adapter
sends is also validated against Shopify's official schema by the sandbox), and a test
that leaves a contract violation behind fails at teardown. The sandbox runs on real
time, since pacing waits for real.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.sandbox.shopify import ShopifySandbox, ShopifySandboxConfig, create_app
from stockbridge.sandbox.shopify.config import CONTRACTS_ENV
from tests.channels.shopify.helpers import TOKENS, RunningSandbox
from tests.sandbox.contracts import CONTRACTS_DIR, contracts_present, require_contracts
from tests.sandbox.servers import serve_in_thread


@pytest.fixture
def contract_mode(monkeypatch: pytest.MonkeyPatch) -> Path | None:
    if not contracts_present():
        if os.environ.get("CI"):
            require_contracts()
        return None
    monkeypatch.setenv(CONTRACTS_ENV, str(CONTRACTS_DIR))
    return CONTRACTS_DIR


@pytest.fixture
def sandbox_config(contract_mode: Path | None) -> ShopifySandboxConfig:
    return ShopifySandboxConfig(access_tokens=TOKENS)


@pytest.fixture
def sandbox(sandbox_config: ShopifySandboxConfig) -> Iterator[RunningSandbox]:
    app = create_app(sandbox_config)
    app_sandbox: ShopifySandbox = app.state.sandbox
    if contracts_present():
        assert app_sandbox.engine.official is not None, "contract mode must be on in tests"
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as control:
        yield RunningSandbox(url, app_sandbox, control)
    assert app_sandbox.contract_violations.all() == [], "documents broke Shopify's schema"


@pytest.fixture
def adapter(sandbox: RunningSandbox) -> ShopifyAdapter:
    return sandbox.connect()
