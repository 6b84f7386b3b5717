"""``stockbridge sync run``: queue a channel's sync now and follow it to its end."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import JobKind, JobStatus
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.settings import Settings
from stockbridge.sync import jobs
from stockbridge.sync.context import JobRun
from stockbridge.sync.handlers import JobHandlers
from stockbridge.sync.queue import JobQueue, queue_file
from tests.cli.conftest import Invoke, RunMain
from tests.factories import make_channel


def _push(run: JobRun) -> dict[str, int]:
    run.progress(3, 3)
    return {"pushed": 3}


def _refused(run: JobRun) -> None:
    raise ChannelError("SKU A-1 is not valid", category=ChannelErrorCategory.VALIDATION)


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> JobHandlers:
    """The handlers the command checks kinds against (and the test's consumer runs)."""
    handlers = JobHandlers()
    handlers.add(JobKind.INVENTORY, _push)
    handlers.add(JobKind.ORDERS, _refused)  # type: ignore[arg-type]
    handlers.add(JobKind.RECONCILE, _push)
    monkeypatch.setattr("stockbridge.cli.sync.default_handlers", lambda: handlers)
    return handlers


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {
        "STOCKBRIDGE_DATABASE_URL": database_url,
        "STOCKBRIDGE_QUEUE_NAME": f"sb-test-{uuid.uuid4().hex[:12]}",
    }


@pytest.fixture
def consumer(
    env: dict[str, str], sessions: sessionmaker[Session], handlers: JobHandlers
) -> Iterator[JobQueue]:
    """What `stockbridge serve` runs: a consumer of the command's queue, in threads."""
    database_url = env["STOCKBRIDGE_DATABASE_URL"]
    settings = Settings(database_url=database_url, queue_name=env["STOCKBRIDGE_QUEUE_NAME"])
    queue = JobQueue(settings, sessions, handlers, sqlite_path=queue_file(database_url).resolve())
    queue.start_in_process(periodic=False)
    yield queue
    queue.close()


@pytest.fixture
def channel_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return make_channel(session).id


def test_no_wait_queues_the_job_and_prints_its_id(
    invoke: Invoke, env: dict[str, str], handlers: JobHandlers, channel_id: int,
    sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    result = invoke("sync", "run", "--channel", str(channel_id), "--kind", "all", "--no-wait",
                    env=env)  # fmt: skip

    assert result.exit_code == 0, result.output
    job_ids = [int(word) for word in result.output.split()]
    with sessions() as session:
        kinds = sorted(jobs.get_job(session, job_id).kind for job_id in job_ids)
        assert kinds == [JobKind.INVENTORY, JobKind.ORDERS, JobKind.RECONCILE]
        assert {jobs.get_job(session, job_id).status for job_id in job_ids} == {JobStatus.QUEUED}


def test_run_follows_the_job_to_its_end(
    invoke: Invoke, env: dict[str, str], consumer: JobQueue, channel_id: int
) -> None:
    result = invoke("sync", "run", "--channel", str(channel_id), "--kind", "inventory", env=env)

    assert result.exit_code == 0, result.output
    assert f"inventory channel {channel_id}: succeeded" in result.output
    assert "3/3" in result.output
    assert "counts: pushed 3" in result.output


def test_run_reconcile_follows_the_reconcile_job(
    invoke: Invoke, env: dict[str, str], consumer: JobQueue, channel_id: int
) -> None:
    result = invoke("sync", "run", "--channel", str(channel_id), "--kind", "reconcile", env=env)

    assert result.exit_code == 0, result.output
    assert f"reconcile channel {channel_id}: succeeded" in result.output


def test_run_exits_1_when_a_job_failed(
    invoke: Invoke, env: dict[str, str], consumer: JobQueue, channel_id: int
) -> None:
    result = invoke("sync", "run", "--channel", str(channel_id), "--kind", "all", env=env)

    assert result.exit_code == 1
    assert f"inventory channel {channel_id}: succeeded" in result.output
    assert f"orders channel {channel_id}: failed" in result.output
    assert "error: ChannelError: SKU A-1 is not valid" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "999999", "--kind", "inventory"], "error: channel 999999 does not exist\n"),
        (["--kind", "nonsense"], "error: unknown kind 'nonsense': choose inventory, prices, "
         "listings, orders, reconcile, all\n"),
        (["--kind", "prices"], "error: no handler for kind prices yet\n"),
    ],
    ids=["unknown channel", "unknown kind", "kind without handler"],
)  # fmt: skip
def test_a_bad_request_is_one_line_and_a_non_zero_exit(
    run_main: RunMain, env: dict[str, str], handlers: JobHandlers, channel_id: int,
    sessions: sessionmaker[Session], args: list[str], message: str,
) -> None:  # fmt: skip
    if "--channel" not in args:
        args = ["--channel", str(channel_id), *args]

    outcome = run_main("sync", "run", *args, env=env)

    assert outcome.code != 0
    assert outcome.stderr == message
    with sessions() as session:
        assert jobs.list_jobs(session, page=1, per_page=1)[1] == 0
