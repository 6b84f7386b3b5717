"""``stockbridge worker``: a process that runs jobs from the Redis queue.

It imports only what running jobs takes (no web server, no sandboxes), so a worker
started after a crash is at work a few seconds sooner.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from stockbridge.cli.startup import configure_logging, require_current_schema
from stockbridge.db.engine import make_engine, make_session_factory
from stockbridge.errors import StockbridgeError
from stockbridge.settings import get_settings
from stockbridge.sync.queue import JobQueue


class QueueNotShared(StockbridgeError):
    title = "No shared job queue"


def worker(
    threads: Annotated[int, typer.Option(min=1, max=64, help="Jobs run at the same time.")] = 4,
) -> None:
    """Run jobs from the Redis queue (STOCKBRIDGE_REDIS_URL); start as many as needed."""
    settings = get_settings()
    configure_logging(settings.log_level)
    if settings.redis_url is None:
        raise QueueNotShared(
            "STOCKBRIDGE_REDIS_URL is not set: jobs run inside `stockbridge serve`; set it "
            "to run them in separate worker processes"
        )
    require_current_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        queue = JobQueue(settings, make_session_factory(engine))
        try:
            logging.getLogger(__name__).info("worker on the %s", queue.describe())
            # Huey's consumer: SIGINT / SIGTERM stop it after the running jobs, SIGHUP
            # restarts.
            queue.consumer(workers=threads).run()
        finally:
            # Wake-ups still in this process's timer (a retry due in a few seconds) go to
            # Huey's schedule in Redis, where another worker finds them.
            queue.close()
    finally:
        engine.dispose()
