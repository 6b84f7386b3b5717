"""Process-wide settings, read once from ``STOCKBRIDGE_*`` environment variables and ``.env``.

An invalid value is reported by :func:`load_settings` as one line naming the variable.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from stockbridge.errors import ConfigurationError

ENV_PREFIX = "STOCKBRIDGE_"
DEFAULT_DATABASE_URL = "sqlite:///var/stockbridge.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    redis_url: str | None = Field(None, description="redis://host:port/db; unset = in-process.")
    queue_name: str = Field(
        "stockbridge",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Name of the job queue (Redis key prefix): one per shop sharing a Redis.",
    )
    sync_max_attempts: int = Field(
        8,
        ge=1,
        le=100,
        description="Runs of a sync job (first try and retries) before it is a dead letter.",
    )
    sync_heartbeat_seconds: float = Field(
        15.0,
        gt=0,
        le=300,
        description="How often a running job notes that its worker is alive.",
    )
    sync_stale_seconds: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="A running job silent this long lost its worker: the sweeper re-queues it.",
    )
    push_coalesce_seconds: float = Field(
        1.0,
        ge=0,
        le=60,
        description="Coalescing window of a channel's pushes: they start this far apart (0: none).",
    )
    encryption_key: str | None = Field(
        None,
        description="Comma-separated Fernet keys (newest first) for secrets at rest.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where marketplaces and browsers reach this server (OAuth, webhooks).",
    )
    # App-level marketplace credentials (one app serves every connected shop); per-shop
    # tokens live encrypted on each channel.
    ebay_client_id: str | None = None
    ebay_client_secret: SecretStr | None = None
    ebay_runame: str | None = Field(None, description="The eBay RuName of the OAuth redirect.")
    shopify_client_id: str | None = None
    shopify_client_secret: SecretStr | None = Field(
        None, description="Also the key that signs Shopify's webhooks."
    )
    webhook_max_body_bytes: int = Field(
        1_048_576, ge=1, description="Largest webhook delivery accepted (bytes); larger is 413."
    )
    webhook_rate_limit_per_minute: int = Field(
        100, ge=1, description="Webhook deliveries accepted per client IP per minute; then 429."
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or CIDR networks of reverse proxies whose "
        "X-Forwarded-For is believed; empty = the direct peer is the client.",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator(
        "ebay_client_id",
        "ebay_client_secret",
        "ebay_runame",
        "shopify_client_id",
        "shopify_client_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        return ",".join(_proxy_entry(entry) for entry in entries)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies, one address or network each (empty: none)."""
        return self.trusted_proxies.split(",") if self.trusted_proxies else []

    @field_validator("encryption_key")
    @classmethod
    def _fernet_keys(cls, value: str | None) -> str | None:
        if not value:
            return None
        for key in value.split(","):
            try:
                Fernet(key.strip())
            except ValueError:
                raise ValueError(
                    "each key must be 32 url-safe base64-encoded bytes (Fernet)"
                ) from None
        return value

    @field_validator("sync_stale_seconds")
    @classmethod
    def _two_heartbeats_at_least(cls, value: float, info: ValidationInfo) -> float:
        # A live worker beats every sync_heartbeat_seconds: with less than two beats'
        # patience, one late heartbeat (a slow commit, a busy database) re-queues it.
        heartbeat = info.data.get("sync_heartbeat_seconds")
        if heartbeat is not None and value < 2 * heartbeat:
            raise ValueError(
                f"must be at least twice STOCKBRIDGE_SYNC_HEARTBEAT_SECONDS ({heartbeat:g} s):"
                f" {value:g} s would take a live job whose heartbeat is late for dead"
            )
        return value

    def ensure_sqlite_directory(self) -> None:
        """Create the folder of a file-based SQLite database (``./var/`` by default)."""
        if self.database_url.startswith("sqlite:///"):
            path = self.database_url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)


def _proxy_entry(entry: str) -> str:
    """One trusted proxy as the proxy-headers middleware reads it. A network with host
    bits set (``10.0.0.5/24``) becomes the network it lies in (``10.0.0.0/24``): the
    middleware parses networks strictly and would take it for a name matching no peer."""
    try:
        if "/" in entry:
            return str(ipaddress.ip_network(entry, strict=False))
        return str(ipaddress.ip_address(entry))
    except ValueError:
        raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the first bad variable and what is wrong with it."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "settings"
    message = first["msg"].removeprefix("Value error, ")
    return f"invalid setting {ENV_PREFIX}{field.upper()}: {message}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigurationError(describe_validation_error(error)) from None
