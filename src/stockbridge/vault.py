"""Secrets at rest: marketplace credentials and tokens, encrypted with Fernet keys.

``STOCKBRIDGE_ENCRYPTION_KEY`` holds one or more comma-separated Fernet keys, newest
first. :class:`Vault` encrypts with the newest and decrypts with any (MultiFernet), so
a key is rotated by putting a new one in front, re-encrypting the stored secrets with
:meth:`Vault.rotate`, and then dropping the old key. Secrets are JSON objects; what
comes back out is exactly what went in. Nothing here logs a secret, and only
:meth:`Vault.open` returns one in clear text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from stockbridge.errors import ConfigurationError, StockbridgeError

NO_KEY = (
    "STOCKBRIDGE_ENCRYPTION_KEY is not set: marketplace credentials cannot be stored "
    "without it (see .env.example for how to make a key)"
)


class SecretUnreadable(StockbridgeError):
    status = 500
    title = "Stored secret cannot be read"


class Vault:
    def __init__(self, keys: str | None) -> None:
        self._fernet = (
            MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])
            if keys
            else None
        )

    @property
    def ready(self) -> bool:
        return self._fernet is not None

    def _keys(self) -> MultiFernet:
        if self._fernet is None:
            raise ConfigurationError(NO_KEY)
        return self._fernet

    def seal(self, secret: Mapping[str, Any]) -> str:
        raw = json.dumps(dict(secret), separators=(",", ":"), sort_keys=True).encode()
        return self._keys().encrypt(raw).decode("ascii")

    def open(self, sealed: str, max_age_seconds: int | None = None) -> dict[str, Any]:
        """The secret; with ``max_age_seconds``, only if it was sealed that recently."""
        try:
            raw = self._keys().decrypt(sealed.encode("ascii"), ttl=max_age_seconds)
        except (InvalidToken, UnicodeEncodeError):
            raise SecretUnreadable(
                "a stored secret is expired, damaged, or was encrypted with a key that is "
                "no longer in STOCKBRIDGE_ENCRYPTION_KEY"
            ) from None
        value = json.loads(raw)
        assert isinstance(value, dict)
        return value

    def rotate(self, sealed: str) -> str:
        """The same secret, encrypted with the newest key."""
        try:
            return self._keys().rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretUnreadable(
                "a stored secret cannot be read with any configured key"
            ) from None


def mask(value: str | None) -> str | None:
    """What an API answer shows of a secret: enough to recognise it, never enough to use it."""
    if not value:
        return value
    return "****" if len(value) <= 8 else f"{value[:2]}****{value[-2:]}"
