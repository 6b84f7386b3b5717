"""API keys: created once (the secret is shown only then), stored as a SHA-256 hash.

A key reads ``sb_<prefix>_<secret>``; the prefix finds the row, the hash is compared in
constant time. Keys are high-entropy random strings, so a plain SHA-256 is enough (a slow
password hash would only slow every request down).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from stockbridge.db.models import ApiKey, Role
from stockbridge.db.types import utcnow
from stockbridge.errors import InvalidInput, NotFound

KEY_PREFIX = "sb"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


@dataclass(frozen=True)
class Principal:
    """The caller behind a request: what the ledger records as actor, and its role."""

    key_id: int
    name: str
    role: Role
    use_unrecorded: bool = False

    @property
    def actor(self) -> str:
        return f"key:{self.name}"

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.STAFF)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, *, name: str, role: Role) -> IssuedKey:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("a key name must have 1 to 100 characters")
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(name=name, prefix=prefix, key_hash=_digest(secret), role=Role(role))
    session.add(key)
    session.flush()
    return IssuedKey(key, secret)


def authenticate(session: Session, secret: str) -> Principal | None:
    """The principal for a presented key, or None if it is unknown, malformed or revoked.

    Reads only: recording the use is :func:`record_key_use`, which the caller runs where
    a write is allowed.
    """
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == parts[1])).one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, _digest(secret)):
        return None
    stale = key.last_used_at is None or utcnow() - key.last_used_at > LAST_USED_RESOLUTION
    return Principal(key.id, key.name, key.role, use_unrecorded=stale)


def record_key_use(session: Session, key_id: int) -> None:
    """Set ``last_used_at`` (to a resolution of a minute: not a write on every request)."""
    now = utcnow()
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id_or_prefix: str) -> ApiKey:
    """Revoke a key named by its prefix or, failing that, its numeric id.

    The prefix is tried first: a hex prefix can consist of digits only.
    """
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == key_id_or_prefix)).one_or_none()
    if key is None and key_id_or_prefix.isdigit():
        key = session.get(ApiKey, int(key_id_or_prefix))
    if key is None:
        raise NotFound(f"no API key with id or prefix {key_id_or_prefix!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key
