"""``stockbridge sync ...``: the state of sync jobs, with a progress bar."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stockbridge.cli.database import open_session
from stockbridge.db.models import SyncJob
from stockbridge.settings import Settings, get_settings
from stockbridge.sync import jobs

sync_app = typer.Typer(help="Sync jobs: their progress and outcome.", no_args_is_help=True)

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
        job = _follow(settings, console, job)
    else:
        console.print(_bar_line(job))
    _print_outcome(console, job)
    if job.status.value == "failed":
        raise typer.Exit(1)


def _read(settings: Settings, job_id: int) -> SyncJob:
    with open_session(settings) as session:
        job = jobs.get_job(session, job_id)
        session.expunge(job)
        return job


def _describe(job: SyncJob) -> str:
    channel = f" channel {job.channel_id}" if job.channel_id else ""
    return f"job {job.id} {job.kind.value}{channel}: {job.status.value}"


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


def _follow(settings: Settings, console: Console, job: SyncJob) -> SyncJob:
    with _progress(console) as progress:
        bar = progress.add_task(_describe(job), total=job.progress_total)
        while True:
            progress.update(
                bar,
                description=_describe(job),
                total=job.progress_total,
                completed=job.progress_done,
            )
            if job.status.finished:
                return job
            time.sleep(FOLLOW_POLL_SECONDS)
            job = _read(settings, job.id)


def _print_outcome(console: Console, job: SyncJob) -> None:
    if job.counts:
        console.print("counts: " + ", ".join(f"{k} {v}" for k, v in sorted(job.counts.items())))
    if job.attempts > 1:
        console.print(f"attempts: {job.attempts}")
    if job.error:
        console.print(f"error: {job.error}", style="red", markup=False)
