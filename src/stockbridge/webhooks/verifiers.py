"""The adapters that verify webhook deliveries, kept per channel while its secrets last.

Opening a channel's sealed secrets and connecting its adapter for every delivery would
cost more than the rest of the acknowledgement, so a process keeps one
:class:`Verifier` per channel. It is only used while it is current: an entry records
what the adapter was made of (:class:`ChannelStamp`: the provider, the sealed secrets
and the configuration), and :func:`stockbridge.webhooks.ingest.receive_many` compares that
with the channel's row in the transaction that logs the delivery. Every change of
credentials or tokens re-seals the secrets (a sealed value is never the same twice),
so any such change, in this process or another, makes the entry stale; so does
deleting the channel. A delivery that a cached adapter refuses is checked once more
with the stored secrets before it is refused.

Unknown channel ids are never kept, so the cache holds at most one entry per channel.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from stockbridge.channels.base import ChannelAdapter
from stockbridge.commerce.channels import ChannelContext, get_channel, link_adapter, read_link
from stockbridge.db.models import EcomChannel


@dataclass(frozen=True)
class ChannelStamp:
    """What a channel's verifying adapter is made of, as its row holds it now."""

    provider: str
    credentials_encrypted: str | None
    config: dict[str, Any]
    deleted_at: datetime | None


_CHANNELS = cast(Table, EcomChannel.__table__)
#: A Core statement (no ORM entity to load): read for every transaction that logs.
_READ_STAMPS = select(
    _CHANNELS.c.id,
    _CHANNELS.c.provider,
    _CHANNELS.c.credentials_encrypted,
    _CHANNELS.c.config,
    _CHANNELS.c.deleted_at,
).where(_CHANNELS.c.id.in_(bindparam("channel_ids", expanding=True)))


def read_stamps(session: Session, channel_ids: Collection[int]) -> dict[int, ChannelStamp]:
    """The channels' stamps (one read by primary key); a channel not there has none."""
    if not channel_ids:
        return {}
    rows = session.execute(_READ_STAMPS, {"channel_ids": sorted(channel_ids)})
    return {channel_id: ChannelStamp(*stamp) for channel_id, *stamp in rows}


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

    def load(self, session: Session, channel_id: int) -> Verifier:
        """The channel's adapter made afresh from its row (and kept); NotFound if the
        channel is missing or deleted. Opens no connection to the marketplace."""
        channel = get_channel(session, channel_id)
        verifier = Verifier(
            channel_id, stamp_of(channel), link_adapter(self._ctx, read_link(self._ctx, channel))
        )
        with self._lock:
            self._known[channel_id] = verifier
        return verifier

    def forget(self, channel_id: int) -> None:
        with self._lock:
            self._known.pop(channel_id, None)
