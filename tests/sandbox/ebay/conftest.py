"""Fixtures for the eBay sandbox tests: a live sandbox over HTTP, in contract mode.

Every test talks to a fresh sandbox served by uvicorn on a local port. Contract mode is
on whenever the official files are beside the repo (``../shared/ref``): requests and
responses are checked against eBay's OpenAPI file, and a test fails at teardown if any
violation was recorded that it did not take on purpose (``harness.violations.take()``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from stockbridge.sandbox.ebay import EbaySandboxConfig, create_app
from stockbridge.sandbox.ebay.config import CONTRACTS_ENV
from stockbridge.sandbox.ebay.context import EbaySandbox
from stockbridge.sandbox.ebay.contracts import ContractViolations
from stockbridge.sandbox.ebay.oauth import SELL_INVENTORY
from tests.sandbox.contracts import CONTRACTS_DIR
from tests.sandbox.servers import serve_in_thread

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
REDIRECT_URI = "https://stockbridge.example/ebay/callback"


@dataclass
class FakeClock:
    """Seconds since the epoch, moved by hand so tokens expire without waiting."""

    now: float = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class EbayHarness:
    base_url: str
    http: httpx.Client
    app: FastAPI
    clock: FakeClock
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def sandbox(self) -> EbaySandbox:
        sandbox: EbaySandbox = self.app.state.ebay
        return sandbox

    @property
    def violations(self) -> ContractViolations:
        return self.sandbox.violations

    def basic_auth(self, secret: str = CLIENT_SECRET) -> dict[str, str]:
        raw = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}

    def authorize(self, scopes: list[str], state: str = "xyz") -> str:
        """Run the consent redirect; returns the authorization code."""
        answer = self.http.get(
            "/oauth2/authorize",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": " ".join(scopes),
                "state": state,
            },
        )
        assert answer.status_code == 302, answer.text
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["state"] == [state]
        return query["code"][0]

    def token_call(self, form: dict[str, str], secret: str = CLIENT_SECRET) -> httpx.Response:
        return self.http.post(
            "/identity/v1/oauth2/token", data=form, headers=self.basic_auth(secret)
        )

    def user_tokens(self, scopes: list[str] | None = None) -> dict[str, Any]:
        code = self.authorize(scopes or [SELL_INVENTORY])
        answer = self.token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def user_token(self, scopes: list[str] | None = None) -> str:
        return str(self.user_tokens(scopes)["access_token"])

    def headers(self, token: str | None = None) -> dict[str, str]:
        """What an eBay client sends on Inventory calls."""
        return {
            "Authorization": f"Bearer {token or self.default_token}",
            "Content-Language": "en-US",
            "Accept": "application/json",
        }

    @property
    def default_token(self) -> str:
        if "default" not in self.tokens:
            self.tokens["default"] = self.user_token()
        return self.tokens["default"]

    def get_state(self) -> dict[str, Any]:
        answer = self.http.get("/_sandbox/state")
        assert answer.status_code == 200
        state: dict[str, Any] = answer.json()
        return state

    def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """An Inventory API call with a valid user token (made on first use)."""
        url = "/sell/inventory/v1" + path
        return self.http.request(method, url, headers=self.headers(token), **kwargs)


StartSandbox = Callable[..., EbayHarness]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@contextmanager
def running_sandbox(clock: FakeClock, **overrides: Any) -> Iterator[EbayHarness]:
    """Serve a sandbox (contract mode on when the official files are there) until exit.

    At exit the sandbox must hold no contract violation the test did not take.
    """
    settings: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "clock": clock,
        "contracts_dir": CONTRACTS_DIR if CONTRACTS_DIR.is_dir() else None,
    }
    app = create_app(EbaySandboxConfig(**(settings | overrides)))
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as http:
        harness = EbayHarness(base_url=base_url, http=http, app=app, clock=clock)
        yield harness
    leftovers = harness.violations.take()
    assert not leftovers, "contract violations:\n" + "\n".join(leftovers)


@pytest.fixture
def start_sandbox(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[StartSandbox]:
    """Start sandboxes with config overrides; all are stopped and checked at teardown."""
    # The variable the product reads, set as the suite documents it; the config passes
    # the same directory explicitly so a sandbox built here never depends on the caller.
    if CONTRACTS_DIR.is_dir():
        monkeypatch.setenv(CONTRACTS_ENV, str(CONTRACTS_DIR))
    with ExitStack() as stack:

        def start(**overrides: Any) -> EbayHarness:
            return stack.enter_context(running_sandbox(clock, **overrides))

        yield start


@pytest.fixture
def ebay(start_sandbox: StartSandbox) -> EbayHarness:
    return start_sandbox()
