"""Cursor pagination: every record exactly once, in order, whatever the page size."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError
from hypothesis import given
from hypothesis import strategies as st

from stockbridge.sandbox.shopify.pagination import MISSING_FIRST_MESSAGE, connection


def _walk(keys: list[int], first: int, reverse: bool) -> tuple[list[int], int]:
    seen: list[int] = []
    after: str | None = None
    pages = 0
    while True:
        page: dict[str, Any] = connection(
            keys, key=lambda k: k, first=first, after=after, reverse=reverse
        )
        pages += 1
        seen += page["nodes"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return seen, pages
        after = page["pageInfo"]["endCursor"]


@given(
    keys=st.lists(st.integers(min_value=1, max_value=10_000), unique=True, max_size=60),
    first=st.integers(min_value=1, max_value=25),
    reverse=st.booleans(),
)
def test_paging_returns_every_record_once_in_order(
    keys: list[int], first: int, reverse: bool
) -> None:
    seen, pages = _walk(keys, first, reverse)
    assert seen == sorted(keys, reverse=reverse)
    assert pages == max(1, -(-len(keys) // first))


def test_a_page_boundary_survives_the_deletion_of_its_last_record() -> None:
    page = connection([1, 2, 3, 4], key=lambda k: k, first=2)
    rest = connection([1, 3, 4], key=lambda k: k, first=2, after=page["pageInfo"]["endCursor"])
    assert rest["nodes"] == [3, 4]


def test_first_is_required_and_cursors_must_be_ours() -> None:
    with pytest.raises(GraphQLError, match=MISSING_FIRST_MESSAGE):
        connection([1], key=lambda k: k, first=None)
    with pytest.raises(GraphQLError, match="Invalid cursor"):
        connection([1], key=lambda k: k, first=1, after="not-a-cursor")
