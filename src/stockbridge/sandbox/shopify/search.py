"""Shopify's search syntax for the ``query:`` argument of connections.

Written here because no library parses Shopify's dialect. Supported: terms joined by
spaces or ``AND`` (all must hold), ``OR`` between groups of terms, negation with ``-`` or
``NOT``, ``field:value``, the comparators ``field:>v``, ``>=``, ``<``, ``<=``, values quoted
with ``'`` or ``"``, a trailing ``*`` as a prefix wildcard, and bare words (matched against
the title). Parentheses are not supported. Like Shopify, a filter on a field the
resource does not know is ignored rather than failing the query.

A resource describes itself as a :class:`Searchable`: its text fields (case-insensitive
equality, or prefix with ``*``), its word fields (any word starting with the value, the
way Shopify matches ``title:``) and its time fields (compared as instants).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

_TOKEN = re.compile(
    # Dotted fields (``variants.price``) serve webhook filters; connections have none.
    r"""(?P<neg>-)?(?:(?P<field>[A-Za-z_][\w.]*):(?P<cmp>>=|<=|>|<)?)?"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s]+)"""
)


@dataclass(frozen=True)
class Term:
    field: str | None
    comparator: str
    value: str
    negated: bool = False


@dataclass
class Searchable:
    """The values of one record that filters compare against."""

    text: dict[str, list[str]] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)


def parse_query(query: str) -> list[list[Term]]:
    """The query as OR-groups of AND-ed terms."""
    groups: list[list[Term]] = [[]]
    negate_next = False
    for match in _TOKEN.finditer(query):
        raw = match.group(0)
        if raw == "OR":
            groups.append([])
            continue
        if raw == "AND":
            continue
        if raw == "NOT":
            negate_next = True
            continue
        value = match.group("value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        groups[-1].append(
            Term(
                field=match.group("field"),
                comparator=match.group("cmp") or "=",
                value=value,
                negated=bool(match.group("neg")) or negate_next,
            )
        )
        negate_next = False
    return [group for group in groups if group] or [[]]


def matches(query: str | None, record: Searchable) -> bool:
    if not query or not query.strip():
        return True
    return any(all(_holds(term, record) for term in group) for group in _groups(query))


@lru_cache(maxsize=256)
def _groups(query: str) -> tuple[tuple[Term, ...], ...]:
    """``parse_query`` once per query: a connection filters every record by the same one."""
    return tuple(tuple(group) for group in parse_query(query))


def _holds(term: Term, record: Searchable) -> bool:
    result = _compare(term, record)
    if result is None:  # unknown field: ignored, as Shopify does
        return True
    return result != term.negated


def _compare(term: Term, record: Searchable) -> bool | None:
    name = term.field or "title"
    if name in record.times:
        instant = _parse_instant(term.value)
        if instant is None:
            return False
        return _ordered(record.times[name], term.comparator, instant)
    if name in record.words:
        wanted = term.value.lower().rstrip("*")
        return any(word.startswith(wanted) for word in record.words[name].lower().split())
    if name in record.text:
        return any(_text_equal(value, term.value) for value in record.text[name])
    return None


def _text_equal(value: str, wanted: str) -> bool:
    if wanted.endswith("*"):
        return value.lower().startswith(wanted[:-1].lower())
    return value.lower() == wanted.lower()


def _ordered(value: datetime, comparator: str, other: datetime) -> bool:
    if comparator == ">":
        return value > other
    if comparator == ">=":
        return value >= other
    if comparator == "<":
        return value < other
    if comparator == "<=":
        return value <= other
    return value == other


def _parse_instant(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Shopify reads a date without zone in the shop's zone; the sandbox shop is UTC for this.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
