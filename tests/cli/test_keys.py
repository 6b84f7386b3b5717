"""``stockbridge keys create|list|revoke``: the key is shown once and works until revoked."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.access.keys import authenticate
from stockbridge.db.models import Role
from stockbridge.errors import NotFound
from tests.cli.conftest import Invoke


def created_secret(output: str) -> str:
    [secret] = [line for line in output.splitlines() if line.startswith("sb_")]
    return secret


def test_create_prints_the_key_once_and_it_authenticates_with_its_role(
    cli: Invoke, sessions: sessionmaker[Session]
) -> None:
    result = cli("keys", "create", "--name", "till-1", "--role", "staff")

    assert result.exit_code == 0, result.output
    secret = created_secret(result.stdout)
    assert "will not be shown again" in result.stdout
    with sessions() as session:
        principal = authenticate(session, secret)
    assert principal is not None
    assert (principal.name, principal.role) == ("till-1", Role.STAFF)


def test_list_shows_every_key_but_never_a_secret(cli: Invoke) -> None:
    first = created_secret(cli("keys", "create", "--name", "till-1", "--role", "staff").stdout)
    cli("keys", "create", "--name", "reports", "--role", "readonly")

    result = cli("keys", "list")

    assert result.exit_code == 0, result.output
    table = [line.split() for line in result.stdout.splitlines()]
    rows = {cells[1]: cells for cells in table if cells and cells[0].isdigit()}
    assert rows["till-1"][:4] == ["1", "till-1", first.split("_")[1], "staff"]
    assert rows["reports"][3] == "readonly"
    assert rows["reports"][-2:] == ["never", "-"]
    assert first.split("_", 2)[2] not in result.stdout


def test_a_revoked_key_no_longer_authenticates(
    cli: Invoke, sessions: sessionmaker[Session]
) -> None:
    secret = created_secret(cli("keys", "create", "--name", "ops", "--role", "admin").stdout)
    prefix = secret.split("_")[1]

    result = cli("keys", "revoke", prefix)

    assert result.exit_code == 0, result.output
    assert f"API key 1 'ops' (prefix {prefix}) is revoked since" in result.stdout
    with sessions() as session:
        assert authenticate(session, secret) is None
    listed = cli("keys", "list").stdout
    [row] = [line for line in listed.splitlines() if " ops " in line]
    assert row.split()[-2:] != ["never", "-"]


def test_revoke_by_id_and_unknown_keys(cli: Invoke, sessions: sessionmaker[Session]) -> None:
    secret = created_secret(cli("keys", "create", "--name", "ops", "--role", "admin").stdout)

    assert cli("keys", "revoke", "1").exit_code == 0
    with sessions() as session:
        assert authenticate(session, secret) is None
    unknown = cli("keys", "revoke", "deadbeef")
    assert unknown.exit_code == 1
    assert isinstance(unknown.exception, NotFound)


def test_list_without_keys_says_how_to_make_one(cli: Invoke) -> None:
    result = cli("keys", "list")

    assert result.exit_code == 0
    assert "stockbridge keys create" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "create", "--name", "x", "--role", "boss"],
        ["keys", "create", "--role", "admin"],
        ["keys", "revoke"],
    ],
)
def test_usage_errors_exit_2(cli: Invoke, args: list[str]) -> None:
    assert cli(*args).exit_code == 2
