"""The provider registry, including discovery of a third-party provider by entry point."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pytest

from stockbridge.channels.registry import ENTRY_POINT_GROUP, ProviderRegistry
from stockbridge.errors import ConfigurationError, NotFound

PLUGIN = """
import threading

from pydantic import BaseModel

from stockbridge.channels.base import Capabilities


class Credentials(BaseModel):
    api_key: str


class ToyProvider:
    key = "toy"
    display_name = "Toy marketplace"
    capabilities = Capabilities(
        max_quantities_per_call=10,
        max_prices_per_call=10,
        max_listings_per_call=1,
        pushes_orders=False,
    )
    credentials_schema = Credentials

    def connect(self, connection):
        raise NotImplementedError("a toy provider has no marketplace")


provider = ToyProvider()


def broken():
    raise RuntimeError("this plug-in is broken")


# A plug-in slow to load once armed: it tells the test it is loading, waits to be let go.
armed = threading.Event()
loading = threading.Event()
let_go = threading.Event()


class SlowProvider(ToyProvider):
    key = "slow"


def slow():
    if armed.is_set():
        loading.set()
        let_go.wait(30)
    return SlowProvider()
"""


@pytest.fixture
def plugin_source() -> str:
    return PLUGIN


@pytest.fixture
def installed_plugin(tmp_path: Path, plugin_source: str) -> Iterator[None]:
    """A real distribution on sys.path whose entry points name one good and one bad provider."""
    (tmp_path / "toy_channel.py").write_text(plugin_source)
    info = tmp_path / "toy_channel-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-channel\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(f"""\
            [{ENTRY_POINT_GROUP}]
            slow = toy_channel:slow
            toy = toy_channel:provider
            broken = toy_channel:broken
            """)
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("toy_channel", None)


def test_an_installed_provider_is_found_by_its_entry_point(installed_plugin: None) -> None:
    registry = ProviderRegistry()

    provider = registry.get("toy")

    assert provider.display_name == "Toy marketplace"
    assert provider.capabilities.max_quantities_per_call == 10
    assert "toy" in registry.known()


def test_a_broken_plugin_is_logged_and_skipped(
    installed_plugin: None, caplog: pytest.LogCaptureFixture
) -> None:
    registry = ProviderRegistry()

    registry.discover()

    assert "broken" not in registry.known()
    assert any("this plug-in is broken" in record.getMessage() for record in caplog.records)


def test_an_unknown_provider_is_not_found_with_the_known_ones_named(
    installed_plugin: None,
) -> None:
    with pytest.raises(NotFound, match=r"no channel provider 'amazon'; known: .*toy"):
        ProviderRegistry().get("amazon")


def test_two_providers_under_one_key_are_refused(installed_plugin: None) -> None:
    registry = ProviderRegistry()
    first = registry.get("toy")
    twin = type(first)()

    with pytest.raises(ConfigurationError, match="registered twice"):
        registry.register(twin)


def test_something_that_is_not_a_provider_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="is not a channel provider"):
        ProviderRegistry().register(object())  # type: ignore[arg-type]


def test_listing_the_providers_finds_them_without_a_lookup_first(installed_plugin: None) -> None:
    # An app building its channel schemas lists the providers before any is looked up.
    assert "toy" in ProviderRegistry().known()


def test_a_lookup_during_another_threads_discovery_waits_for_it(installed_plugin: None) -> None:
    # A worker's first two jobs look their providers up at once: the second must not be
    # told "no provider" while the first is still importing them.
    import toy_channel  # type: ignore[import-not-found]

    registry = ProviderRegistry()
    toy_channel.armed.set()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(registry.get, "slow")
        assert toy_channel.loading.wait(30), "discovery never reached the slow plug-in"
        second = pool.submit(registry.get, "toy")  # "toy" is loaded after "slow"
        wait([second], timeout=0.5)  # long enough for a lookup that does not wait to fail
        toy_channel.let_go.set()

        assert second.result(timeout=30).key == "toy"
        assert first.result(timeout=30).key == "slow"
