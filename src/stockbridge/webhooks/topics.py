"""What each marketplace topic means to stockbridge: an order to import, a publication
to reconcile, the app removed, or a buyer's data to export or erase.

:func:`action_for` reads a logged delivery's topic and payload into one :class:`Action`;
topics stockbridge does not act on are ``IGNORE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ActionKind(StrEnum):
    IMPORT_ORDER = "import_order"
    RECONCILE = "reconcile"
    UNINSTALLED = "uninstalled"
    DATA_REQUEST = "data_request"
    REDACT_CUSTOMER = "redact_customer"
    REDACT_SHOP = "redact_shop"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    #: The marketplace id of the order or listing the delivery is about.
    external_id: str | None = None
    #: Orders a compliance topic names.
    order_ids: tuple[str, ...] = ()
    #: Who a compliance topic is about (email, username, ids), matched case-insensitively.
    buyer: tuple[str, ...] = field(default_factory=tuple)


SHOPIFY_ORDER_TOPICS = frozenset(
    {"orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled"}
)


def _gid(kind: str, raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    text = str(raw)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def _shopify(topic: str, payload: Mapping[str, Any]) -> Action:
    if topic in SHOPIFY_ORDER_TOPICS:
        order = payload.get("admin_graphql_api_id") or _gid("Order", payload.get("id"))
        return Action(ActionKind.IMPORT_ORDER, external_id=order)
    if topic == "refunds/create":
        return Action(ActionKind.IMPORT_ORDER, external_id=_gid("Order", payload.get("order_id")))
    if topic == "inventory_levels/update":
        item = _gid("InventoryItem", payload.get("inventory_item_id"))
        return Action(ActionKind.RECONCILE, external_id=item)
    if topic == "products/update":
        product = payload.get("admin_graphql_api_id") or _gid("Product", payload.get("id"))
        return Action(ActionKind.RECONCILE, external_id=product)
    if topic == "app/uninstalled":
        return Action(ActionKind.UNINSTALLED)
    if topic in ("customers/data_request", "customers/redact"):
        customer = payload.get("customer") or {}
        buyer = tuple(str(v) for v in (customer.get("email"), customer.get("phone")) if v)
        orders = payload.get("orders_requested") or payload.get("orders_to_redact") or []
        kind = (
            ActionKind.DATA_REQUEST
            if topic.endswith("data_request")
            else ActionKind.REDACT_CUSTOMER
        )
        return Action(kind, order_ids=tuple(str(_gid("Order", o)) for o in orders), buyer=buyer)
    if topic == "shop/redact":
        return Action(ActionKind.REDACT_SHOP)
    return Action(ActionKind.IGNORE)


def _ebay(topic: str, payload: Mapping[str, Any]) -> Action:
    data = (payload.get("notification") or {}).get("data") or {}
    if topic == "ORDER_CONFIRMATION" and data.get("orderId"):
        return Action(ActionKind.IMPORT_ORDER, external_id=str(data["orderId"]))
    if topic == "MARKETPLACE_ACCOUNT_DELETION":
        buyer = tuple(str(data[k]) for k in ("username", "userId", "eiasToken") if data.get(k))
        return Action(ActionKind.REDACT_CUSTOMER, buyer=buyer)
    if topic == "PRIORITY_LISTING_REVISION" and data.get("itemId"):
        return Action(ActionKind.RECONCILE, external_id=str(data["itemId"]))
    return Action(ActionKind.IGNORE)


def action_for(provider: str, topic: str, payload: Mapping[str, Any] | None) -> Action:
    read = {"shopify": _shopify, "ebay": _ebay}.get(provider)
    if read is None:
        return Action(ActionKind.IGNORE)
    return read(topic, payload or {})
