"""Connected marketplace accounts: create, change, test, soft-delete, and connect by OAuth.

A channel row holds the provider key, the owner's settings (``ChannelSettings``) and one
encrypted blob with the shop's credentials and tokens (``{"credentials": ..., "tokens":
...}``, sealed by the :class:`~stockbridge.vault.Vault`). Only this module opens it, to
build the :class:`~stockbridge.channels.registry.ChannelConnection` an adapter needs;
answers show credentials masked.

No marketplace call happens inside a database transaction: what an adapter needs is
read out as a :class:`ChannelLink` in one short transaction, the call is made with no
transaction open, and its outcome (status, error, refreshed tokens) is written in
another. The OAuth ``state`` is a sealed, short-lived token naming the channel, so
starting a flow writes nothing and a forged or stale ``state`` cannot be opened.
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
from stockbridge.errors import (
    ChannelError,
    ChannelErrorCategory,
    Conflict,
    InvalidInput,
    NotFound,
    StockbridgeError,
)
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
        found: dict[str, str] = {}
        for name, setting in APP_CREDENTIALS.get(provider, {}).items():
            value = getattr(self.settings, setting)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if value:
                found[name] = value
        return found


#: Per provider: credential field -> the setting that supplies it for every shop.
APP_CREDENTIALS: dict[str, dict[str, str]] = {
    "ebay": {
        "client_id": "ebay_client_id",
        "client_secret": "ebay_client_secret",
        "ru_name": "ebay_runame",
    },
    "shopify": {"client_id": "shopify_client_id", "client_secret": "shopify_client_secret"},
}


@dataclass(frozen=True)
class ChannelDraft:
    """A validated create or update request, provider-agnostic."""

    name: str | None = None
    currency: str | None = None
    base_url: str | None = None
    #: The shop's own credentials, checked by :func:`shop_credentials`.
    credentials: Mapping[str, Any] | None = None
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


def access_expires_at(channel: EcomChannel, vault: Vault) -> datetime | None:
    """When the channel's stored access token runs out; ``None`` if it never does (a
    Shopify offline token) or none is stored."""
    if not channel.credentials_encrypted:
        return None
    tokens = _tokens_from(vault.open(channel.credentials_encrypted).get("tokens"))
    return tokens.access_expires_at if tokens is not None else None


# --- the adapter for a channel ------------------------------------------------------


def shop_credentials(
    ctx: ChannelContext, provider: ChannelProvider, given: BaseModel | Mapping[str, Any]
) -> dict[str, Any]:
    """What one shop gave, checked against the provider's schema with the app's own keys
    (from settings) merged in; only the shop's part is returned, to be stored."""
    raw = _plain(given)
    try:
        provider.credentials_schema.model_validate({**ctx.app_credentials(provider.key), **raw})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "credentials"
        raise InvalidInput(f"credentials.{where}: {first['msg']}") from None
    return raw


def _plain(given: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(given, BaseModel):
        return dict(given)
    dumped = given.model_dump(mode="json", exclude_unset=True)
    for name in dumped:
        value = getattr(given, name)
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


@dataclass(frozen=True)
class ChannelLink:
    """What an adapter needs of a channel, read out so no session is open meanwhile."""

    channel_id: int | None
    provider: str
    base_url: str | None
    credentials: Mapping[str, Any]
    tokens: TokenSet | None
    #: The channel's marketplace settings (``ChannelSettings.marketplace``).
    settings: Mapping[str, Any] = field(default_factory=dict)


def read_link(ctx: ChannelContext, channel: EcomChannel) -> ChannelLink:
    opened = ctx.vault.open(channel.credentials_encrypted) if channel.credentials_encrypted else {}
    return ChannelLink(
        channel_id=channel.id,
        provider=channel.provider,
        base_url=channel.config.get("base_url"),
        credentials=opened.get("credentials", {}),
        tokens=_tokens_from(opened.get("tokens")),
        settings=channel.config.get("settings", {}).get("marketplace", {}),
    )


def link_adapter(
    ctx: ChannelContext, link: ChannelLink, refreshed: list[TokenSet] | None = None
) -> ChannelAdapter:
    """The adapter for ``link``; tokens it refreshes are appended to ``refreshed``."""
    provider = ctx.registry.get(link.provider)
    connection = ChannelConnection(
        channel_id=link.channel_id,
        base_url=link.base_url or "",
        credentials={**ctx.app_credentials(link.provider), **link.credentials},
        tokens=link.tokens,
        settings={**link.settings, "redis_url": ctx.settings.redis_url},
        save_tokens=refreshed.append if refreshed is not None else None,
    )
    return provider.connect(connection)


def store_tokens(ctx: ChannelContext, channel: EcomChannel, tokens: TokenSet) -> None:
    opened = ctx.vault.open(channel.credentials_encrypted) if channel.credentials_encrypted else {}
    channel.credentials_encrypted = ctx.vault.seal({**opened, "tokens": _tokens_json(tokens)})


def keep_refreshed(
    session: Session,
    ctx: ChannelContext,
    channel_id: int,
    refreshed: list[TokenSet],
    *,
    started: TokenSet | None,
) -> bool:
    """Store the newest tokens an adapter refreshed during a job (see :func:`link_adapter`)
    and empty the list, so the channel's next job starts from them instead of refreshing
    again; whether they were stored.

    ``started`` are the tokens the job read (its link's): the refresh is stored only while
    the channel still holds that grant. An owner who re-authorised during a long job keeps
    the new grant rather than the job's refresh of the old one, which may be revoked. The
    row is locked for the check and the write (``FOR UPDATE``; SQLite serialises writers),
    so an OAuth callback cannot commit in between."""
    if not refreshed:
        return False
    newest = refreshed[-1]
    refreshed.clear()
    channel = _locked_channel(session, channel_id)
    if not _same_grant(ctx, channel, started, newest):
        return False
    store_tokens(ctx, channel, newest)
    return True


def _locked_channel(session: Session, channel_id: int) -> EcomChannel:
    channel = session.get(EcomChannel, channel_id, with_for_update=True, populate_existing=True)
    if channel is None or channel.deleted_at is not None:
        raise NotFound(f"channel {channel_id} does not exist", channel_id=channel_id)
    return channel


def _same_grant(
    ctx: ChannelContext, channel: EcomChannel, started: TokenSet | None, newest: TokenSet
) -> bool:
    """The channel still holds the grant ``newest`` was refreshed from: its stored refresh
    token is the one the job started with, or (stored by an earlier batch of the job, or by
    another job of the channel) the one ``newest`` carries."""
    opened = ctx.vault.open(channel.credentials_encrypted) if channel.credentials_encrypted else {}
    stored = _tokens_from(opened.get("tokens"))
    stored_refresh = stored.refresh_token if stored is not None else None
    return stored_refresh in {started.refresh_token if started else None, newest.refresh_token}


def _verify(ctx: ChannelContext, link: ChannelLink) -> ConnectionInfo:
    """Test a connection (network; call with no transaction open); 409 if refused."""
    try:
        return link_adapter(ctx, link).test_connection()
    except ChannelError as error:
        raise Conflict(
            f"the marketplace refused the connection test ({error.category}): {error.detail}",
            category=str(error.category),
        ) from None


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


def new_link(ctx: ChannelContext, provider_key: str, draft: ChannelDraft) -> ChannelLink:
    """The link a create request describes, checked against the provider's registry."""
    ctx.registry.get(provider_key)
    credentials = dict(draft.credentials or {})
    return ChannelLink(
        channel_id=None,
        provider=provider_key,
        base_url=draft.base_url,
        credentials=credentials,
        tokens=_initial_tokens(credentials),
        settings=draft.settings.marketplace if draft.settings is not None else {},
    )


def verify_link(ctx: ChannelContext, link: ChannelLink) -> ConnectionInfo | None:
    """Test a link that has tokens (network: no transaction may be open); None without."""
    return _verify(ctx, link) if link.tokens is not None else None


def create_channel(
    session: Session,
    ctx: ChannelContext,
    *,
    link: ChannelLink,
    name: str,
    currency: str,
    settings: ChannelSettings,
    verified: bool,
) -> EcomChannel:
    """Save a channel; ``verified`` says its connection test passed just before."""
    if verified:
        status = ChannelStatus.ACTIVE
    elif link.tokens is None and ctx.registry.get(link.provider).capabilities.oauth:
        status = ChannelStatus.AUTH_REQUIRED
    else:
        status = ChannelStatus.PENDING
    channel = EcomChannel(
        name=name,
        provider=link.provider,
        status=status,
        currency=currency,
        config={"base_url": link.base_url} if link.base_url else {},
        credentials_encrypted=ctx.vault.seal(
            {"credentials": dict(link.credentials), "tokens": _tokens_json(link.tokens)}
        ),
    )
    session.add(channel)
    _apply_settings(session, channel, settings)
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


def updated_link(ctx: ChannelContext, channel: EcomChannel, draft: ChannelDraft) -> ChannelLink:
    """The link the channel will have after ``draft``: new credentials keep stored tokens
    unless they carry their own."""
    link = read_link(ctx, channel)
    base_url = draft.base_url if "base_url" in draft.fields_set else link.base_url
    if "credentials" not in draft.fields_set or draft.credentials is None:
        credentials: Mapping[str, Any] = link.credentials
        tokens = link.tokens
    else:
        credentials = dict(draft.credentials)
        tokens = _initial_tokens(credentials) or link.tokens
    settings = draft.settings.marketplace if draft.settings is not None else link.settings
    return ChannelLink(link.channel_id, link.provider, base_url, credentials, tokens, settings)


def update_channel(
    session: Session,
    ctx: ChannelContext,
    channel_id: int,
    draft: ChannelDraft,
    *,
    link: ChannelLink,
    verified: bool,
) -> EcomChannel:
    """Apply ``draft``; ``link`` is :func:`updated_link` of it, verified or not just before."""
    channel = get_channel(session, channel_id)
    if "credentials" in draft.fields_set and draft.credentials is not None:
        channel.credentials_encrypted = ctx.vault.seal(
            {"credentials": dict(link.credentials), "tokens": _tokens_json(link.tokens)}
        )
        if verified:
            channel.status, channel.last_error = ChannelStatus.ACTIVE, None
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


@dataclass(frozen=True)
class ConnectionCheck:
    """The outcome of calling the marketplace with a stored channel's tokens."""

    info: ConnectionInfo | None
    error: ChannelError | None
    refreshed: TokenSet | None
    #: The tokens the check started from (see :func:`keep_refreshed`).
    started: TokenSet | None = None


def check_link(ctx: ChannelContext, link: ChannelLink) -> ConnectionCheck:
    """Call the marketplace (network: no transaction may be open)."""
    refreshed: list[TokenSet] = []
    try:
        info = link_adapter(ctx, link, refreshed).test_connection()
    except ChannelError as error:
        return ConnectionCheck(None, error, refreshed[-1] if refreshed else None, link.tokens)
    return ConnectionCheck(info, None, refreshed[-1] if refreshed else None, link.tokens)


def connected_link(session: Session, ctx: ChannelContext, channel_id: int) -> ChannelLink:
    channel = get_channel(session, channel_id)
    if not connected(channel, ctx.vault):
        raise Conflict(f"channel {channel_id} is not connected yet: start its OAuth flow")
    return read_link(ctx, channel)


def record_check(
    session: Session, ctx: ChannelContext, channel_id: int, check: ConnectionCheck
) -> None:
    """Write what a check found (status, error, refreshed tokens), failed or not."""
    if check.refreshed is not None:
        keep_refreshed(session, ctx, channel_id, [check.refreshed], started=check.started)
    channel = get_channel(session, channel_id)
    if check.error is None:
        channel.status, channel.last_error = ChannelStatus.ACTIVE, None
        return
    error = check.error
    channel.last_error = f"{error.category}: {error.detail}"
    channel.status = (
        ChannelStatus.AUTH_REQUIRED
        if error.category is ChannelErrorCategory.AUTH_FAILED
        else ChannelStatus.ERROR
    )


def require_reconnect(session: Session, channel_id: int, error: ChannelError) -> None:
    """A job found the channel's credentials refused: it waits for the owner to reconnect.

    Reconnecting (the OAuth callback, new credentials, a passing connection test) makes
    it active again."""
    channel = session.get(EcomChannel, channel_id)
    if channel is None or channel.deleted_at is not None:
        return
    channel.status = ChannelStatus.AUTH_REQUIRED
    channel.last_error = f"{error.category}: {error.detail}"


def check_outcome(check: ConnectionCheck) -> ConnectionInfo:
    """The account found, or 409 with the marketplace's reason (after it was recorded)."""
    if check.error is not None:
        raise Conflict(
            f"connection test failed ({check.error.category}): {check.error.detail}",
            category=str(check.error.category),
        )
    assert check.info is not None
    return check.info


# --- OAuth --------------------------------------------------------------------------


def start_oauth(session: Session, ctx: ChannelContext, channel_id: int) -> OAuthStart:
    """Where to send the owner; builds a URL only (no marketplace call)."""
    channel = get_channel(session, channel_id)
    if not ctx.registry.get(channel.provider).capabilities.oauth:
        raise Conflict(f"{channel.provider} channels connect without OAuth")
    state = ctx.vault.seal(
        {"channel_id": channel.id, "provider": channel.provider, "nonce": secrets.token_hex(8)}
    )
    return link_adapter(ctx, read_link(ctx, channel)).start_oauth(
        ctx.callback_url(channel.provider), state
    )


def oauth_channel_id(ctx: ChannelContext, provider_key: str, query: Mapping[str, str]) -> int:
    """The channel a callback's ``state`` was sealed for; 422 if forged, stale or foreign."""
    try:
        opened = ctx.vault.open(query.get("state") or "", max_age_seconds=OAUTH_STATE_SECONDS)
    except StockbridgeError:
        raise InvalidInput("the OAuth state is unknown or expired: start again") from None
    if opened.get("provider") != provider_key:
        raise InvalidInput("the OAuth state belongs to another marketplace")
    return int(opened["channel_id"])


def exchange_code(ctx: ChannelContext, link: ChannelLink, query: Mapping[str, str]) -> TokenSet:
    """Trade the callback's code for tokens (network: no transaction may be open)."""
    try:
        return link_adapter(ctx, link).exchange_code(query, ctx.callback_url(link.provider))
    except ChannelError as error:
        raise Conflict(f"the marketplace refused the authorisation: {error.detail}") from None


def connect_tokens(
    session: Session, ctx: ChannelContext, channel_id: int, tokens: TokenSet
) -> EcomChannel:
    channel = _locked_channel(session, channel_id)  # after a job's keep_refreshed, not amid it
    store_tokens(ctx, channel, tokens)
    channel.status, channel.last_error = ChannelStatus.ACTIVE, None
    session.flush()
    return channel


def rotate_secrets(session: Session, vault: Vault) -> int:
    """Re-seal every channel's secrets with the newest key; returns how many were."""
    rotated = 0
    for channel in session.scalars(
        select(EcomChannel).where(EcomChannel.credentials_encrypted.is_not(None))
    ):
        assert channel.credentials_encrypted is not None
        channel.credentials_encrypted = vault.rotate(channel.credentials_encrypted)
        rotated += 1
    return rotated
