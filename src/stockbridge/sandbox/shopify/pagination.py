"""Relay connections as Shopify serves them: ``first``/``after`` and opaque cursors.

A cursor encodes the sort key of the last record seen rather than a position, so a
page boundary stays put when records before it are added or deleted while a client
pages through. Shopify requires ``first`` (or ``last``) on every connection; the sandbox
serves ``first`` only and answers a missing one with Shopify's error.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

T = TypeVar("T")

MISSING_FIRST_MESSAGE = "you must provide one of first or last"


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"last_id": key}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["last_id"])
    except (ValueError, KeyError, TypeError) as error:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from error


def connection(
    records: Sequence[T],
    *,
    key: Callable[[T], int],
    first: int | None,
    after: str | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    """One page of ``records`` ordered by ``key`` (descending if ``reverse``)."""
    if first is None:
        raise GraphQLError(MISSING_FIRST_MESSAGE)
    if first < 0:
        raise GraphQLError("first must be a non-negative integer")
    ordered = sorted(records, key=key, reverse=reverse)
    skipped = 0
    if after is not None:
        boundary = decode_cursor(after)
        beyond = [r for r in ordered if (key(r) < boundary if reverse else key(r) > boundary)]
        skipped = len(ordered) - len(beyond)
        ordered = beyond
    page = ordered[:first]
    edges = [{"cursor": encode_cursor(key(record)), "node": record} for record in page]
    return {
        "edges": edges,
        "nodes": page,
        "pageInfo": {
            "hasNextPage": len(ordered) > first,
            "hasPreviousPage": skipped > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
