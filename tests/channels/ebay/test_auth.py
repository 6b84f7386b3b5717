"""Connecting an eBay account: environments, OAuth end to end, token refresh and expiry."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from stockbridge.channels.base import ChannelAdapter, StockLevel, TokenSet
from stockbridge.channels.ebay import EbayAdapter
from stockbridge.channels.ebay.auth import (
    EBAY_SANDBOX,
    PRODUCTION,
    SCOPES,
    environment_for,
)
from stockbridge.channels.registry import ChannelConnection, registry
from stockbridge.errors import ChannelError, ChannelErrorCategory
from tests.channels.ebay.conftest import (
    REDIRECT_URI,
    Connected,
    add_fault,
    calls,
    connect,
    consent,
    listing,
    new_adapter,
)
from tests.sandbox.ebay.conftest import CLIENT_ID, EbayHarness, StartSandbox

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("base_url", "credentials", "expected"),
    [
        ("", {}, PRODUCTION),
        ("https://api.ebay.com", {}, PRODUCTION),
        ("https://auth.ebay.com/", {}, PRODUCTION),
        ("", {"environment": "sandbox"}, EBAY_SANDBOX),
        ("https://api.sandbox.ebay.com", {}, EBAY_SANDBOX),
    ],
)
def test_ebay_hosts_choose_production_or_ebays_own_sandbox(
    base_url: str, credentials: dict[str, str], expected: object
) -> None:
    assert environment_for(base_url, credentials) == expected


def test_any_other_host_is_a_stockbridge_sandbox_serving_api_and_consent() -> None:
    environment = environment_for("http://127.0.0.1:8701/", {"environment": "sandbox"})

    assert environment.name == "stockbridge-sandbox"
    assert environment.api_base == environment.auth_base == "http://127.0.0.1:8701"


def test_the_provider_is_registered_under_ebay() -> None:
    provider = registry.get("ebay")

    assert provider.display_name == "eBay"
    assert provider.capabilities.max_quantities_per_call == 25
    assert provider.capabilities.pushes_orders is False


def test_the_consent_url_names_the_app_its_runame_scopes_and_a_signed_state() -> None:
    connection = ChannelConnection(
        channel_id=None,
        base_url="",
        credentials={"client_id": "app-1", "client_secret": "s", "ru_name": "Shop-App-PRD-1"},
    )
    adapter = EbayAdapter(connection, clock=lambda: NOW)
    assert isinstance(adapter, ChannelAdapter)

    start = adapter.start_oauth("https://ignored.example/cb", "nonce-1")

    url = urlsplit(start.url)
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert (url.scheme, url.netloc, url.path) == ("https", "auth.ebay.com", "/oauth2/authorize")
    assert query == {
        "client_id": "app-1",
        "redirect_uri": "Shop-App-PRD-1",
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "state": "nonce-1",
    }
    assert start.state == "nonce-1"  # the caller's own sealed state, unchanged
    adapter.close()


def test_oauth_end_to_end_stores_the_tokens(shop: EbayHarness) -> None:
    fresh = new_adapter(shop)

    tokens = fresh.adapter.exchange_code(consent(fresh.adapter), REDIRECT_URI)

    assert tokens.access_token
    assert tokens.refresh_token
    assert tokens.access_expires_at == datetime.fromtimestamp(shop.clock.now + 7200, UTC)
    assert tokens.refresh_expires_at is not None
    assert fresh.saved == [tokens]
    info = fresh.adapter.test_connection()
    assert info.currency == "GBP"
    assert info.details["refresh_token_expiring_soon"] is False
    assert calls(shop)["getToken:authorization_code"] == 1


@pytest.mark.parametrize(
    ("change", "category"),
    [
        ({"state": ""}, ChannelErrorCategory.VALIDATION),
        ({"code": ""}, ChannelErrorCategory.VALIDATION),
        ({"error": "access_denied"}, ChannelErrorCategory.AUTH_FAILED),
    ],
)
def test_a_callback_without_state_or_code_or_consent_is_refused_before_any_exchange(
    shop: EbayHarness, change: dict[str, str], category: ChannelErrorCategory
) -> None:
    fresh = new_adapter(shop)
    query = {**consent(fresh.adapter), **change}

    with pytest.raises(ChannelError) as raised:
        fresh.adapter.exchange_code(query, REDIRECT_URI)

    assert raised.value.category is category
    assert "getToken:authorization_code" not in calls(shop)
    assert fresh.saved == []


def test_a_code_exchanged_with_another_redirect_is_refused(shop: EbayHarness) -> None:
    fresh = new_adapter(shop)

    with pytest.raises(ChannelError) as raised:
        fresh.adapter.exchange_code(consent(fresh.adapter), "https://elsewhere.example/cb")

    assert raised.value.category is ChannelErrorCategory.VALIDATION
    assert raised.value.code == "invalid_grant"


def test_a_used_code_is_refused_as_invalid(shop: EbayHarness) -> None:
    fresh = new_adapter(shop)
    query = consent(fresh.adapter)
    fresh.adapter.exchange_code(query, REDIRECT_URI)

    with pytest.raises(ChannelError) as raised:
        fresh.adapter.exchange_code(query, REDIRECT_URI)

    assert raised.value.category is ChannelErrorCategory.VALIDATION
    assert raised.value.code == "invalid_grant"


def test_a_token_about_to_expire_is_refreshed_before_the_call(connected: Connected) -> None:
    adapter, saved = connected.adapter, connected.saved
    adapter.upsert_listings([listing("LAMP-1")])
    first = saved[-1]

    # Two hours less three minutes later: inside the refresh margin.
    connected.clock.advance(7200 - 180)
    result = adapter.set_quantities([StockLevel("LAMP-1", 3)])

    assert result.accepted == ("LAMP-1",)
    assert len(saved) == 2
    assert saved[-1].access_token != first.access_token
    assert saved[-1].refresh_token == first.refresh_token  # eBay sends no new one
    assert saved[-1].refresh_expires_at == first.refresh_expires_at


def test_a_token_expired_mid_run_is_refreshed_and_the_call_carries_on(
    connected: Connected, shop: EbayHarness
) -> None:
    adapter = connected.adapter
    adapter.upsert_listings([listing(f"LAMP-{n}") for n in range(30)])
    add_fault(shop, path_pattern="bulk_update_price_quantity", expire_token=True, times=1)

    result = adapter.set_quantities([StockLevel(f"LAMP-{n}", 1) for n in range(30)])

    assert len(result.accepted) == 30
    assert calls(shop)["getToken:refresh_token"] == 1
    assert result.calls == 3  # two chunks, one of them sent again after the refresh
    assert len(connected.saved) == 2


def test_a_token_refused_again_after_refresh_is_an_auth_failure(
    connected: Connected, shop: EbayHarness
) -> None:
    add_fault(shop, path_pattern="^/sell/inventory/v1/location", expire_token=True, times=2)

    with pytest.raises(ChannelError) as raised:
        connected.adapter.test_connection()

    assert raised.value.category is ChannelErrorCategory.AUTH_FAILED
    assert calls(shop)["getToken:refresh_token"] == 1


def test_a_revoked_refresh_token_asks_for_a_reconnect(shop: EbayHarness) -> None:
    stale = TokenSet(
        access_token="v^1.1#expired",
        access_expires_at=datetime.fromtimestamp(shop.clock.now - 10, UTC),
        refresh_token="v^1.1#unknown",
    )
    fresh = new_adapter(shop, tokens=stale)

    with pytest.raises(ChannelError) as raised:
        fresh.adapter.test_connection()

    assert raised.value.category is ChannelErrorCategory.AUTH_FAILED
    assert raised.value.code == "invalid_grant"


def test_a_refresh_token_expiring_within_30_days_is_warned_about(
    start_sandbox: StartSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    harness = start_sandbox(refresh_token_ttl=20 * 86_400)
    harness.call("POST", "/location/main-shop", json={"location": {"address": {"country": "GB"}}})

    with caplog.at_level(logging.WARNING, logger="stockbridge.channels.ebay.auth"):
        info = connect(harness).adapter.test_connection()

    assert info.details["refresh_token_expiring_soon"] is True
    assert "reconnect" in info.details["warning"]
    assert any("refresh token expires" in record.message for record in caplog.records)
    assert info.account_id == CLIENT_ID
