"""docs/sandbox.md's Shopify coverage tables say exactly what our SDL serves."""

from __future__ import annotations

import re

from graphql import GraphQLObjectType

from stockbridge.sandbox.shopify.graph import sandbox_schema
from tests.sandbox.contracts import REPO_ROOT

ROW = re.compile(r"^\| `(\w+)` \| (.+) \|$")


def _shopify_section() -> str:
    text = (REPO_ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    return text[text.index("\n## Shopify\n") :]


def test_the_object_field_table_matches_the_sdl() -> None:
    schema = sandbox_schema()
    documented: dict[str, set[str]] = {}
    for line in _shopify_section().splitlines():
        match = ROW.match(line)
        if match and isinstance(schema.type_map.get(match.group(1)), GraphQLObjectType):
            documented[match.group(1)] = set(re.findall(r"`(\w+)`", match.group(2)))
    assert documented, "no type rows found"
    for type_name, fields in documented.items():
        owner = schema.type_map[type_name]
        assert isinstance(owner, GraphQLObjectType)
        assert fields == set(owner.fields), type_name


def test_every_served_root_field_is_listed_as_covered() -> None:
    schema = sandbox_schema()
    section = _shopify_section()
    assert schema.mutation_type is not None
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        for name in root.fields:
            assert f"| `{root.name}.{name}` | yes |" in section, name
