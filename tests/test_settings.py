"""Settings from ``STOCKBRIDGE_*`` variables and ``.env``: defaults, checks, one-line errors."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stockbridge.errors import ConfigurationError
from stockbridge.settings import (
    DEFAULT_DATABASE_URL,
    ENV_PREFIX,
    Settings,
    get_settings,
)


def fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No outside variable or ``.env`` file; get_settings reads afresh in every test."""
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(f"{ENV_PREFIX}{name.upper()}", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_run_the_embedded_setup() -> None:
    settings = get_settings()

    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///var/stockbridge.db"
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8000, "INFO")
    assert (settings.redis_url, settings.encryption_key) == (None, None)


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = f"{fernet_key()}, {fernet_key()}"
    monkeypatch.setenv("STOCKBRIDGE_DATABASE_URL", "postgresql+psycopg://shop@db/shop")
    monkeypatch.setenv("STOCKBRIDGE_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("STOCKBRIDGE_ENCRYPTION_KEY", keys)
    monkeypatch.setenv("STOCKBRIDGE_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("STOCKBRIDGE_PORT", "9000")

    settings = get_settings()

    assert settings.database_url == "postgresql+psycopg://shop@db/shop"
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.encryption_key == keys
    assert (settings.log_level, settings.port) == ("DEBUG", 9000)


def test_trusted_proxies_are_addresses_and_networks_separated_by_commas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert get_settings().trusted_proxy_list == []
    get_settings.cache_clear()
    monkeypatch.setenv("STOCKBRIDGE_TRUSTED_PROXIES", " 10.0.0.0/8, 127.0.0.1 ,::1,")

    assert get_settings().trusted_proxy_list == ["10.0.0.0/8", "127.0.0.1", "::1"]


def test_a_trusted_network_with_host_bits_set_is_the_network_it_lies_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Written as the proxy-headers middleware parses it (strictly), or it trusts nothing.
    monkeypatch.setenv("STOCKBRIDGE_TRUSTED_PROXIES", "10.0.0.5/24, 2001:db8::1/64, 0:0::1")

    assert get_settings().trusted_proxy_list == ["10.0.0.0/24", "2001:db8::/64", "::1"]


def test_the_log_level_may_be_written_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKBRIDGE_LOG_LEVEL", " warning ")
    assert get_settings().log_level == "WARNING"


def test_a_plain_postgresql_url_gets_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKBRIDGE_DATABASE_URL", "postgresql://shop@db/shop")

    assert get_settings().database_url == "postgresql+psycopg://shop@db/shop"


def test_empty_optional_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in .env.example, where the optional variables are present but empty.
    monkeypatch.setenv("STOCKBRIDGE_REDIS_URL", "")
    monkeypatch.setenv("STOCKBRIDGE_ENCRYPTION_KEY", "")
    monkeypatch.setenv("STOCKBRIDGE_EBAY_CLIENT_SECRET", "")
    monkeypatch.setenv("STOCKBRIDGE_SHOPIFY_CLIENT_ID", " ")

    settings = get_settings()

    assert (settings.redis_url, settings.encryption_key) == (None, None)
    assert (settings.ebay_client_secret, settings.shopify_client_id) == (None, None)


def test_marketplace_secrets_never_show_in_their_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKBRIDGE_SHOPIFY_CLIENT_SECRET", "shpss_topsecret")

    settings = get_settings()

    assert "shpss_topsecret" not in repr(settings)
    assert settings.shopify_client_secret is not None
    assert settings.shopify_client_secret.get_secret_value() == "shpss_topsecret"


def test_a_dotenv_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("STOCKBRIDGE_PORT=9001\nSTOCKBRIDGE_HOST=0.0.0.0\n")
    monkeypatch.setenv("STOCKBRIDGE_HOST", "127.0.0.5")

    settings = get_settings()

    assert (settings.port, settings.host) == (9001, "127.0.0.5")


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("DATABASE_URL", "mysql://x", "must start with sqlite:// or postgresql+psycopg://"),
        ("PORT", "abc", "Input should be a valid integer, unable to parse string as an integer"),
        ("PORT", "0", "Input should be greater than or equal to 1"),
        ("PORT", "70000", "Input should be less than or equal to 65535"),
        ("ENCRYPTION_KEY", "short", "each key must be 32 url-safe base64-encoded bytes (Fernet)"),
        ("ENCRYPTION_KEY", f"{fernet_key()},short", "each key must be 32 url-safe base64-encoded"),
        ("REDIS_URL", "http://cache", "must start with redis://, rediss:// or unix://"),
        ("LOG_LEVEL", "LOUD", "Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ("PUBLIC_URL", "shop.example", "must start with http:// or https://"),
        ("TRUSTED_PROXIES", "10.0.0.1, proxy.lan", "'proxy.lan' is not an IP address or CIDR"),
    ],
)
def test_an_invalid_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(f"STOCKBRIDGE_{variable}", value)

    with pytest.raises(ConfigurationError) as raised:
        get_settings()

    message = raised.value.detail
    assert message.startswith(f"invalid setting STOCKBRIDGE_{variable}: {problem}")
    assert "\n" not in message


def test_settings_are_read_once_until_the_cache_is_cleared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = get_settings()
    monkeypatch.setenv("STOCKBRIDGE_PORT", "9002")

    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().port == 9002


def test_ensure_sqlite_directory_creates_the_database_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "shop.db"

    Settings(database_url=f"sqlite:///{path}").ensure_sqlite_directory()
    Settings(database_url="sqlite:///:memory:").ensure_sqlite_directory()
    Settings(database_url="postgresql+psycopg://shop@db/shop").ensure_sqlite_directory()

    assert path.parent.is_dir()
    assert not path.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "a"]


@pytest.mark.parametrize(("heartbeat", "stale"), [("10", "10"), ("15", "16"), ("15", "29.5")])
def test_a_running_job_is_not_taken_for_dead_after_one_late_heartbeat(
    monkeypatch: pytest.MonkeyPatch, heartbeat: str, stale: str
) -> None:
    monkeypatch.setenv("STOCKBRIDGE_SYNC_HEARTBEAT_SECONDS", heartbeat)
    monkeypatch.setenv("STOCKBRIDGE_SYNC_STALE_SECONDS", stale)

    with pytest.raises(ConfigurationError) as raised:
        get_settings()

    assert raised.value.detail == (
        "invalid setting STOCKBRIDGE_SYNC_STALE_SECONDS: must be at least twice "
        f"STOCKBRIDGE_SYNC_HEARTBEAT_SECONDS ({heartbeat} s): {stale} s would take a live "
        "job whose heartbeat is late for dead"
    )


def test_the_stale_timeout_may_be_two_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (get_settings().sync_heartbeat_seconds, get_settings().sync_stale_seconds) == (15, 120)
    get_settings.cache_clear()
    monkeypatch.setenv("STOCKBRIDGE_SYNC_HEARTBEAT_SECONDS", "15")
    monkeypatch.setenv("STOCKBRIDGE_SYNC_STALE_SECONDS", "30")

    assert (get_settings().sync_heartbeat_seconds, get_settings().sync_stale_seconds) == (15, 30)


@pytest.mark.parametrize("heartbeat", ["0", "301"])
def test_the_heartbeat_is_more_than_0_and_at_most_300_seconds(
    monkeypatch: pytest.MonkeyPatch, heartbeat: str
) -> None:
    monkeypatch.setenv("STOCKBRIDGE_SYNC_HEARTBEAT_SECONDS", heartbeat)

    with pytest.raises(ConfigurationError) as raised:
        get_settings()

    assert raised.value.detail.startswith("invalid setting STOCKBRIDGE_SYNC_HEARTBEAT_SECONDS")
