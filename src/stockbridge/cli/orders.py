"""``stockbridge orders import``: queue a backfill of a channel's orders and follow it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import typer

from stockbridge.cli.sync import show_job
from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.errors import InvalidInput
from stockbridge.settings import get_settings
from stockbridge.sync.order_poll import OrderWindow, queue_backfill
from stockbridge.sync.queue import JobQueue

orders_app = typer.Typer(help="Marketplace orders: import a date range.", no_args_is_help=True)


def parse_moment(raw: str, *, name: str, end_of_day: bool = False) -> datetime:
    """A date (``2026-11-30``: midnight UTC, or the end of that day for ``--until``) or an
    ISO 8601 time (UTC unless it has an offset)."""
    try:
        if len(raw) == len("2026-11-30"):
            day = date.fromisoformat(raw)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1) if end_of_day else start
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"--{name}: {raw!r} is not a date (YYYY-MM-DD) or an ISO time") from None
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


@orders_app.command("import")
def import_orders(
    channel: Annotated[int, typer.Option("--channel", min=1, help="The channel's id.")],
    since: Annotated[str, typer.Option(help="Orders last changed from this date or time.")],
    until: Annotated[
        str | None, typer.Option(help="...up to this date (inclusive) or time. Default: now.")
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            help="Only orders in this state (unfulfilled, partially_fulfilled, fulfilled, "
            "cancelled); repeat for several."
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Show progress until the job ends.")
    ] = True,
) -> None:
    """Queue a backfill job for a channel's orders; exit 1 if it fails."""
    window = OrderWindow(
        since=parse_moment(since, name="since"),
        until=parse_moment(until, name="until", end_of_day=True) if until else None,
        statuses=frozenset(status or ()),
    )
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        sessions = make_session_factory(engine)
        queue = JobQueue(settings, sessions)
        try:
            with transaction(sessions) as session:
                job_id = queue_backfill(session, queue, channel, window).id
        finally:
            queue.close()
    finally:
        engine.dispose()
    typer.echo(f"queued job {job_id}: orders of channel {channel}")
    show_job(settings, job_id, follow=follow)
