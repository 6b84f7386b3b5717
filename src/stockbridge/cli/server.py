"""``stockbridge serve`` and ``stockbridge demo``: the web server processes.

``serve`` is the web server (and, without Redis, the job consumer; ``stockbridge worker``
in ``cli/worker.py`` consumes the Redis job queue); ``demo`` serves a sample shop.

The demo always uses its own SQLite file (``var/demo.db``), whatever
``STOCKBRIDGE_DATABASE_URL`` says, so trying it out never touches a shop's database.
"""

from __future__ import annotations

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
from stockbridge.cli.startup import configure_logging, require_current_schema
from stockbridge.db import migrate
from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.db.models import Role
from stockbridge.demo_channels import DemoMarketplaces, connect_demo_channels, start_marketplaces
from stockbridge.settings import get_settings
from stockbridge.sync.queue import JobQueue

Host = Annotated[str | None, typer.Option(help="Address to listen on [default: STOCKBRIDGE_HOST]")]
Port = Annotated[
    int | None, typer.Option(min=1, max=65535, help="Port [default: STOCKBRIDGE_PORT]")
]


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
    configure_logging(settings.log_level)
    require_current_schema(settings.database_url)
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
    configure_logging(settings.log_level)
    return create_app(settings=settings, run_jobs=True)


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
    configure_logging(settings.log_level)
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
