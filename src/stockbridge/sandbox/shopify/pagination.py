"""Relay connections as Shopify serves them: ``first``/``after`` and opaque cursors.

A cursor encodes the sort key of the last record seen rather than a position, so a
page boundary stays put when records before it are added or deleted while a client
pages through. Shopify requires ``first`` (or ``last``) on every connection and answers
a missing one with the error below.
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
    first: int | None = None,
    after: str | None = None,
    reverse: bool = False,
    last: int | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """One page of ``records`` ordered by ``key`` (descending if ``reverse``).

    ``first``/``after`` page forwards; ``last``/``before`` page backwards (the page
    holds the last ``last`` records before the cursor), as Relay and Shopify define them.
    """
    if first is None and last is None:
        raise GraphQLError(MISSING_FIRST_MESSAGE)
    if first is not None and last is not None:
        raise GraphQLError("providing both first and last is not supported")
    if (first or 0) < 0 or (last or 0) < 0:
        raise GraphQLError("first must be a non-negative integer")
    ordered = sorted(records, key=key, reverse=reverse)

    def beyond(cursor: str, forwards: bool) -> Callable[[T], bool]:
        """Whether a record comes after (``forwards``) or before the cursor in this order."""
        boundary = decode_cursor(cursor)
        later = forwards != reverse  # ascending keys lie later in a forward page

        def test(record: T) -> bool:
            return key(record) > boundary if later else key(record) < boundary

        return test

    cut_before = cut_after = False
    if after is not None:
        kept = [r for r in ordered if beyond(after, True)(r)]
        cut_before, ordered = len(kept) < len(ordered), kept
    if before is not None:
        kept = [r for r in ordered if beyond(before, False)(r)]
        cut_after, ordered = len(kept) < len(ordered), kept
    if first is not None:
        page = ordered[:first]
        has_next, has_previous = len(ordered) > first, cut_before
    else:
        assert last is not None
        page = ordered[max(0, len(ordered) - last) :]
        has_next, has_previous = cut_after, len(ordered) > last
    edges = [{"cursor": encode_cursor(key(record)), "node": record} for record in page]
    return {
        "edges": edges,
        "nodes": page,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
