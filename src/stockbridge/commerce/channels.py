"""Connected marketplace accounts: create, change, test, soft-delete, and connect by OAuth.

A channel row holds the provider key, the owner's settings (``ChannelSettings``) and one
encrypted blob with the shop's credentials and tokens (``{"credentials": ..., "tokens":
...}``, sealed by the :class:`~stockbridge.vault.Vault`). Only this module opens it, to
build the :class:`~stockbridge.channels.registry.ChannelConnection` an adapter needs;
answers show credentials masked.

Network calls (connection tests, OAuth code exchange) happen before the database is
written, never inside a stock transaction. The OAuth ``state`` is a sealed, short-lived
token naming the channel, so starting a flow writes nothing and a forged or stale
``state`` cannot be opened.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockbridge.channels.base import ChannelAdapter, ConnectionInfo, OAuthStart, TokenSet
from stockbridge.channels.registry import ChannelConnection, ChannelProvider, ProviderRegistry
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.db.models import Branch, ChannelStatus, EcomChannel, EcomChannelBranch
from stockbridge.db.types import utcnow
from stockbridge.errors import ChannelError, Conflict, InvalidInput, NotFound
from stockbridge.settings import Settings
from stockbridge.vault import Vault, mask

OAUTH_STATE_SECONDS = 900
SECRET_WORDS = ("token", "secret", "password", "key")


@dataclass(frozen=True)
class ChannelContext:
    """What channel operations need besides the session."""

    settings: Settings
    vault: Vault
    registry: ProviderRegistry

    def callback_url(self, provider: str) -> str:
        return f"{self.settings.public_url}/api/ecom/oauth/{provider}/callback"

    def app_credentials(self, provider: str) -> dict[str, str]:
        """The marketplace app's own keys from settings, merged under each shop's."""
        s = self.settings
        found: dict[str, str | SecretStr | None] = {
            "ebay": {"client_id": s.ebay_client_id, "client_secret": s.ebay_client_secret,
                     "ru_name": s.ebay_runame},
            "shopify": {"client_id": s.shopify_client_id,
                        "client_secret": s.shopify_client_secret},
        }.get(provider, {})  # fmt: skip
        return {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in found.items()
            if value is not None
        }


@dataclass(frozen=True)
class ChannelDraft:
    """A validated create or update request, provider-agnostic."""

    name: str | None = None
    currency: str | None = None
    base_url: str | None = None
    credentials: BaseModel | None = None
    settings: ChannelSettings | None = None
    fields_set: frozenset[str] = field(default_factory=frozenset)


# --- reading ------------------------------------------------------------------------


def get_channel(session: Session, channel_id: int) -> EcomChannel:
    channel = session.get(EcomChannel, channel_id)
    if channel is None or channel.deleted_at is not None:
        raise NotFound(f"channel {channel_id} does not exist", channel_id=channel_id)
    return channel


def list_channels(session: Session, *, page: int, per_page: int) -> tuple[list[EcomChannel], int]:
    live = select(EcomChannel).where(EcomChannel.deleted_at.is_(None))
    total = session.scalar(select(func.count()).select_from(live.subquery())) or 0
    rows = session.scalars(
        live.order_by(EcomChannel.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def channel_settings(channel: EcomChannel) -> ChannelSettings:
    return ChannelSettings.model_validate(
        {
            **channel.config.get("settings", {}),
            "branch_ids": [link.branch_id for link in channel.branches],
            "safety_buffer": channel.safety_buffer,
            "max_listed_qty": channel.max_listed_qty,
        }
    )


def masked_credentials(channel: EcomChannel, vault: Vault) -> dict[str, Any]:
    """The shop's credentials as an answer may show them: secrets masked."""
    if not channel.credentials_encrypted:
        return {}
    opened = vault.open(channel.credentials_encrypted).get("credentials", {})
    return {
        name: mask(str(value)) if any(w in name for w in SECRET_WORDS) and value else value
        for name, value in opened.items()
    }


def connected(channel: EcomChannel, vault: Vault) -> bool:
    return bool(
        channel.credentials_encrypted and vault.open(channel.credentials_encrypted).get("tokens")
    )


# --- the adapter for a channel ------------------------------------------------------


def parse_credentials(provider: ChannelProvider, raw: Mapping[str, Any]) -> BaseModel:
    try:
        return provider.credentials_schema.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "credentials"
        raise InvalidInput(f"credentials.{where}: {first['msg']}") from None


def _secret_dump(credentials: BaseModel) -> dict[str, Any]:
    dumped = credentials.model_dump(mode="json")
    for name, value in credentials:
        if isinstance(value, SecretStr):
            dumped[name] = value.get_secret_value()
    return dumped


def _tokens_json(tokens: TokenSet | None) -> dict[str, Any] | None:
    if tokens is None:
        return None
    return {
        "access_token": tokens.access_token,
        "access_expires_at": _iso(tokens.access_expires_at),
        "refresh_token": tokens.refresh_token,
        "refresh_expires_at": _iso(tokens.refresh_expires_at),
        "scopes": list(tokens.scopes),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _tokens_from(raw: Mapping[str, Any] | None) -> TokenSet | None:
    if not raw:
        return None
    return TokenSet(
        access_token=raw["access_token"],
        access_expires_at=_parse(raw.get("access_expires_at")),
        refresh_token=raw.get("refresh_token"),
        refresh_expires_at=_parse(raw.get("refresh_expires_at")),
        scopes=tuple(raw.get("scopes") or ()),
    )


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def adapter_for(
    ctx: ChannelContext,
    provider_key: str,
    *,
    channel_id: int | None,
    base_url: str | None,
    credentials: Mapping[str, Any],
    tokens: TokenSet | None,
    save_tokens: Any = None,
) -> ChannelAdapter:
    provider = ctx.registry.get(provider_key)
    connection = ChannelConnection(
        channel_id=channel_id,
        base_url=base_url or "",
        credentials={**ctx.app_credentials(provider_key), **credentials},
        tokens=tokens,
        settings={"redis_url": ctx.settings.redis_url},
        save_tokens=save_tokens,
    )
    return provider.connect(connection)


def channel_adapter(ctx: ChannelContext, channel: EcomChannel) -> ChannelAdapter:
    """The adapter of a stored channel; refreshed tokens are sealed back onto the row."""
    opened = ctx.vault.open(channel.credentials_encrypted) if channel.credentials_encrypted else {}

    def save_tokens(tokens: TokenSet) -> None:
        channel.credentials_encrypted = ctx.vault.seal({**opened, "tokens": _tokens_json(tokens)})

    return adapter_for(
        ctx,
        channel.provider,
        channel_id=channel.id,
        base_url=channel.config.get("base_url"),
        credentials=opened.get("credentials", {}),
        tokens=_tokens_from(opened.get("tokens")),
        save_tokens=save_tokens,
    )


# --- writing ------------------------------------------------------------------------


def _apply_settings(session: Session, channel: EcomChannel, settings: ChannelSettings) -> None:
    known = set(session.scalars(select(Branch.id).where(Branch.id.in_(settings.branch_ids))))
    missing = [branch for branch in settings.branch_ids if branch not in known]
    if missing:
        raise InvalidInput(f"settings.branch_ids: branch {missing[0]} does not exist")
    channel.safety_buffer = settings.safety_buffer
    channel.max_listed_qty = settings.max_listed_qty
    channel.config = {**channel.config, "settings": settings.stored_config()}
    channel.branches = [
        EcomChannelBranch(branch_id=branch_id, priority=rank)
        for rank, branch_id in enumerate(settings.branch_ids)
    ]
    channel.branch_id = settings.branch_ids[0] if settings.branch_ids else None


def _verify(adapter: ChannelAdapter) -> ConnectionInfo:
    try:
        return adapter.test_connection()
    except ChannelError as error:
        raise Conflict(
            f"the marketplace refused the connection test ({error.category}): {error.detail}",
            category=str(error.category),
        ) from None


def create_channel(
    session: Session,
    ctx: ChannelContext,
    *,
    provider_key: str,
    name: str,
    currency: str,
    draft: ChannelDraft,
    verify: bool,
) -> EcomChannel:
    provider = ctx.registry.get(provider_key)
    credentials = _secret_dump(draft.credentials) if draft.credentials else {}
    tokens = _initial_tokens(credentials)
    if verify and tokens is not None:
        adapter = adapter_for(
            ctx, provider_key, channel_id=None, base_url=draft.base_url,
            credentials=credentials, tokens=tokens,
        )  # fmt: skip
        _verify(adapter)
        status = ChannelStatus.ACTIVE
    elif tokens is None and provider.capabilities.oauth:
        status = ChannelStatus.AUTH_REQUIRED
    else:
        status = ChannelStatus.PENDING
    channel = EcomChannel(
        name=name,
        provider=provider_key,
        status=status,
        currency=currency,
        config={"base_url": draft.base_url} if draft.base_url else {},
        credentials_encrypted=ctx.vault.seal(
            {"credentials": credentials, "tokens": _tokens_json(tokens)}
        ),
    )
    session.add(channel)
    _apply_settings(session, channel, draft.settings or ChannelSettings())
    session.flush()
    return channel


def _initial_tokens(credentials: Mapping[str, Any]) -> TokenSet | None:
    """A custom-app or pasted token makes a channel usable without OAuth."""
    token = credentials.get("access_token") or credentials.get("refresh_token")
    if not token:
        return None
    return TokenSet(
        access_token=str(credentials.get("access_token") or ""),
        refresh_token=credentials.get("refresh_token"),
    )


def update_channel(
    session: Session, ctx: ChannelContext, channel_id: int, draft: ChannelDraft, *, verify: bool
) -> EcomChannel:
    channel = get_channel(session, channel_id)
    opened = ctx.vault.open(channel.credentials_encrypted) if channel.credentials_encrypted else {}
    if "credentials" in draft.fields_set and draft.credentials is not None:
        credentials = _secret_dump(draft.credentials)
        tokens = _initial_tokens(credentials) or _tokens_from(opened.get("tokens"))
        base_url = (
            draft.base_url if "base_url" in draft.fields_set else channel.config.get("base_url")
        )
        if verify and tokens is not None:
            _verify(adapter_for(ctx, channel.provider, channel_id=channel.id, base_url=base_url,
                                credentials=credentials, tokens=tokens))  # fmt: skip
            channel.status = ChannelStatus.ACTIVE
        channel.credentials_encrypted = ctx.vault.seal(
            {"credentials": credentials, "tokens": _tokens_json(tokens)}
        )
    if "name" in draft.fields_set and draft.name:
        channel.name = draft.name
    if "base_url" in draft.fields_set:
        config = {k: v for k, v in channel.config.items() if k != "base_url"}
        channel.config = {**config, **({"base_url": draft.base_url} if draft.base_url else {})}
    if "settings" in draft.fields_set and draft.settings is not None:
        _apply_settings(session, channel, draft.settings)
    session.flush()
    return channel


def delete_channel(session: Session, channel_id: int) -> None:
    """Soft delete: the row stays for the orders and logs that refer to it."""
    channel = get_channel(session, channel_id)
    channel.deleted_at = utcnow()
    channel.status = ChannelStatus.PAUSED


def test_channel(session: Session, ctx: ChannelContext, channel_id: int) -> ConnectionInfo:
    """Try the stored connection; the outcome is recorded on the channel either way."""
    channel = get_channel(session, channel_id)
    if not connected(channel, ctx.vault):
        raise Conflict(f"channel {channel_id} is not connected yet: start its OAuth flow")
    try:
        info = channel_adapter(ctx, channel).test_connection()
    except ChannelError as error:
        channel.last_error = f"{error.category}: {error.detail}"
        channel.status = (
            ChannelStatus.AUTH_REQUIRED if error.category == "auth_failed" else ChannelStatus.ERROR
        )
        raise Conflict(f"connection test failed ({error.category}): {error.detail}") from None
    channel.status, channel.last_error = ChannelStatus.ACTIVE, None
    return info


# --- OAuth --------------------------------------------------------------------------


def start_oauth(session: Session, ctx: ChannelContext, channel_id: int) -> OAuthStart:
    channel = get_channel(session, channel_id)
    if not ctx.registry.get(channel.provider).capabilities.oauth:
        raise Conflict(f"{channel.provider} channels connect without OAuth")
    state = ctx.vault.seal(
        {"channel_id": channel.id, "provider": channel.provider, "nonce": secrets.token_hex(8)}
    )
    return channel_adapter(ctx, channel).start_oauth(ctx.callback_url(channel.provider), state)


def finish_oauth(
    session: Session, ctx: ChannelContext, provider_key: str, query: Mapping[str, str]
) -> EcomChannel:
    """The marketplace sent the owner back: check ``state``, exchange the code, store tokens."""
    state = query.get("state") or ""
    try:
        opened = ctx.vault.open(state, max_age_seconds=OAUTH_STATE_SECONDS)
    except Exception:
        raise InvalidInput("the OAuth state is unknown or expired: start again") from None
    if opened.get("provider") != provider_key:
        raise InvalidInput("the OAuth state belongs to another marketplace")
    channel = get_channel(session, int(opened["channel_id"]))
    adapter = channel_adapter(ctx, channel)
    try:
        tokens = adapter.exchange_code(query, ctx.callback_url(provider_key))
    except ChannelError as error:
        raise Conflict(f"the marketplace refused the authorisation: {error.detail}") from None
    sealed = ctx.vault.open(channel.credentials_encrypted) if channel.credentials_encrypted else {}
    channel.credentials_encrypted = ctx.vault.seal({**sealed, "tokens": _tokens_json(tokens)})
    channel.status, channel.last_error = ChannelStatus.ACTIVE, None
    session.flush()
    return channel
