"""The demo shop (``stockbridge.demo``) and the commands that run a server: ``demo``, ``serve``.

Servers are not started: ``uvicorn.run`` is replaced by a recorder, so the tests see what
would be served, with which settings, on which address.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from uvicorn.importer import import_from_string

from stockbridge.access.keys import authenticate
from stockbridge.cli import server
from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.db.migrate import upgrade
from stockbridge.db.models import (
    Branch,
    ChannelStatus,
    EcomChannel,
    LedgerReason,
    ProductCode,
    ProductCodeVersion,
    Role,
    StockLedgerEntry,
)
from stockbridge.demo import is_empty, seed_demo_data
from stockbridge.settings import get_settings
from tests.cli.conftest import Invoke, RunMain


def ledger_sums(session: Session) -> dict[int, tuple[int, int]]:
    rows = session.execute(
        select(
            StockLedgerEntry.version_id,
            func.sum(StockLedgerEntry.delta_on_hand),
            func.sum(StockLedgerEntry.delta_reserved),
        ).group_by(StockLedgerEntry.version_id)
    )
    return {version_id: (int(on_hand), int(reserved)) for version_id, on_hand, reserved in rows}


def test_the_seed_makes_a_lively_shop_whose_ledger_matches_its_stock(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        assert is_empty(session)
        summary = seed_demo_data(session)

    with sessions() as session:
        assert not is_empty(session)
        products = session.scalars(select(ProductCode)).all()
        versions = session.scalars(select(ProductCodeVersion)).all()
        assert (summary.branches, summary.product_codes) == (3, len(products))
        assert session.scalar(select(func.count(Branch.id))) == 3
        assert len(products) >= 50
        assert all(p.brand and p.category and p.barcode and p.price_cents > 0 for p in products)
        assert len({p.barcode for p in products}) == len(products)
        assert len({v.branch_id for v in versions}) == 3
        assert len({v.condition for v in versions}) >= 3
        assert any(v.qty_reserved > 0 for v in versions)
        assert ledger_sums(session) == {v.id: (v.qty_on_hand, v.qty_reserved) for v in versions}
        reasons = set(session.scalars(select(StockLedgerEntry.reason)))
        assert reasons >= {
            LedgerReason.RECEIVE,
            LedgerReason.RESERVE,
            LedgerReason.SHIP,
            LedgerReason.RELEASE,
            LedgerReason.SALE,
            LedgerReason.TRANSFER_IN,
            LedgerReason.WRITE_OFF,
            LedgerReason.ADJUST,
        }


def snapshot(url: str) -> tuple[list[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    """Everything the seed decided, in terms that do not depend on row ids."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            seed_demo_data(session)
            session.flush()
            stock = session.execute(
                select(
                    ProductCode.sku,
                    ProductCode.barcode,
                    Branch.code,
                    ProductCodeVersion.condition,
                    ProductCodeVersion.qty_on_hand,
                    ProductCodeVersion.qty_reserved,
                    ProductCodeVersion.price_cents,
                )
                .join(ProductCodeVersion.product_code)
                .join(ProductCodeVersion.branch)
                .order_by(ProductCode.sku, Branch.code, ProductCodeVersion.condition)
            ).all()
            ledger = session.execute(
                select(StockLedgerEntry.reason, StockLedgerEntry.delta_on_hand, ProductCode.sku)
                .join(ProductCodeVersion, StockLedgerEntry.version_id == ProductCodeVersion.id)
                .join(ProductCodeVersion.product_code)
            ).all()
            return [tuple(row) for row in stock], Counter(tuple(row) for row in ledger)
    finally:
        engine.dispose()


def test_the_seed_is_the_same_every_time(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / name}" for name in ("one.db", "two.db")]
    for url in urls:
        upgrade(url)

    assert snapshot(urls[0]) == snapshot(urls[1])


@dataclass
class ServeRecorder:
    """Stands in for ``create_app`` and ``uvicorn.run``: remembers what would be served."""

    apps: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def create_app(self, **kwargs: Any) -> dict[str, Any]:
        self.apps.append(kwargs)
        return kwargs

    def run(self, app: Any, **kwargs: Any) -> None:
        self.runs.append({"app": app, **kwargs})


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> ServeRecorder:
    recorder = ServeRecorder()
    monkeypatch.setattr(server, "create_app", recorder.create_app)
    monkeypatch.setattr(server.uvicorn, "run", recorder.run)
    return recorder


def demo_key(output: str) -> str:
    [line] = [line for line in output.splitlines() if "API key:" in line]
    return line.split()[-1]


def test_demo_seeds_its_own_sqlite_file_and_serves_it_with_an_admin_key(
    invoke: Invoke, served: ServeRecorder, tmp_path: Path
) -> None:
    elsewhere = "postgresql+psycopg://shop:secret@127.0.0.1:9/shop"

    result = invoke("demo", "--port", "8765", env={"STOCKBRIDGE_DATABASE_URL": elsewhere})

    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "demo.db").is_file()
    assert "http://127.0.0.1:8765/docs" in result.stdout
    assert "3 branches, 60 product codes" in result.stdout
    [run] = served.runs
    assert (run["host"], run["port"]) == ("127.0.0.1", 8765)
    settings, sessions = run["app"]["settings"], run["app"]["session_factory"]
    assert settings.database_url == "sqlite:///var/demo.db"
    with sessions() as session:
        principal = authenticate(session, demo_key(result.stdout))
        assert principal is not None
        assert principal.role == Role.ADMIN
        assert session.scalar(select(func.count(ProductCode.id))) == 60
        channels = session.scalars(select(EcomChannel).order_by(EcomChannel.id)).all()
        assert [(c.provider, c.status) for c in channels] == [
            ("shopify", ChannelStatus.ACTIVE),
            ("ebay", ChannelStatus.AUTH_REQUIRED),
        ]
        assert all(len(c.branches) == 3 for c in channels)
    assert "Marketplace sandboxes" in result.stdout
    assert "Shopify (sandbox)" in result.stdout
    assert settings.encryption_key
    assert settings.public_url == "http://127.0.0.1:8765"


def test_demo_keep_reuses_the_data_and_fresh_starts_again(
    invoke: Invoke, served: ServeRecorder
) -> None:
    first = invoke("demo")
    kept = invoke("demo", "--keep")
    fresh = invoke("demo", "--fresh")

    assert [result.exit_code for result in (first, kept, fresh)] == [0, 0, 0]
    assert "kept from an earlier run" in kept.stdout
    assert "3 branches, 60 product codes" in fresh.stdout
    sessions = served.runs[-1]["app"]["session_factory"]
    with sessions() as session:
        # The fresh database holds only the key made by its own run.
        assert authenticate(session, demo_key(first.stdout)) is None
        assert authenticate(session, demo_key(kept.stdout)) is None
        assert authenticate(session, demo_key(fresh.stdout)) is not None


def test_serve_listens_where_the_settings_say_unless_told_otherwise(
    invoke: Invoke, served: ServeRecorder, database_url: str
) -> None:
    env = {
        "STOCKBRIDGE_HOST": "0.0.0.0",
        "STOCKBRIDGE_PORT": "9123",
        "STOCKBRIDGE_DATABASE_URL": database_url,
    }

    assert invoke("serve", env=env).exit_code == 0
    assert invoke("serve", "--host", "127.0.0.2", "--port", "9000", env=env).exit_code == 0

    first, second = served.runs
    assert (first["host"], first["port"]) == ("0.0.0.0", 9123)
    assert (second["host"], second["port"]) == ("127.0.0.2", 9000)
    assert first["app"]["settings"].port == 9123
    # uvicorn's own proxy headers (trusting any local peer) are off: the app's
    # STOCKBRIDGE_TRUSTED_PROXIES alone decides who the client is.
    assert [run["proxy_headers"] for run in served.runs] == [False, False]


def test_serve_with_several_workers_has_each_process_build_the_app_from_the_settings(
    invoke: Invoke, served: ServeRecorder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"STOCKBRIDGE_DATABASE_URL": database_url}

    assert invoke("serve", "--workers", "3", env=env).exit_code == 0

    [run] = served.runs
    assert (run["workers"], run["factory"], run["proxy_headers"]) == (3, True, False)
    # uvicorn imports this in every worker process and calls it there.
    factory = import_from_string(run["app"])
    assert factory is server.served_app
    monkeypatch.setenv("STOCKBRIDGE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        built = factory()
    finally:
        get_settings.cache_clear()
    assert built["settings"].database_url == database_url
    assert built["run_jobs"] is True


def test_serve_refuses_a_database_without_the_current_schema(
    run_main: RunMain, served: ServeRecorder, tmp_path: Path
) -> None:
    env = {"STOCKBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'never-upgraded.db'}"}

    outcome = run_main("serve", env=env)

    assert outcome.code == 1
    assert outcome.stderr.strip() == (
        "error: the database schema is missing or out of date: run `stockbridge db upgrade` first"
    )
    assert served.runs == []
