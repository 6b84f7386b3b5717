"""``stockbridge channels list`` and ``rotate-secrets``."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import ChannelStatus, EcomChannel
from stockbridge.vault import SecretUnreadable, Vault
from tests.cli.conftest import Invoke

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _channel(sessions: sessionmaker[Session], sealed: str) -> int:
    with sessions.begin() as session:
        channel = EcomChannel(
            name="Web shop", provider="shopify", status=ChannelStatus.ACTIVE, currency="EUR",
            credentials_encrypted=sealed,
        )  # fmt: skip
        session.add(channel)
        session.flush()
        return channel.id


def test_rotation_re_seals_every_channel_with_the_newest_key(
    invoke: Invoke, database_url: str, sessions: sessionmaker[Session]
) -> None:
    secret = {"credentials": {"access_token": "shpat_x"}, "tokens": None}
    channel_id = _channel(sessions, Vault(OLD).seal(secret))
    env = {"STOCKBRIDGE_DATABASE_URL": database_url, "STOCKBRIDGE_ENCRYPTION_KEY": f"{NEW},{OLD}"}

    result = invoke("channels", "rotate-secrets", env=env)

    assert result.exit_code == 0, result.output
    assert "1 channel(s)" in result.stdout
    with sessions() as session:
        stored = session.get(EcomChannel, channel_id)
        assert stored is not None
        assert stored.credentials_encrypted
        assert Vault(NEW).open(stored.credentials_encrypted) == secret
        with pytest.raises(SecretUnreadable):
            Vault(OLD).open(stored.credentials_encrypted)


def test_rotation_without_a_key_is_one_line_and_changes_nothing(
    invoke: Invoke, database_url: str, sessions: sessionmaker[Session]
) -> None:
    sealed = Vault(OLD).seal({"credentials": {}})
    channel_id = _channel(sessions, sealed)

    result = invoke("channels", "rotate-secrets", env={"STOCKBRIDGE_DATABASE_URL": database_url})

    assert result.exit_code != 0
    with sessions() as session:
        stored = session.get(EcomChannel, channel_id)
        assert stored is not None
        assert stored.credentials_encrypted == sealed


def test_list_shows_channels(cli: Invoke, sessions: sessionmaker[Session]) -> None:
    assert "No channels yet" in cli("channels", "list").stdout
    _channel(sessions, Vault(OLD).seal({}))

    listed = cli("channels", "list")

    assert listed.exit_code == 0
    assert "Web shop" in listed.stdout
    assert "shopify" in listed.stdout
    assert "active" in listed.stdout
