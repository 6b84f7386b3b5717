"""``stockbridge serve``, ``stockbridge worker`` and ``stockbridge demo``: the processes.

``serve`` is the web server (and, without Redis, the job consumer); ``worker`` consumes
the Redis job queue; ``demo`` serves a sample shop.

The demo always uses its own SQLite file (``var/demo.db``), whatever
``STOCKBRIDGE_DATABASE_URL`` says, so trying it out never touches a shop's database.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Annotated, Any

import typer
import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.markup import escape

from stockbridge import demo as demo_shop
from stockbridge.access.keys import create_key
from stockbridge.api.app import create_app
from stockbridge.db import migrate
from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.db.models import Role
from stockbridge.demo_channels import DemoMarketplaces, connect_demo_channels, start_marketplaces
from stockbridge.errors import StockbridgeError
from stockbridge.settings import get_settings
from stockbridge.sync.queue import JobQueue


class SchemaNotCurrent(StockbridgeError):
    title = "Database schema not current"


Host = Annotated[str | None, typer.Option(help="Address to listen on [default: STOCKBRIDGE_HOST]")]
Port = Annotated[
    int | None, typer.Option(min=1, max=65535, help="Port [default: STOCKBRIDGE_PORT]")
]


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every schema check at INFO; only its warnings concern an operator.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    # httpx logs every marketplace call at INFO; the channel logs record what matters.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))


def _require_current_schema(database_url: str) -> None:
    """Refuse to serve a database whose schema is missing or behind: every call would fail."""
    engine = make_engine(database_url)
    try:
        current = migrate.schema_is_current(engine)
    finally:
        engine.dispose()
    if not current:
        raise SchemaNotCurrent(
            "the database schema is missing or out of date: run `stockbridge db upgrade` first"
        )


Workers = Annotated[
    int,
    typer.Option(
        min=1,
        max=64,
        help="Server processes sharing the port (uvicorn workers); more than one uses more "
        "than one CPU core.",
    ),
]
#: What each worker process imports when there are several (``--workers``).
SERVED_APP = "stockbridge.cli.server:served_app"


def serve(host: Host = None, port: Port = None, workers: Workers = 1) -> None:
    """Run the API server (uvicorn) with the configured database.

    Without STOCKBRIDGE_REDIS_URL it also runs the job queue's consumer in threads (in
    each worker process); with it, `stockbridge worker` processes do."""
    settings = get_settings()
    _configure_logging(settings.log_level)
    _require_current_schema(settings.database_url)
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level.lower(),
        "proxy_headers": False,  # STOCKBRIDGE_TRUSTED_PROXIES decides, in the app
    }
    if workers == 1:
        uvicorn.run(create_app(settings=settings, run_jobs=True), **options)
    else:
        # Each worker is a process of its own that imports the app: by name, not object.
        uvicorn.run(SERVED_APP, factory=True, workers=workers, **options)


def served_app() -> FastAPI:
    """The app one of several ``serve`` worker processes runs (uvicorn calls it there)."""
    settings = get_settings()
    _configure_logging(settings.log_level)
    return create_app(settings=settings, run_jobs=True)


class QueueNotShared(StockbridgeError):
    title = "No shared job queue"


def worker(
    threads: Annotated[int, typer.Option(min=1, max=64, help="Jobs run at the same time.")] = 4,
) -> None:
    """Run jobs from the Redis queue (STOCKBRIDGE_REDIS_URL); start as many as needed."""
    settings = get_settings()
    _configure_logging(settings.log_level)
    if settings.redis_url is None:
        raise QueueNotShared(
            "STOCKBRIDGE_REDIS_URL is not set: jobs run inside `stockbridge serve`; set it "
            "to run them in separate worker processes"
        )
    _require_current_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        queue = JobQueue(settings, make_session_factory(engine))
        logging.getLogger(__name__).info("worker on the %s", queue.describe())
        # Huey's consumer: SIGINT / SIGTERM stop it after the running jobs, SIGHUP restarts.
        queue.consumer(workers=threads).run()
    finally:
        engine.dispose()


def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    fresh: Annotated[
        bool, typer.Option("--fresh/--keep", help="Start from a new demo database, or keep it.")
    ] = True,
) -> None:
    """Run the server on a sample shop in var/demo.db, with a new admin API key."""
    settings = get_settings().model_copy(
        update={
            "database_url": f"sqlite:///{demo_shop.DEMO_DATABASE}",
            "public_url": f"http://{host}:{port}",
        }
    )
    _configure_logging(settings.log_level)
    if fresh:
        demo_shop.delete_database_files(demo_shop.DEMO_DATABASE)
    settings.ensure_sqlite_directory()
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with ExitStack() as running:
        running.callback(engine.dispose)
        marketplaces = start_marketplaces(running, settings)
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            summary = demo_shop.seed_demo_data(session) if demo_shop.is_empty(session) else None
            secret = create_key(session, name="demo", role=Role.ADMIN).secret
        channel_lines = connect_demo_channels(sessions, marketplaces) if summary else []
        _announce(f"http://{host}:{port}/docs", secret, summary)
        _announce_marketplaces(marketplaces, channel_lines)
        # The demo is one process: its jobs run in it even when a Redis URL is set.
        queue = JobQueue(marketplaces.settings, sessions, in_process=True)
        uvicorn.run(
            create_app(
                session_factory=sessions,
                settings=marketplaces.settings,
                job_queue=queue,
                run_jobs=True,
            ),
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            proxy_headers=False,
        )


def _announce_marketplaces(marketplaces: DemoMarketplaces, channel_lines: list[str]) -> None:
    console = Console()
    console.print("Marketplace sandboxes (simulated buyers order what is listed):")
    console.print(f"  eBay:     {escape(marketplaces.ebay_url)}", soft_wrap=True)
    console.print(f"  Shopify:  {escape(marketplaces.shopify_url)}", soft_wrap=True)
    for line in channel_lines:
        console.print(f"  {escape(line)}", soft_wrap=True)


def _announce(docs_url: str, secret: str, summary: demo_shop.DemoSummary | None) -> None:
    console = Console()
    if summary is None:
        console.print(f"Demo shop ready ({demo_shop.DEMO_DATABASE}, kept from an earlier run):")
    else:
        console.print(f"Demo shop ready ({demo_shop.DEMO_DATABASE}, new):")
        console.print(
            f"  {summary.branches} branches, {summary.product_codes} product codes, "
            f"{summary.versions} stock records, {summary.ledger_entries} ledger entries"
        )
    console.print(f"  API docs:  [bold]{escape(docs_url)}[/bold]", soft_wrap=True)
    console.print(f"  API key:   [bold]{secret}[/bold]", soft_wrap=True)
    console.print("  An admin key: paste it into the docs page's Authorize button.")
    console.print("Ctrl+C stops the server.")
