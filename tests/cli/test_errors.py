"""What a user sees when something is wrong: one line on stderr, no traceback, and the
exit code (2: usage or an invalid setting; 1: any other error). A few cases run a real
``python -m stockbridge`` process; the rest call ``main`` in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.cli.conftest import RunMain, RunProcess

INVALID_SETTINGS = [
    pytest.param(
        "STOCKBRIDGE_DATABASE_URL",
        "mysql://x",
        "error: invalid setting STOCKBRIDGE_DATABASE_URL: "
        "must start with sqlite:// or postgresql+psycopg://",
        id="database_url",
    ),
    pytest.param(
        "STOCKBRIDGE_PORT",
        "abc",
        "error: invalid setting STOCKBRIDGE_PORT: "
        "Input should be a valid integer, unable to parse string as an integer",
        id="port",
    ),
    pytest.param(
        "STOCKBRIDGE_ENCRYPTION_KEY",
        "short",
        "error: invalid setting STOCKBRIDGE_ENCRYPTION_KEY: "
        "each key must be 32 url-safe base64-encoded bytes (Fernet)",
        id="encryption_key",
    ),
]


def test_an_invalid_setting_is_one_line_naming_it_and_exit_2_from_a_real_process(
    run_process: RunProcess,
) -> None:
    [(variable, value, line)] = [case.values for case in INVALID_SETTINGS[:1]]

    result = run_process("keys", "list", env={variable: value})

    assert (result.returncode, result.stderr.splitlines(), result.stdout) == (2, [line], "")


@pytest.mark.parametrize(("variable", "value", "line"), INVALID_SETTINGS)
def test_an_invalid_setting_is_one_line_naming_it_and_exit_2(
    run_main: RunMain, variable: str, value: str, line: str
) -> None:
    outcome = run_main("keys", "list", env={variable: value})

    assert (outcome.code, outcome.stderr.splitlines(), outcome.stdout) == (2, [line], "")


def test_bad_csv_lines_are_listed_then_one_error_line_and_exit_1(
    run_process: RunProcess, tmp_path: Path
) -> None:
    (tmp_path / "products.csv").write_text(
        "sku,name,price,currency\nA,Widget,1,EUR\nB,Gadget,1.234,EUR\n"
    )

    result = run_process("import", "products", "products.csv")

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "line 3 (SKU B): price: 1.234 has more than 2 decimal places for EUR",
        "error: 1 of 2 product lines are invalid; nothing was imported "
        "(fix them, or use --skip-invalid to import the valid ones)",
    ]


def test_usage_errors_keep_typers_message_and_exit_2(run_process: RunProcess) -> None:
    result = run_process("keys", "create", "--name", "x", "--role", "boss")

    assert result.returncode == 2
    assert "Invalid value for '--role'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["serve"],
        ["demo"],
        ["keys", "create", "--name", "x", "--role", "admin"],
        ["keys", "list"],
        ["keys", "revoke", "1"],
        ["stock", "show", "X"],
        ["import", "products", "products.csv"],
    ],
)
def test_every_command_checks_the_settings_before_doing_anything(
    run_main: RunMain, tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "products.csv").write_text("sku,name,price,currency\nA,Widget,1,EUR\n")

    outcome = run_main(*command, env={"STOCKBRIDGE_PORT": "0"})

    assert outcome.code == 2
    assert outcome.stderr.splitlines() == [
        "error: invalid setting STOCKBRIDGE_PORT: Input should be greater than or equal to 1"
    ]
    assert not (tmp_path / "var").exists()


def test_a_stockbridge_error_is_one_line_and_exit_1(
    run_main: RunMain, database_url: str, sessions: sessionmaker[Session]
) -> None:
    outcome = run_main("stock", "show", "NOPE", env={"STOCKBRIDGE_DATABASE_URL": database_url})

    assert (outcome.code, outcome.stdout) == (1, "")
    assert outcome.stderr.splitlines() == ["error: no product code with SKU 'NOPE'"]


def test_a_database_without_the_schema_says_to_upgrade(run_main: RunMain) -> None:
    outcome = run_main("keys", "list")

    assert outcome.code == 1
    [line] = outcome.stderr.splitlines()
    assert line.startswith("error: database: ")
    assert line.endswith("(has `stockbridge db upgrade` been run?)")


def test_an_unreachable_database_is_one_line_without_the_password(run_main: RunMain) -> None:
    url = "postgresql+psycopg://shop:secret@127.0.0.1:9/shop"

    outcome = run_main("keys", "list", env={"STOCKBRIDGE_DATABASE_URL": url})

    assert outcome.code == 1
    [line] = outcome.stderr.splitlines()
    assert line.startswith("error: database: connection")
    assert "secret" not in line


def test_success_and_help_exit_0(run_main: RunMain) -> None:
    assert run_main("--help").code == 0
    assert run_main("db", "upgrade").code == 0
    assert run_main("keys", "list").code == 0
