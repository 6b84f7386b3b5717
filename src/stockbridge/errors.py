"""The one exception hierarchy of stockbridge.

The API maps these to RFC 9457 problem details (``api/problems.py``) and the CLI to a
one-line message with a non-zero exit code.
"""

from __future__ import annotations

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
