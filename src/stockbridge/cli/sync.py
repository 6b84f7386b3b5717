"""``stockbridge sync ...``: run a channel's sync now, and follow jobs with a progress bar."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stockbridge.cli.database import open_session
from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.db.models import SyncJob
from stockbridge.errors import InvalidInput
from stockbridge.settings import Settings, get_settings
from stockbridge.sync import jobs
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.on_demand import SyncRequestKind, request_channel_sync
from stockbridge.sync.queue import JobQueue

sync_app = typer.Typer(
    help="Sync jobs: run a channel's sync now, follow progress and outcome.",
    no_args_is_help=True,
)

FOLLOW_POLL_SECONDS = 0.5


@sync_app.command("status")
def status(
    job_id: Annotated[int, typer.Argument(min=1, help="The job's id.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep showing progress until the job ends.")
    ] = False,
) -> None:
    """A job's kind, channel, status, progress, counts and error; exit 1 if it failed."""
    show_job(get_settings(), job_id, follow=follow)


def show_job(settings: Settings, job_id: int, *, follow: bool) -> None:
    """Print a job (and with ``follow`` a live progress bar until it ends); exit 1 if it
    failed. ``stockbridge orders import`` follows the job it queued with it."""
    console = Console()
    job = _read(settings, job_id)
    if follow and not job.status.finished:
        [job] = _follow(settings, console, [job])
    else:
        console.print(_bar_line(job))
    _print_outcome(console, job)
    if job.status.unsuccessful:
        raise typer.Exit(1)


KINDS_HELP = ", ".join(kind.value for kind in SyncRequestKind)


@sync_app.command("run")
def run(
    channel: Annotated[int, typer.Option("--channel", min=1, help="The channel's id.")],
    kind: Annotated[str, typer.Option("--kind", help=f"What to sync: {KINDS_HELP}.")],
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Queue the job(s) and print their ids only.")
    ] = False,
) -> None:
    """Queue a channel's sync now and follow it; exit 1 if a job failed.

    The jobs run where jobs always run: in `stockbridge serve`, or in `stockbridge worker`
    processes with STOCKBRIDGE_REDIS_URL set."""
    settings = get_settings()
    job_ids = _queue_sync(settings, channel, _request_kind(kind))
    if no_wait:
        typer.echo(" ".join(str(job_id) for job_id in job_ids))
        return
    console = Console()
    followed = _follow(settings, console, [_read(settings, job_id) for job_id in job_ids])
    for job in followed:
        _print_outcome(console, job)
    if any(job.status.unsuccessful for job in followed):
        raise typer.Exit(1)


def _request_kind(kind: str) -> SyncRequestKind:
    try:
        return SyncRequestKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown kind {kind!r}: choose {KINDS_HELP}") from None


def _queue_sync(settings: Settings, channel_id: int, kind: SyncRequestKind) -> list[int]:
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    queue = JobQueue(settings, sessions)
    try:
        with transaction(sessions) as session:
            queued = request_channel_sync(session, queue, default_handlers(), channel_id, kind)
            return [job.id for job in queued]
    finally:
        queue.close()
        engine.dispose()


def _read(settings: Settings, job_id: int) -> SyncJob:
    with open_session(settings) as session:
        job = jobs.get_job(session, job_id)
        session.expunge(job)
        return job


def _describe(job: SyncJob) -> str:
    channel = f" channel {job.channel_id}" if job.channel_id else ""
    retry = f" (retry at {job.not_before:%H:%M:%S})" if job.not_before else ""
    return f"job {job.id} {job.kind.value}{channel}: {job.status.value}{retry}"


def _progress(console: Console | None = None) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _bar_line(job: SyncJob) -> Progress:
    progress = _progress()
    progress.add_task(_describe(job), total=job.progress_total, completed=job.progress_done)
    return progress


def _follow(settings: Settings, console: Console, followed: list[SyncJob]) -> list[SyncJob]:
    """One bar per job, redrawn until every job has ended; answers the jobs as they ended."""
    with _progress(console) as progress:
        bars = [progress.add_task(_describe(job), total=job.progress_total) for job in followed]
        while True:
            for bar, job in zip(bars, followed, strict=True):
                progress.update(
                    bar,
                    description=_describe(job),
                    total=job.progress_total,
                    completed=job.progress_done,
                )
            if all(job.status.finished for job in followed):
                return followed
            time.sleep(FOLLOW_POLL_SECONDS)
            followed = [job if job.status.finished else _read(settings, job.id) for job in followed]


def _print_outcome(console: Console, job: SyncJob) -> None:
    if job.counts:
        console.print("counts: " + ", ".join(f"{k} {v}" for k, v in sorted(job.counts.items())))
    if job.attempts > 1:
        console.print(f"attempts: {job.attempts}")
    if job.error:
        console.print(f"error: {job.error}", style="red", markup=False)
