"""Shapes of ``/api/ecom/channels``: the create body is one variant per provider.

The variants are built from the provider registry when the application is created, so
a third-party provider's credential schema is part of the API (and of its OpenAPI
document) like the built-in ones, discriminated by ``provider``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, create_model, field_validator

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.channels.registry import ProviderRegistry
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.commerce.channels import APP_CREDENTIALS
from stockbridge.db.models import ChannelStatus
from stockbridge.money import validate_currency

BASE_URL_HELP = (
    "Where the marketplace answers: leave out for its production API; give its own "
    "developer sandbox or a stockbridge sandbox URL (`stockbridge sandbox ...`) to test."
)


class ChannelCreateBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. EUR.")
    base_url: AnyHttpUrl | None = Field(None, description=BASE_URL_HELP)
    settings: ChannelSettings = Field(default_factory=ChannelSettings)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return validate_currency(value)


class ChannelUpdate(BaseModel):
    """Only the fields given change; ``credentials`` replaces the stored ones whole."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=120)
    base_url: AnyHttpUrl | None = Field(None, description=BASE_URL_HELP)
    credentials: dict[str, Any] | None = Field(
        None, description="In the schema of the channel's provider."
    )
    settings: ChannelSettings | None = None


class ChannelPublic(PublicModel):
    id: int
    name: str
    provider: str
    status: ChannelStatus
    currency: str
    base_url: str | None
    connected: bool = Field(description="Tokens are stored: the channel can talk.")
    credentials: dict[str, Any] = Field(description="Secrets masked.")
    settings: ChannelSettings
    last_sync_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class ChannelsPublic(PagePublic[ChannelPublic]):
    pass


class ChannelQuery(PageQuery):
    pass


class ConnectionTestPublic(BaseModel):
    ok: bool
    account_id: str
    account_name: str
    currency: str | None


class OAuthStartPublic(BaseModel):
    authorization_url: str


def shop_credentials_type(key: str, schema: type[BaseModel]) -> type[BaseModel]:
    """The provider's credentials as a shop gives them: the app's own keys, which settings
    supply (``APP_CREDENTIALS``), may be left out."""
    optional: dict[str, Any] = {
        name: (Optional[schema.model_fields[name].annotation], None)  # noqa: UP045
        for name in APP_CREDENTIALS.get(key, {})
        if name in schema.model_fields
    }
    if not optional:
        return schema
    return create_model(f"{_title(key)}ShopCredentials", __base__=schema, **optional)


def _title(key: str) -> str:
    return "".join(part.title() for part in key.split("_"))


def channel_create_type(registry: ProviderRegistry) -> Any:
    """The create body: ``{provider, credentials, ...}`` with one variant per provider."""
    variants: list[type[BaseModel]] = []
    for key in registry.known():
        provider = registry.get(key)
        variants.append(
            create_model(
                f"{_title(key)}ChannelCreate",
                __base__=ChannelCreateBase,
                provider=(Literal[key], ...),  # type: ignore[arg-type]
                credentials=(shop_credentials_type(key, provider.credentials_schema), ...),
            )
        )
    if not variants:
        return create_model(
            "ChannelCreate",
            __base__=ChannelCreateBase,
            provider=(str, ...),
            credentials=(dict[str, Any], Field(default_factory=dict)),
        )
    if len(variants) == 1:
        return variants[0]
    return Annotated[Union[tuple(variants)], Field(discriminator="provider")]  # noqa: UP007
