"""The adapters that verify webhook deliveries, kept per channel while its secrets last.

Opening a channel's sealed secrets and connecting its adapter for every delivery would
cost more than the rest of the acknowledgement, so a process keeps one
:class:`Verifier` per channel. It is only used while it is current: an entry records
what the adapter was made of (:class:`ChannelStamp`: the provider, the sealed secrets
and the configuration), and :func:`stockbridge.webhooks.ingest.receive` compares that
with the channel's row in the transaction that logs the delivery. Every change of
credentials or tokens re-seals the secrets (a sealed value is never the same twice),
so any such change, in this process or another, makes the entry stale; so does
deleting the channel. A delivery that a cached adapter refuses is checked once more
with the stored secrets before it is refused.

Unknown channel ids are never kept, so the cache holds at most one entry per channel.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from stockbridge.channels.base import ChannelAdapter
from stockbridge.commerce.channels import ChannelContext, get_channel, link_adapter, read_link
from stockbridge.db.models import EcomChannel
from stockbridge.errors import NotFound


@dataclass(frozen=True)
class ChannelStamp:
    """What a channel's verifying adapter is made of, as its row holds it now."""

    provider: str
    credentials_encrypted: str | None
    config: dict[str, Any]
    deleted_at: datetime | None


_CHANNELS = cast(Table, EcomChannel.__table__)
#: A Core statement (no ORM entity to load): read for every delivery.
READ_STAMP = select(
    _CHANNELS.c.provider,
    _CHANNELS.c.credentials_encrypted,
    _CHANNELS.c.config,
    _CHANNELS.c.deleted_at,
).where(_CHANNELS.c.id == bindparam("channel_id"))


def read_stamp(session: Session, channel_id: int) -> ChannelStamp | None:
    """The channel's stamp (one primary-key read of four columns); None if there is none."""
    row = session.execute(READ_STAMP, {"channel_id": channel_id}).first()
    return ChannelStamp(*row) if row is not None else None


def stamp_of(channel: EcomChannel) -> ChannelStamp:
    return ChannelStamp(
        channel.provider, channel.credentials_encrypted, dict(channel.config), channel.deleted_at
    )


@dataclass(frozen=True)
class Verifier:
    channel_id: int
    stamp: ChannelStamp
    adapter: ChannelAdapter


class Verifiers:
    """One process's current verifier per channel."""

    def __init__(self, ctx: ChannelContext) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._known: dict[int, Verifier] = {}

    def cached(self, channel_id: int) -> Verifier | None:
        with self._lock:
            return self._known.get(channel_id)

    def load(self, session: Session, channel_id: int, provider: str) -> Verifier:
        """The channel's adapter made afresh from its row (and kept); 404 if the channel
        is missing, deleted or not of ``provider``. Opens no connection to the marketplace."""
        channel = get_channel(session, channel_id)
        if channel.provider != provider:
            raise NotFound(f"channel {channel_id} is not a {provider} channel")
        verifier = Verifier(
            channel_id, stamp_of(channel), link_adapter(self._ctx, read_link(self._ctx, channel))
        )
        with self._lock:
            self._known[channel_id] = verifier
        return verifier

    def forget(self, channel_id: int) -> None:
        with self._lock:
            self._known.pop(channel_id, None)
