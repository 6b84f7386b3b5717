"""The one exception hierarchy of stockbridge.

The API maps these to RFC 9457 problem details (``api/problems.py``) and the CLI to a
one-line message with a non-zero exit code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class StockbridgeError(Exception):
    """Base of every error stockbridge raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ConfigurationError(StockbridgeError):
    title = "Invalid configuration"


class NotFound(StockbridgeError):
    status = 404
    title = "Not found"


class Conflict(StockbridgeError):
    status = 409
    title = "Conflict"


class InvalidInput(StockbridgeError):
    status = 422
    title = "Invalid input"


class InsufficientStock(Conflict):
    """Raised instead of letting a quantity go negative; carries what was available."""

    title = "Insufficient stock"

    def __init__(self, detail: str, *, available: int, requested: int, **extra: Any) -> None:
        super().__init__(detail, available=available, requested=requested, **extra)
        self.available = available
        self.requested = requested


class InvalidStockOperation(Conflict):
    """A stock operation that is well-formed but not allowed in the current state."""

    title = "Stock operation not allowed"


class ChannelErrorCategory(StrEnum):
    """What the caller of a marketplace should do about a failed call."""

    AUTH_FAILED = "auth_failed"  # refresh the token, or ask the owner to reconnect
    RATE_LIMITED = "rate_limited"  # wait ``retry_after`` seconds, then retry
    TRANSIENT = "transient"  # retry with backoff (5xx, timeouts, dropped connections)
    VALIDATION = "validation"  # the marketplace refused what we sent: fix the data
    NOT_FOUND = "not_found"  # the thing is gone on the marketplace
    CRITICAL = "critical"  # anything else: stop and tell a person


class ChannelError(StockbridgeError):
    """A marketplace call failed; built once from the answer by the channel's client."""

    status = 502
    title = "Marketplace error"

    def __init__(
        self,
        detail: str,
        *,
        category: ChannelErrorCategory,
        retry_after: float | None = None,
        http_status: int | None = None,
        code: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail, category=str(category), **extra)
        self.category = category
        self.retry_after = retry_after
        self.http_status = http_status
        self.code = code

    @property
    def retryable(self) -> bool:
        return self.category in (ChannelErrorCategory.RATE_LIMITED, ChannelErrorCategory.TRANSIENT)
