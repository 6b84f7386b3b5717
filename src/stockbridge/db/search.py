"""Text search in SQL that means what the user typed: case-insensitive, and literal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_


def contains_text(text: str, *columns: Any) -> ColumnElement[bool]:
    """Any of ``columns`` contains ``text``, ignoring case; ``%`` and ``_`` in it are not
    wildcards (they are escaped, as is the escape character itself)."""
    literal = text.strip().lower().replace("\\", "\\\\")
    pattern = "%" + literal.replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))
