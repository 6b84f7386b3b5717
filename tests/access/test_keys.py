"""API keys: stored as hashes, found by prefix, refused once revoked."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockbridge.access.keys import authenticate, create_key, revoke_key
from stockbridge.db.models import ApiKey, Role


def test_the_secret_is_not_stored_and_authenticates(session: Session) -> None:
    issued = create_key(session, name="till", role=Role.STAFF)
    stored = session.scalars(select(ApiKey)).one()
    assert issued.secret not in (stored.key_hash, stored.prefix)
    principal = authenticate(session, issued.secret)
    assert principal is not None
    assert (principal.role, principal.actor, principal.can_write) == (Role.STAFF, "key:till", True)


def test_a_digits_only_prefix_is_taken_as_a_prefix_not_an_id(session: Session) -> None:
    first = create_key(session, name="first", role=Role.ADMIN)
    second = create_key(session, name="second", role=Role.ADMIN)
    second.key.prefix = f"{first.key.id:08d}"  # a prefix that reads like the first key's id
    second_secret = second.secret.replace(second.secret.split("_")[1], second.key.prefix)
    second.key.key_hash = hashlib.sha256(second_secret.encode()).hexdigest()
    session.flush()

    revoke_key(session, second.key.prefix)

    assert second.key.revoked_at is not None
    assert first.key.revoked_at is None
    assert authenticate(session, second_secret) is None
    assert authenticate(session, first.secret) is not None


def test_revoke_by_id_when_no_prefix_matches(session: Session) -> None:
    issued = create_key(session, name="old", role=Role.READONLY)
    revoke_key(session, str(issued.key.id))
    assert authenticate(session, issued.secret) is None


def test_malformed_secrets_do_not_authenticate(session: Session) -> None:
    create_key(session, name="any", role=Role.ADMIN)
    for secret in ("", "sb_", "nope", "sb_zz_zz", "xx_1234abcd_secret"):
        assert authenticate(session, secret) is None
