"""Buyers' personal data on request: what is held (data request), and erasing it (redact).

Erasing clears an order's buyer name, email, both addresses and its stored marketplace
payload, and the matching stored webhook payloads. The erased orders' external ids are
kept on the channel (``config["redacted_orders"]``) so that an order imported again
later — a delivery replayed, a poll — is erased again at once instead of bringing the
data back (:func:`erase_if_redacted`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockbridge.db.models import EcomChannel, EcomOrder, EcomWebhookLog

REDACTED = "[redacted]"
PERSONAL_KEYS = frozenset(
    {
        "email", "contact_email", "phone", "first_name", "last_name", "name", "username",
        "full_name", "fullName", "address1", "address2", "addressLine1", "addressLine2",
        "city", "zip", "postalCode", "company", "customer", "billing_address",
        "shipping_address", "buyer", "eiasToken", "userId", "browser_ip", "contactAddress",
        "primaryPhone", "shipTo", "fulfillmentStartInstructions",
    }
)  # fmt: skip


def masked(value: Any, needles: frozenset[str] = frozenset()) -> Any:
    """``value`` with every personal field (at any depth), and any text that mentions one
    of ``needles``, replaced by ``[redacted]``."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if key in PERSONAL_KEYS and item not in (None, "")
            else masked(item, needles)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item, needles) for item in value]
    if isinstance(value, str) and needles and _mentions(value, needles):
        return REDACTED
    return value


def _mentions(value: Any, needles: frozenset[str]) -> bool:
    if isinstance(value, Mapping):
        return any(_mentions(item, needles) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, needles) for item in value)
    if value is None:
        return False
    text = str(value).lower()
    # An email is found inside free text too; a bare id only as the whole value.
    return text in needles or any("@" in needle and needle in text for needle in needles)


def matching_orders(
    session: Session, channel_id: int, *, external_ids: Iterable[str], buyer: Iterable[str]
) -> list[EcomOrder]:
    """The channel's orders named by id, or whose buyer name or email is one of ``buyer``."""
    ids, who = set(external_ids), {value.lower() for value in buyer if value}
    orders = session.scalars(select(EcomOrder).where(EcomOrder.channel_id == channel_id)).all()
    return [
        order
        for order in orders
        if order.external_id in ids
        or (order.customer_email or "").lower() in who
        or (order.customer_name or "").lower() in who
        or _mentions((order.raw or {}).get("buyer"), frozenset(who))
    ]


PERSONAL_COLUMNS = ("customer_name", "customer_email", "shipping_address", "billing_address")


def held_for(orders: Iterable[EcomOrder]) -> dict[str, Any]:
    """What is held for a customer, as a data request's answer records it."""
    return {
        "orders": [
            {
                "external_id": order.external_id,
                "fields": [name for name in PERSONAL_COLUMNS if getattr(order, name)],
            }
            for order in orders
        ]
    }


def erase_orders(session: Session, channel: EcomChannel, orders: Iterable[EcomOrder]) -> int:
    erased = 0
    remembered = set(channel.config.get("redacted_orders", []))
    for order in orders:
        _erase(order)
        remembered.add(order.external_id)
        erased += 1
    channel.config = {**channel.config, "redacted_orders": sorted(remembered)}
    return erased


def _erase(order: EcomOrder) -> None:
    order.customer_name = order.customer_email = None
    order.shipping_address = order.billing_address = None
    order.raw = masked(order.raw) if order.raw else order.raw


def erase_if_redacted(session: Session, channel_id: int, order_id: int) -> bool:
    channel = session.get(EcomChannel, channel_id)
    order = session.get(EcomOrder, order_id)
    if channel is None or order is None:
        return False
    if order.external_id not in set(channel.config.get("redacted_orders", [])):
        return False
    _erase(order)
    return True


def erase_payloads(
    session: Session, channel_id: int, buyer: Iterable[str], order_ids: Iterable[str] = ()
) -> int:
    """Mask stored webhook payloads of the channel that mention the buyer or one of the
    orders: their personal fields, and any text naming the buyer.

    The order ids themselves are not personal data and stay, so that a delivery replayed
    later still names its order, which is re-fetched and erased again at once.
    """
    who = frozenset(str(n).lower() for n in buyer if n)
    wanted = who | {str(n).lower() for n in order_ids if n}
    if not wanted:
        return 0
    erased = 0
    logs = session.scalars(
        select(EcomWebhookLog).where(
            EcomWebhookLog.channel_id == channel_id, EcomWebhookLog.payload.is_not(None)
        )
    )
    for log in logs:
        if _mentions(log.payload, wanted):
            log.payload = masked(log.payload, who)
            erased += 1
    return erased


def erase_all_payloads(session: Session, channel_id: int) -> int:
    logs = session.scalars(select(EcomWebhookLog).where(EcomWebhookLog.channel_id == channel_id))
    count = 0
    for log in logs:
        log.payload = masked(log.payload) if log.payload else log.payload
        count += 1
    return count
