"""``stockbridge sync status`` and ``stockbridge worker`` as a user sees them."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import JobKind
from stockbridge.sync import jobs
from tests.cli.conftest import Invoke, RunMain
from tests.sync.test_jobs import RecordingWaker


def _job(sessions: sessionmaker[Session], *, fail: bool) -> int:
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.RECONCILE, total=40).id
        jobs.start_job(session, job_id)
        jobs.report_progress(session, job_id, done=10, counts={"checked": 10})
        if fail:
            jobs.fail_job(session, job_id, "ChannelError: token expired")
    return job_id


def test_status_shows_progress_and_counts(cli: Invoke, sessions: sessionmaker[Session]) -> None:
    job_id = _job(sessions, fail=False)
    result = cli("sync", "status", str(job_id))
    assert result.exit_code == 0, result.output
    assert f"job {job_id} reconcile: running" in result.output
    assert "10/40" in result.output
    assert "counts: checked 10" in result.output


def test_following_a_failed_job_shows_the_error_and_exits_1(
    cli: Invoke, sessions: sessionmaker[Session]
) -> None:
    job_id = _job(sessions, fail=True)
    result = cli("sync", "status", str(job_id), "--follow")
    assert result.exit_code == 1
    assert "failed" in result.output
    assert "error: ChannelError: token expired" in result.output


def test_status_of_an_unknown_job_is_one_line(
    run_main: RunMain, database_url: str, sessions: sessionmaker[Session]
) -> None:
    outcome = run_main("sync", "status", "4242", env={"STOCKBRIDGE_DATABASE_URL": database_url})
    assert outcome.code == 1
    assert outcome.stderr == "error: sync job 4242 does not exist\n"


def test_a_worker_without_redis_says_where_jobs_run(run_main: RunMain) -> None:
    outcome = run_main("worker")
    assert outcome.code == 1
    assert "STOCKBRIDGE_REDIS_URL is not set" in outcome.stderr
