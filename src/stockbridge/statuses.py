"""The words the store and every marketplace share: a unit's condition, an order's payment
and fulfilment state, a return's state.

They live outside the ORM because channel adapters speak them too and must not import the
database models (DESIGN.md section 2); ``db.models`` re-exports them.
"""

from __future__ import annotations

from enum import StrEnum


class Condition(StrEnum):
    """Condition of a unit of stock; each condition is a separate version per branch."""

    NEW = "new"
    OPEN_BOX = "open_box"
    REFURBISHED = "refurbished"
    USED = "used"
    FOR_PARTS = "for_parts"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class FulfillmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    RECEIVED = "received"
    REFUNDED = "refunded"
    CLOSED = "closed"


class ConflictPolicy(StrEnum):
    """What a channel does when a marketplace shows a quantity or price other than ours."""

    STORE_WINS = "store_wins"  # stockbridge's value is set back on the marketplace
    MARKETPLACE_WINS = "marketplace_wins"  # the marketplace's value is kept, and recorded
    MANUAL = "manual"  # an open conflict waits for a person to choose
