"""Provider name -> provider, for the built-in marketplaces and third-party ones.

A provider declares the facts of one marketplace (its key, its capabilities, the schema
of a shop's credentials) and makes an adapter for one shop's :class:`ChannelConnection`.
Third-party packages add providers through the entry-point group ``stockbridge.channels``
(see docs/providers.md); each entry point names a provider object or a zero-argument
callable returning one. Built-in providers register themselves when their package is
imported by :func:`load_builtin_providers`.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from stockbridge.channels.base import Capabilities, ChannelAdapter, TokenSet
from stockbridge.errors import ConfigurationError, NotFound

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "stockbridge.channels"
#: Modules whose import registers a built-in provider (adapters land one folder each).
BUILTIN_MODULES: tuple[str, ...] = ("stockbridge.channels.ebay", "stockbridge.channels.shopify")


@dataclass(frozen=True)
class ChannelConnection:
    """Everything an adapter needs for one shop, decrypted, with no database in sight.

    ``base_url`` is where the marketplace answers (production, its own developer
    sandbox, or a stockbridge sandbox). ``save_tokens`` is called with new tokens after
    a refresh so the caller can store them encrypted.
    """

    channel_id: int | None
    base_url: str
    credentials: Mapping[str, Any]
    tokens: TokenSet | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    save_tokens: Callable[[TokenSet], None] | None = None


@runtime_checkable
class ChannelProvider(Protocol):
    key: str
    display_name: str
    capabilities: Capabilities
    credentials_schema: type[BaseModel]

    def connect(self, connection: ChannelConnection) -> ChannelAdapter: ...


class ProviderRegistry:
    """The providers one process knows; thread-safe, filled once on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Held for the whole discovery, so a caller meanwhile waits for every provider.
        # Re-entrant: a provider's import may itself look one up.
        self._discovery = threading.RLock()
        self._providers: dict[str, ChannelProvider] = {}
        self._discovered = self._discovering = False

    def register(self, provider: ChannelProvider) -> None:
        if not isinstance(provider, ChannelProvider):
            raise ConfigurationError(f"{provider!r} is not a channel provider")
        with self._lock:
            known = self._providers.get(provider.key)
            if known is not None and known is not provider:
                raise ConfigurationError(f"channel provider {provider.key!r} is registered twice")
            self._providers[provider.key] = provider

    def get(self, key: str) -> ChannelProvider:
        self.discover()
        with self._lock:
            provider = self._providers.get(key)
        if provider is None:
            raise NotFound(f"no channel provider {key!r}; known: {', '.join(self.known()) or '-'}")
        return provider

    def known(self) -> list[str]:
        """Every provider's key, the built-in and installed ones discovered first (so a
        caller listing them early does not see only those some import registered)."""
        self.discover()
        with self._lock:
            return sorted(self._providers)

    def discover(self) -> None:
        """Import the built-in providers and every ``stockbridge.channels`` entry point, once."""
        if self._discovered:
            return
        with self._discovery:
            # Only the discovering thread can find ``_discovering`` set: the others wait.
            if self._discovered or self._discovering:
                return
            self._discovering = True
            try:
                for module in BUILTIN_MODULES:
                    importlib.import_module(module)
                for point in entry_points(group=ENTRY_POINT_GROUP):
                    self._load(point)
                self._discovered = True
            finally:
                self._discovering = False

    def _load(self, point: EntryPoint) -> None:
        # One broken plug-in must not take the built-in marketplaces down with it.
        try:
            loaded = point.load()
            provider = loaded() if callable(loaded) and not hasattr(loaded, "key") else loaded
            self.register(provider)
        except Exception as error:
            log.error("channel provider %s (%s) not loaded: %s", point.name, point.value, error)


registry = ProviderRegistry()
