"""Reading orders and returns from Shopify: ``orders`` by ``updated_at``, page by page.

:meth:`OrderReader.orders_since` asks for ``orders(query: "updated_at:>='<since - overlap>'",
sortKey: UPDATED_AT)`` :data:`ORDERS_PAGE` at a time, following ``pageInfo``. The
overlap (``Capabilities.order_poll_overlap_seconds``) reaches back past ``since``
against clock skew and late indexing, so an order can come twice; the importer
de-duplicates by external id. An order that fails to normalise is put in its page's
``rejected`` with the reason, and the rest of the page still comes.

The cursor is a time, as eBay's: each page's ``next_cursor`` is the newest ``updatedAt``
seen so far (never older than where the poll began), the last page's included, so a poll
that fits in one page stores one too. A poll given a cursor asks from it less the overlap
(``since`` is then only for a poll with no cursor); Shopify's page cursors
(``pageInfo.endCursor``) belong to one query and are followed only within one call. The
pages come by ``updatedAt`` ascending, so a poll resumed from a page's cursor (a crashed
job's) misses nothing: every order changed before that time came on the pages read. A
cursor that is not a time (a page cursor stored before cursors were times) is ignored:
that poll starts from ``since``.

An order of more than :data:`LINES_PAGE` lines has the rest read with ``ORDER_LINES``.

Shopify has no root query for returns, so :meth:`OrderReader.returns_since` reads the
returns of the orders changed since ``since`` (a return's every step stamps its order's
``updatedAt``) that have any (``-return_status:no_return``): every return of such an
order comes, older ones included; the caller de-duplicates by id and status.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from stockbridge.channels.base import NormalizedOrder, NormalizedReturn, OrderPage
from stockbridge.channels.shopify.client import ShopifyGraphQLClient
from stockbridge.channels.shopify.documents import ORDER, ORDER_LINES, ORDER_RETURNS, ORDERS_UPDATED
from stockbridge.channels.shopify.orders import order_from_node, return_from_node
from stockbridge.errors import ChannelError, ChannelErrorCategory

#: Orders per page and lines per order: Shopify prices this query at about 710 points
#: (each line ~12), under its 1,000 a query; most orders have fewer lines than that.
ORDERS_PAGE = 10
LINES_PAGE = 5
#: Orders per returns page, returns per order, lines per return: about 840 points.
RETURN_ORDERS_PAGE = 5
RETURNS_PER_ORDER = 5
RETURN_LINES = 10


def updated_since(since: datetime, overlap_seconds: int, extra: str = "") -> str:
    """Shopify's search for "changed at or after ``since`` minus the overlap"."""
    if since.tzinfo is None:
        raise ChannelError(
            "since must be an aware datetime", category=ChannelErrorCategory.VALIDATION
        )
    start = (since - timedelta(seconds=overlap_seconds)).astimezone(UTC)
    query = f"updated_at:>='{start.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    return f"{query} {extra}".strip()


def time_cursor(moment: datetime) -> str:
    """A poll cursor: the instant in UTC, ISO 8601 with ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cursor_time(cursor: str | None) -> datetime | None:
    """The instant of a :func:`time_cursor`; ``None`` for no cursor or one that is not a
    time (a page cursor of the former kind)."""
    if not cursor:
        return None
    try:
        moment = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class OrderReader:
    """Reads one shop's orders and returns."""

    def __init__(self, client: ShopifyGraphQLClient, overlap_seconds: int) -> None:
        self._client = client
        self._overlap = overlap_seconds

    def orders_since(self, cursor: str | None, since: datetime) -> Iterator[OrderPage]:
        start = cursor_time(cursor) or since
        newest = start
        query = updated_since(start, self._overlap)
        after: str | None = None
        while True:
            data = self._client.execute(
                ORDERS_UPDATED,
                {"query": query, "first": ORDERS_PAGE, "after": after, "lines": LINES_PAGE},
            )
            page = data["orders"]
            orders: list[NormalizedOrder] = []
            rejected: dict[str, str] = {}
            for node in page["nodes"]:
                try:
                    orders.append(self._normalised(node))
                except ChannelError as error:
                    if error.category is not ChannelErrorCategory.VALIDATION:
                        raise
                    rejected[str(node.get("id") or f"#{len(rejected)}")] = error.detail
            newest = max([newest, *(order.updated_at for order in orders)])
            yield OrderPage(orders=tuple(orders), next_cursor=time_cursor(newest),
                            rejected=rejected)  # fmt: skip
            if not page["pageInfo"]["hasNextPage"] or not page["nodes"]:
                return
            after = page["pageInfo"]["endCursor"]

    def get_order(self, external_id: str) -> NormalizedOrder:
        node = self._client.execute(ORDER, {"id": external_id, "lines": LINES_PAGE})["order"]
        if node is None:
            raise ChannelError(
                f"Shopify has no order {external_id}", category=ChannelErrorCategory.NOT_FOUND
            )
        return self._normalised(node)

    def _normalised(self, node: Mapping[str, Any]) -> NormalizedOrder:
        connection = node.get("lineItems") or {}
        lines = list(connection.get("nodes") or [])
        page_info = connection.get("pageInfo") or {}
        after = page_info.get("endCursor")
        while page_info.get("hasNextPage"):
            data = self._client.execute(
                ORDER_LINES, {"id": node["id"], "first": LINES_PAGE, "after": after}
            )
            connection = (data["order"] or {}).get("lineItems") or {}
            lines += connection.get("nodes") or []
            page_info = connection.get("pageInfo") or {}
            after = page_info.get("endCursor")
        return order_from_node(node, lines)

    def returns_since(self, since: datetime) -> Iterator[NormalizedReturn]:
        query = updated_since(since, self._overlap, "-return_status:no_return")
        after: str | None = None
        while True:
            data = self._client.execute(
                ORDER_RETURNS,
                {
                    "query": query,
                    "first": RETURN_ORDERS_PAGE,
                    "after": after,
                    "returns": RETURNS_PER_ORDER,
                    "lines": RETURN_LINES,
                },
            )
            page = data["orders"]
            for order in page["nodes"]:
                for node in (order.get("returns") or {}).get("nodes") or []:
                    yield return_from_node(node, str(order["id"]))
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]
