"""Connecting real eBay and Shopify channels through the API, against the sandboxes over HTTP.

The built-in providers and adapters are used as they are; the sandboxes run on local
ports with contract mode as the suite sets it.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.api.app import create_app
from stockbridge.sandbox.ebay import EbaySandboxConfig
from stockbridge.sandbox.ebay import create_app as create_ebay
from stockbridge.sandbox.serving import serve_in_thread
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from stockbridge.sandbox.shopify import create_app as create_shopify
from stockbridge.settings import Settings
from tests.api.conftest import Headers

EBAY_CLIENT, EBAY_SECRET = "shop-app", "shop-app-secret"


@pytest.fixture(scope="module")
def ebay_url() -> Iterator[str]:
    config = EbaySandboxConfig(client_id=EBAY_CLIENT, client_secret=EBAY_SECRET)
    with serve_in_thread(create_ebay(config)) as url:
        yield url


@pytest.fixture(scope="module")
def shopify_url() -> Iterator[str]:
    with serve_in_thread(create_shopify(ShopifySandboxConfig())) as url:
        yield url


@pytest.fixture
def app(sessions: sessionmaker[Session]) -> FastAPI:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        encryption_key=Fernet.generate_key().decode(),
        ebay_client_id=EBAY_CLIENT,
        ebay_client_secret=EBAY_SECRET,
    )
    return create_app(session_factory=sessions, settings=settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def test_a_shopify_custom_app_token_is_tested_then_saved(
    client: TestClient, admin_headers: Headers, shopify_url: str
) -> None:
    body = {"provider": "shopify", "name": "Web shop", "currency": "GBP",
            "base_url": shopify_url, "credentials": {"access_token": "shpat_sandbox"}}  # fmt: skip

    created = client.post("/api/ecom/channels", json=body, headers=admin_headers)

    assert created.status_code == 201, created.text
    channel = created.json()
    assert (channel["status"], channel["connected"]) == ("active", True)
    assert channel["credentials"]["access_token"] == "sh****ox"
    tested = client.post(f"/api/ecom/channels/{channel['id']}/test", headers=admin_headers)
    assert tested.status_code == 200, tested.text
    assert tested.json()["ok"] is True


def test_a_wrong_shopify_token_is_refused_and_nothing_saved(
    client: TestClient, admin_headers: Headers, shopify_url: str
) -> None:
    body = {"provider": "shopify", "name": "Web shop", "currency": "GBP",
            "base_url": shopify_url, "credentials": {"access_token": "shpat_wrong"}}  # fmt: skip

    refused = client.post("/api/ecom/channels", json=body, headers=admin_headers)

    assert refused.status_code == 409
    assert "auth_failed" in refused.json()["detail"]
    assert client.get("/api/ecom/channels", headers=admin_headers).json()["total"] == 0


def test_an_ebay_channel_connects_through_oauth_end_to_end(
    client: TestClient, admin_headers: Headers, ebay_url: str
) -> None:
    body = {"provider": "ebay", "name": "eBay UK", "currency": "GBP", "base_url": ebay_url,
            "credentials": {}}  # fmt: skip
    channel = client.post("/api/ecom/channels", json=body, headers=admin_headers).json()
    assert (channel["status"], channel["connected"]) == ("auth_required", False)

    start = client.get(f"/api/ecom/channels/{channel['id']}/oauth/start", headers=admin_headers)
    consent = httpx.get(start.json()["authorization_url"], follow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    assert back.path == "/api/ecom/oauth/ebay/callback"

    forged = client.get(f"{back.path}?code=abc&state=forged")
    assert forged.status_code == 422
    done = client.get(f"{back.path}?{back.query}")

    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["connected"]) == ("active", True)
    replayed = client.get(f"{back.path}?{back.query}")
    assert replayed.status_code == 409  # the code is single-use at the marketplace
    tested = client.post(f"/api/ecom/channels/{channel['id']}/test", headers=admin_headers)
    assert tested.status_code == 200, tested.text


def test_ebay_notification_settings_are_kept_masked_and_a_bad_token_is_refused(
    client: TestClient, admin_headers: Headers, ebay_url: str
) -> None:
    token = "stockbridge-verification_0123456789abcdef"
    body = {"provider": "ebay", "name": "eBay UK", "currency": "GBP", "base_url": ebay_url,
            "credentials": {"verification_token": token,
                            "alert_email": "alerts@shop.example"}}  # fmt: skip

    created = client.post("/api/ecom/channels", json=body, headers=admin_headers)

    assert created.status_code == 201, created.text
    shown = created.json()["credentials"]
    assert shown["verification_token"] != token
    assert shown["verification_token"].startswith(token[:2])
    assert shown["alert_email"] == "alerts@shop.example"
    body["credentials"] = {"verification_token": "too short"}
    refused = client.post("/api/ecom/channels", json=body, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "verification_token" in refused.json()["detail"]
