"""Sell Fulfillment calls: the order poll, one order, shipping fulfilments and refunds.

The poll (:meth:`EbayFulfillment.orders_since`) asks getOrders for
``lastmodifieddate:[from..]``, ``from`` being the cursor (or ``since``) less
:data:`ORDER_POLL_OVERLAP`, because eBay may index an order change late and clocks
differ; the same order then comes twice, and the importer updates it by
``(channel, external id)``. Pages of :data:`DEFAULT_PAGE_SIZE` follow by ``offset``
while the answer has a ``next``. Each page's ``next_cursor`` is the newest
``lastModifiedDate`` seen so far (never older than the cursor given). An order that
cannot be read goes into ``OrderPage.rejected`` with the reason; the rest import.

Refunds (issueRefund, ``sell.finances`` scope) have no idempotency key on eBay, so the
rule is ours (see :meth:`EbayFulfillment.refund`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from stockbridge.channels.base import Fulfilment, Money, NormalizedOrder, OrderPage, Refund
from stockbridge.channels.ebay.client import Api, EbayClient, created_id
from stockbridge.channels.ebay.mapping import amount
from stockbridge.channels.ebay.orders import order_from_json
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.money import to_minor_units

FULFILLMENT = "/sell/fulfillment/v1"
#: How far back each poll reaches before its cursor (the provider's
#: ``order_poll_overlap_seconds``): five minutes, against late indexing and clock skew.
ORDER_POLL_OVERLAP = timedelta(seconds=300)
#: Orders per getOrders page (eBay allows 1 to 200).
DEFAULT_PAGE_SIZE = 100
#: Refund keys one process remembers (a few hundred bytes each).
REMEMBERED_REFUNDS = 10_000
#: Stockbridge refund reasons -> eBay ReasonForRefundEnum; anything else is OTHER_ADJUSTMENT.
REFUND_REASONS: Mapping[str, str] = {
    "buyer_cancel": "BUYER_CANCEL",
    "seller_cancel": "SELLER_CANCEL",
    "item_not_received": "ITEM_NOT_RECEIVED",
    "return": "BUYER_RETURN",
    "not_as_described": "ITEM_NOT_AS_DESCRIBED",
    "shipping_discount": "SHIPPING_DISCOUNT",
}


def ebay_time(moment: datetime) -> str:
    """eBay's timestamp form, UTC with milliseconds: ``2026-09-21T14:03:05.123Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _order_path(order_id: str) -> str:
    return f"{FULFILLMENT}/order/{quote(order_id, safe='')}"


class RefundMemo:
    """Refund keys already issued in this process: (account, order, key) -> refund id.

    ``account`` names the eBay environment and app, so two sandboxes never share ids.
    The newest :data:`REMEMBERED_REFUNDS` are kept; older keys are the caller's to hold.
    Refunds of one order are made one at a time (:meth:`serial`, a lock striped by
    order), so two threads with the same key cannot both pass the check.
    """

    _lock = threading.Lock()
    _issued: dict[tuple[str, str, str], str] = {}
    _stripes = tuple(threading.Lock() for _ in range(64))

    def __init__(self, account: str) -> None:
        self._account = account

    def serial(self, order_id: str) -> threading.Lock:
        return RefundMemo._stripes[hash((self._account, order_id)) % len(RefundMemo._stripes)]

    def get(self, order_id: str, key: str) -> str | None:
        with RefundMemo._lock:
            return RefundMemo._issued.get((self._account, order_id, key))

    def put(self, order_id: str, key: str, refund_id: str) -> None:
        with RefundMemo._lock:
            RefundMemo._issued[(self._account, order_id, key)] = refund_id
            while len(RefundMemo._issued) > REMEMBERED_REFUNDS:
                del RefundMemo._issued[next(iter(RefundMemo._issued))]


class EbayFulfillment:
    """One seller's orders on eBay, through the Sell Fulfillment API."""

    def __init__(self, client: EbayClient, account: str, page_size: int = DEFAULT_PAGE_SIZE):
        self._client, self._page_size = client, page_size
        self._refunds = RefundMemo(account)

    # --- reading orders -------------------------------------------------------------

    def orders_since(self, cursor: str | None, since: datetime) -> Iterator[OrderPage]:
        start = _parse_cursor(cursor) if cursor else since
        newest = start
        query = f"lastmodifieddate:[{ebay_time(start - ORDER_POLL_OVERLAP)}..]"
        offset = 0
        while True:
            body = self._client.json(
                Api.FULFILLMENT,
                "GET",
                f"{FULFILLMENT}/order",
                params={"filter": query, "limit": str(self._page_size), "offset": str(offset)},
            )
            entries = body.get("orders") or []
            orders, rejected = _normalised(entries, offset)
            for order in orders:
                newest = max(newest, order.updated_at)
            yield OrderPage(tuple(orders), ebay_time(newest), rejected)
            if not body.get("next") or not entries:
                return
            offset += len(entries)

    def get_order(self, order_id: str) -> NormalizedOrder:
        return order_from_json(self._client.json(Api.FULFILLMENT, "GET", _order_path(order_id)))

    # --- shipping -------------------------------------------------------------------

    def fulfil(self, fulfilment: Fulfilment) -> str:
        """createShippingFulfillment for the lines given (part of an order is fine)."""
        if not fulfilment.lines:
            raise ChannelError(
                "a fulfilment needs at least one line", category=ChannelErrorCategory.VALIDATION
            )
        body: dict[str, Any] = {
            "lineItems": [
                {"lineItemId": line.line_external_id, "quantity": line.quantity}
                for line in fulfilment.lines
            ],
            "shippingCarrierCode": fulfilment.carrier,
            "trackingNumber": fulfilment.tracking_number,
        }
        if fulfilment.shipped_at is not None:
            body["shippedDate"] = ebay_time(fulfilment.shipped_at)
        answer = self._client.request(
            Api.FULFILLMENT,
            "POST",
            f"{_order_path(fulfilment.order_external_id)}/shipping_fulfillment",
            json=body,
        )
        return created_id(answer, "a shipping fulfilment")

    # --- refunds --------------------------------------------------------------------

    def refund(self, refund: Refund) -> str:
        """issueRefund, at most once per ``idempotency_key``; returns eBay's refund id.

        An ``amount`` is refunded on the order (``orderLevelRefundAmount``); ``lines``
        alone are refunded line by line (``refundItems``), each at its unit price times
        the quantity. eBay takes no idempotency key, so the rule is ours: a key this
        process has issued answers the refund id it got, with no call; otherwise the
        order is read first, and if issueRefund then fails in transit (timeout,
        dropped answer) the order is read again and refunds that appeared since,
        together worth the amount asked, are taken as this one instead of sending a
        second. The key also goes into the refund's ``comment``, where the seller sees
        it on eBay. Across processes the caller keeps the refund id with the key (the
        refund row) and does not ask again for a key it holds an id for. Refunds of
        one order are made one at a time in the process.
        """
        with self._refunds.serial(refund.order_external_id):
            known = self._refunds.get(refund.order_external_id, refund.idempotency_key)
            if known is not None:
                return known
            refund_id = self._issue(refund)
            self._refunds.put(refund.order_external_id, refund.idempotency_key, refund_id)
            return refund_id

    def _issue(self, refund: Refund) -> str:
        path = _order_path(refund.order_external_id)
        order = self._client.json(Api.FULFILLMENT, "GET", path)
        body, total = refund_body(refund, order_from_json(order))
        before = {refund_id for refund_id, _ in _refunds_of(order)}
        try:
            answer = self._client.json(Api.FULFILLMENT, "POST", f"{path}/issue_refund", json=body)
            refund_id = str(answer.get("refundId") or "")
        except ChannelError as error:
            if error.category is not ChannelErrorCategory.TRANSIENT:
                raise
            refund_id = self._landed(path, before, total) or ""
            if not refund_id:
                raise
        if not refund_id:
            raise ChannelError(
                "eBay accepted a refund but named no refundId",
                category=ChannelErrorCategory.CRITICAL,
            )
        return refund_id

    def _landed(self, path: str, before: set[str], total: Money) -> str | None:
        """The first refund that appeared since ``before``, if those new ones sum to ``total``."""
        fresh = [
            (refund_id, cents)
            for refund_id, cents in _refunds_of(self._client.json(Api.FULFILLMENT, "GET", path))
            if refund_id not in before
        ]
        if fresh and sum(cents for _, cents in fresh) == total.cents:
            return fresh[0][0]
        return None


def _refunds_of(order: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(refund id, minor units) of each refund in the order's ``paymentSummary``."""
    currency = str(((order.get("pricingSummary") or {}).get("total") or {}).get("currency", ""))
    found = []
    for entry in (order.get("paymentSummary") or {}).get("refunds") or []:
        value = (entry.get("amount") or {}).get("value")
        if entry.get("refundId") and value is not None:
            found.append((str(entry["refundId"]), to_minor_units(str(value), currency)))
    return found


def refund_body(refund: Refund, order: NormalizedOrder) -> tuple[dict[str, Any], Money]:
    """The IssueRefundRequest for ``refund`` on ``order``, and the total it gives back."""
    body: dict[str, Any] = {
        "reasonForRefund": REFUND_REASONS.get(refund.reason, "OTHER_ADJUSTMENT"),
        "comment": f"stockbridge refund {refund.idempotency_key}",
    }
    if refund.amount is not None:
        body["orderLevelRefundAmount"] = amount(refund.amount)
        return body, refund.amount
    if not refund.lines:
        raise ChannelError(
            "an eBay refund needs an amount or lines", category=ChannelErrorCategory.VALIDATION
        )
    lines = {line.external_id: line for line in order.lines}
    items, total = [], 0
    for wanted in refund.lines:
        line = lines.get(wanted.line_external_id)
        if line is None or not 1 <= wanted.quantity <= line.quantity:
            raise ChannelError(
                f"eBay order {order.external_id} has no line {wanted.line_external_id} "
                f"with {wanted.quantity} unit(s) to refund",
                category=ChannelErrorCategory.VALIDATION,
            )
        cents = line.unit_price.cents * wanted.quantity
        total += cents
        items.append(
            {
                "lineItemId": line.external_id,
                "refundAmount": amount(Money(cents, order.currency)),
            }
        )
    body["refundItems"] = items
    return body, Money(total, order.currency)


def _normalised(entries: list[Any], offset: int) -> tuple[list[NormalizedOrder], dict[str, str]]:
    orders: list[NormalizedOrder] = []
    rejected: dict[str, str] = {}
    for n, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            rejected[f"#{offset + n}"] = "the order is not a JSON object"
            continue
        try:
            orders.append(order_from_json(entry))
        except ChannelError as error:
            rejected[str(entry.get("orderId") or f"#{offset + n}")] = error.detail
    return orders, rejected


def _parse_cursor(cursor: str) -> datetime:
    try:
        moment = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ChannelError(
            f"not an eBay order cursor: {cursor!r}", category=ChannelErrorCategory.VALIDATION
        )
    return moment
