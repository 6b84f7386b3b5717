"""The ``filter`` of getOrders: eBay's criteria grammar and its error ids.

``filter`` is a comma-separated list of ``name:value`` criteria (official file,
getOrders): ``creationdate:[from..to]`` or ``[from..]`` and the same for
``lastmodifieddate`` (ISO 8601 UTC timestamps, both ends inclusive; with both given
only ``creationdate`` counts), and ``orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}``
or ``{FULFILLED|IN_PROGRESS}`` (the only two combinations eBay serves). Errors are the
file's: 30700 an unknown name, 30800 a value of the wrong shape, 30810 a bad timestamp,
30820 no start date, 30840 a start after the end, 30850 a date in the future.
"""

from __future__ import annotations

from dataclasses import dataclass

from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.orders import fulfillment_status, parse_iso
from stockbridge.sandbox.ebay.state import OrderRecord

#: The two status sets eBay accepts, as written in the filter.
STATUS_SETS = {
    "{NOT_STARTED|IN_PROGRESS}": frozenset({"NOT_STARTED", "IN_PROGRESS"}),
    "{FULFILLED|IN_PROGRESS}": frozenset({"FULFILLED", "IN_PROGRESS"}),
}
DATE_FIELDS = ("creationdate", "lastmodifieddate")


@dataclass(frozen=True)
class Window:
    """An inclusive range of epoch milliseconds; ``end`` None means open."""

    start: int
    end: int | None

    def holds(self, ms: int) -> bool:
        return self.start <= ms and (self.end is None or ms <= self.end)


@dataclass(frozen=True)
class OrderFilter:
    created: Window | None = None
    modified: Window | None = None
    statuses: frozenset[str] | None = None

    def matches(self, order: OrderRecord) -> bool:
        if self.created is not None:
            if not self.created.holds(order.created_ms):
                return False
        elif self.modified is not None and not self.modified.holds(order.modified_ms):
            return False
        return self.statuses is None or fulfillment_status(order) in self.statuses


def _invalid_value(name: str, value: str) -> EbayError:
    return errors.fulfillment_error(
        400,
        30800,
        f"Invalid filter value '{value}' for filter '{name}'",
        [("fieldvalue", value), ("fieldname", name)],
    )


def _window(name: str, value: str, now_ms: int) -> Window:
    if not (value.startswith("[") and value.endswith("]") and ".." in value):
        raise _invalid_value(name, value)
    raw_start, _, raw_end = value[1:-1].partition("..")
    if not raw_start.strip():
        raise errors.fulfillment_error(400, 30820, "Start date is missing")
    start = parse_iso(raw_start)
    end = parse_iso(raw_end) if raw_end.strip() else None
    if start is None or (raw_end.strip() and end is None):
        raise errors.fulfillment_error(400, 30810, "Invalid date format")
    if end is not None and start > end:
        raise errors.fulfillment_error(400, 30840, "Start date should be before end date")
    if start > now_ms or (end is not None and end > now_ms):
        raise errors.fulfillment_error(400, 30850, "Start and end dates can't be in the future")
    return Window(start, end)


def parse_filter(raw: str | None, now_ms: int) -> OrderFilter:
    """Parse getOrders' ``filter`` (None or empty: no criteria)."""
    windows: dict[str, Window] = {}
    statuses: frozenset[str] | None = None
    for criterion in (part.strip() for part in (raw or "").split(",")):
        if not criterion:
            continue
        name, colon, value = criterion.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name in DATE_FIELDS and colon:
            windows[name] = _window(name, value, now_ms)
        elif name == "orderfulfillmentstatus" and colon:
            if value not in STATUS_SETS:
                raise _invalid_value(name, value)
            statuses = STATUS_SETS[value]
        else:
            raise errors.fulfillment_error(
                400, 30700, f"Invalid filter name: {name}", [("fieldname", name)]
            )
    return OrderFilter(windows.get("creationdate"), windows.get("lastmodifieddate"), statuses)
