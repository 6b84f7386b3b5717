"""What a subscription's ``includeFields`` and ``filter`` do to one event's payload.

``includeFields`` names the payload fields to keep (``id``, ``updated_at``; a dotted
path such as ``line_items.sku`` keeps one field of nested objects, through lists).
``filter`` is Shopify's search syntax applied to the payload (``status:active``,
``variants.price:>=10``): terms joined by spaces or ``AND``, ``OR`` between groups,
``-``/``NOT`` to negate, comparators ``>``, ``>=``, ``<``, ``<=`` on numbers and
instants, ``*`` as a prefix wildcard. A field the payload lacks makes its term false, so
the event is not delivered. Parentheses are not supported.

Hand-written because no library speaks Shopify's search dialect; ``search.py`` serves
the ``query:`` argument of connections, whose field names have no dots.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from stockbridge.sandbox.shopify.search import Term, parse_query

#: ``None`` in a field tree: keep the whole value.
FieldTree = dict[str, "FieldTree | None"]


# --- includeFields ------------------------------------------------------------------


def _tree(fields: Sequence[str]) -> FieldTree:
    tree: FieldTree = {}
    for path in fields:
        node: FieldTree = tree
        parts = path.split(".")
        for depth, part in enumerate(parts):
            if depth == len(parts) - 1:
                node[part] = None
                break
            child = node.get(part, {})
            if child is None:  # an enclosing field is already kept whole
                break
            node[part] = child
            node = child
    return tree


def _project(value: Any, tree: FieldTree | None) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [_project(item, tree) for item in value]
    if isinstance(value, Mapping):
        return {key: _project(value[key], sub) for key, sub in tree.items() if key in value}
    return value


def include_fields(payload: Mapping[str, Any], fields: Sequence[str]) -> Mapping[str, Any]:
    """The payload with only ``fields`` kept; all of it when ``fields`` is empty."""
    if not fields:
        return payload
    projected: Mapping[str, Any] = _project(payload, _tree(fields))
    return projected


# --- filter -------------------------------------------------------------------------


def parse_filter(text: str) -> list[list[Term]]:
    """The filter as OR-groups of AND-ed terms (no groups for an empty filter)."""
    return [group for group in parse_query(text) if group]


def filter_is_valid(text: str) -> bool:
    """Shopify needs every term of a filter to name its field."""
    groups = parse_filter(text)
    return bool(groups) and all(term.field for group in groups for term in group)


def _values(value: Any, path: list[str]) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _values(item, path)
    elif not path:
        yield value
    elif isinstance(value, Mapping) and path[0] in value:
        yield from _values(value[path[0]], path[1:])


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _ordered(left: Any, comparator: str, right: Any) -> bool:
    if comparator == ">":
        return bool(left > right)
    if comparator == ">=":
        return bool(left >= right)
    if comparator == "<":
        return bool(left < right)
    return bool(left <= right)


def _term_holds_for(value: Any, term: Term) -> bool:
    wanted = term.value
    if term.comparator == "=":
        text = str(value).lower()
        if wanted.endswith("*"):
            return text.startswith(wanted[:-1].lower())
        number, other = _number(value), _number(wanted)
        if number is not None and other is not None:
            return number == other
        return text == wanted.lower()
    number, other = _number(value), _number(wanted)
    if number is not None and other is not None:
        return _ordered(number, term.comparator, other)
    instant, other_instant = _instant(value), _instant(wanted)
    if (
        instant is not None
        and other_instant is not None
        and ((instant.tzinfo is None) == (other_instant.tzinfo is None))
    ):
        return _ordered(instant, term.comparator, other_instant)
    return False


def filter_matches(text: str | None, payload: Mapping[str, Any]) -> bool:
    """Whether an event with ``payload`` passes a subscription's ``filter``."""
    if not text or not text.strip():
        return True
    for group in parse_filter(text):
        holds = True
        for term in group:
            found = list(_values(payload, (term.field or "").split(".")))
            result = any(_term_holds_for(value, term) for value in found)
            if result == term.negated:
                holds = False
                break
        if holds:
            return True
    return False
