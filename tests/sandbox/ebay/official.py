"""Checks that a sandbox answer uses only fields of eBay's official schemas.

The official files leave ``additionalProperties`` open, so contract mode alone would
let a made-up field through; :func:`unknown_fields` walks an answer against a named
schema and lists every key the schema (and the schemas it refers to) does not define.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.sandbox.contracts import CONTRACTS_DIR


@cache
def schemas(spec: Path) -> dict[str, Any]:
    document = json.loads((CONTRACTS_DIR / spec).read_text(encoding="utf-8"))
    found: dict[str, Any] = document["components"]["schemas"]
    return found


def _resolve(spec: Path, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas(spec)[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def unknown_fields(spec: Path, schema_name: str, value: Any, where: str = "") -> list[str]:
    """Paths of the keys in ``value`` that the official ``schema_name`` does not define."""
    return _walk(spec, schemas(spec)[schema_name], value, where or schema_name)


def _walk(spec: Path, schema: dict[str, Any], value: Any, where: str) -> list[str]:
    schema = _resolve(spec, schema)
    if isinstance(value, list):
        items = schema.get("items", {})
        return [m for i, v in enumerate(value) for m in _walk(spec, items, v, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return []
    properties = schema.get("properties", {})
    if not properties:  # a free-form object in the file
        return []
    missing = [f"{where}.{key}" for key in value if key not in properties]
    for key, inner in value.items():
        if key in properties:
            missing.extend(_walk(spec, properties[key], inner, f"{where}.{key}"))
    return missing
