"""Secrets at rest: sealing, opening, key rotation, masking."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from stockbridge.errors import ConfigurationError
from stockbridge.vault import SecretUnreadable, Vault, mask

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_what_is_sealed_opens_unchanged(secret: dict[str, object]) -> None:
    vault = Vault(OLD)
    sealed = vault.seal(secret)

    assert vault.open(sealed) == secret
    for text in (v for v in secret.values() if isinstance(v, str) and len(v) > 3):
        assert text not in sealed


def test_rotation_re_encrypts_with_the_newest_key_and_old_keys_can_then_go() -> None:
    sealed = Vault(OLD).seal({"refresh_token": "v^1.1#i^1#r^1"})
    both = Vault(f"{NEW},{OLD}")

    assert both.open(sealed) == {"refresh_token": "v^1.1#i^1#r^1"}
    rotated = both.rotate(sealed)

    assert Vault(NEW).open(rotated) == {"refresh_token": "v^1.1#i^1#r^1"}
    with pytest.raises(SecretUnreadable, match="no longer in STOCKBRIDGE_ENCRYPTION_KEY"):
        Vault(NEW).open(sealed)


def test_a_seal_can_be_opened_only_while_fresh_when_asked() -> None:
    vault = Vault(OLD)
    sealed = vault.seal({"channel_id": 7})

    assert vault.open(sealed, max_age_seconds=60) == {"channel_id": 7}
    old = Fernet(OLD).encrypt_at_time(b'{"channel_id":7}', 1_000_000).decode()
    with pytest.raises(SecretUnreadable, match="expired"):
        vault.open(old, max_age_seconds=60)
    with pytest.raises(SecretUnreadable):
        vault.open("not-a-token-\u00e9")


def test_without_a_key_nothing_is_sealed() -> None:
    vault = Vault(None)

    assert not vault.ready
    with pytest.raises(ConfigurationError, match="STOCKBRIDGE_ENCRYPTION_KEY is not set"):
        vault.seal({"token": "x"})


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, None), ("", ""), ("short", "****"), ("shpat_1234567890abcdef", "sh****ef")],
)
def test_masking(value: str | None, shown: str | None) -> None:
    assert mask(value) == shown
