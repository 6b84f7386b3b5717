"""Ways to run the ``stockbridge`` command in tests.

- ``invoke`` runs a command in-process with Typer's CliRunner (exceptions stay visible on
  the result); ``cli`` does the same on this backend's test database.
- ``run_main`` calls :func:`stockbridge.cli.main`, which maps errors to one line on
  stderr and an exit code, in-process (fast).
- ``run_process`` starts a real ``python -m stockbridge``: what a user sees, end to end.

Each runs in a temporary working directory, so no ``.env`` or ``var/`` of the checkout
is read or written, and with no ``STOCKBRIDGE_*`` setting but those a test gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from stockbridge.cli import app, main
from stockbridge.settings import ENV_PREFIX, Settings, get_settings


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


Invoke = Callable[..., Result]
RunMain = Callable[..., Outcome]
RunProcess = Callable[..., subprocess.CompletedProcess[str]]
SETTING_VARIABLES = [f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def _no_outside_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in SETTING_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def invoke() -> Invoke:
    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        get_settings.cache_clear()
        try:
            # A wide terminal keeps every table row on one line.
            return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
        finally:
            get_settings.cache_clear()

    return run


@pytest.fixture
def cli(invoke: Invoke, database_url: str, sessions: sessionmaker[Session]) -> Invoke:
    """``invoke`` with STOCKBRIDGE_DATABASE_URL set to this backend's (emptied) test database."""

    def run(*args: str) -> Result:
        return invoke(*args, env={"STOCKBRIDGE_DATABASE_URL": database_url})

    return run


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunMain:
    def run(*args: str, env: dict[str, str] | None = None) -> Outcome:
        for variable, value in (env or {}).items():
            monkeypatch.setenv(variable, value)
        get_settings.cache_clear()
        try:
            code = main(list(args))
        finally:
            get_settings.cache_clear()
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run


@pytest.fixture
def run_process(tmp_path: Path) -> RunProcess:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        clean = {name: value for name, value in os.environ.items() if "STOCKBRIDGE" not in name}
        return subprocess.run(
            [sys.executable, "-m", "stockbridge", *args],
            env={**clean, "COLUMNS": "200", **(env or {})},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run
