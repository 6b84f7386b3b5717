"""Which function runs a job of each kind: a small registry, kind -> handler.

A handler takes the :class:`~stockbridge.sync.context.JobRun` and returns the job's
counts (or ``None`` to keep those gathered with ``run.count``); raising fails the job
with the error. The scheduler only schedules kinds that have a handler, so a kind whose
handler is not written yet is never queued periodically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from stockbridge.channels.registry import registry
from stockbridge.commerce.channels import ChannelContext
from stockbridge.db.models import JobKind
from stockbridge.settings import Settings, get_settings
from stockbridge.sync.cleanup import prune_finished_jobs
from stockbridge.sync.context import JobRun
from stockbridge.sync.order_poll import OrderPoll
from stockbridge.sync.publish import publish_listings
from stockbridge.sync.push import push_handler
from stockbridge.sync.reconcile import reconcile_handler
from stockbridge.sync.token_refresh import TokenRefresh
from stockbridge.vault import Vault
from stockbridge.webhooks.processing import webhook_handler

Handler = Callable[[JobRun], Mapping[str, int] | None]


class JobHandlers:
    def __init__(self) -> None:
        self._handlers: dict[JobKind, Handler] = {}

    def register(self, kind: JobKind) -> Callable[[Handler], Handler]:
        """Decorator: ``@handlers.register(JobKind.INVENTORY)``."""

        def decorator(handler: Handler) -> Handler:
            self.add(kind, handler)
            return handler

        return decorator

    def add(self, kind: JobKind, handler: Handler) -> None:
        if kind in self._handlers:
            raise ValueError(f"jobs of kind {kind.value!r} already have a handler")
        self._handlers[kind] = handler

    def get(self, kind: JobKind) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> frozenset[JobKind]:
        return frozenset(self._handlers)


def default_handlers(channels: ChannelContext | Settings | None = None) -> JobHandlers:
    """The handlers every queue starts with; a new job kind adds its line here.

    Handlers that call marketplaces open the channels' secrets through ``channels``: a
    ``ChannelContext``, or the settings to build one on the built-in provider registry
    (default: the process's settings).
    """
    if not isinstance(channels, ChannelContext):
        settings = channels or get_settings()
        channels = ChannelContext(settings, Vault(settings.encryption_key), registry)
    handlers = JobHandlers()
    handlers.add(JobKind.CLEANUP, prune_finished_jobs)
    handlers.add(JobKind.ORDERS, OrderPoll(channels))
    handlers.add(JobKind.LISTINGS, partial(publish_listings, channels=channels))
    push = push_handler(channels)
    handlers.add(JobKind.INVENTORY, push)
    handlers.add(JobKind.PRICES, push)
    handlers.add(JobKind.RECONCILE, reconcile_handler(channels))
    handlers.add(JobKind.WEBHOOK, webhook_handler(channels))
    handlers.add(JobKind.TOKENS, TokenRefresh(channels))
    return handlers
