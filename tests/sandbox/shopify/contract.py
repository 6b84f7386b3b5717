"""Proof that our Shopify SDL is true to Shopify's official Admin schema.

Reads the official schema from ``../shared/ref`` beside the repository (never copied
into it). Without that file the tests that need it fail in CI and are skipped elsewhere,
naming where it was looked for (``tests/sandbox/contracts.py``).

``validate_against_official`` is for any test holding a GraphQL document meant for
Shopify (the sandbox's own tests, later the Shopify adapter's document tests).
"""

from __future__ import annotations

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    is_non_null_type,
    print_ast,
)

from stockbridge.sandbox.shopify.contract import (
    OFFICIAL_SCHEMA_FILE,
    load_official_schema,
    official_errors,
)
from tests.sandbox.contracts import CONTRACTS_DIR, require_contracts


def official_schema() -> GraphQLSchema:
    require_contracts(CONTRACTS_DIR / OFFICIAL_SCHEMA_FILE)
    return load_official_schema(CONTRACTS_DIR)


def validate_against_official(document: str) -> list[GraphQLError]:
    """The errors Shopify's official schema finds in ``document`` (empty when valid)."""
    return official_errors(official_schema(), document)


def _default(value: GraphQLArgument | GraphQLInputField) -> str | None:
    node = value.ast_node
    literal = getattr(node, "default_value", None) if node else None
    return print_ast(literal) if literal is not None else None


def _kind(named: GraphQLNamedType) -> str:
    return type(named).__name__


def schema_differences(ours: GraphQLSchema, official: GraphQLSchema) -> list[str]:
    """Every way ``ours`` is not a faithful subset of ``official``; empty when it is."""
    found: list[str] = []
    roots = (
        (ours.query_type, official.query_type),
        (ours.mutation_type, official.mutation_type),
    )
    for mine, theirs in roots:
        if mine is not None and (theirs is None or mine.name != theirs.name):
            found.append(f"root type {mine.name} is not the official root type")
    for name, mine in ours.type_map.items():
        if name.startswith("__"):
            continue
        theirs = official.type_map.get(name)
        if theirs is None:
            found.append(f"type {name} does not exist")
        elif _kind(mine) != _kind(theirs):
            found.append(f"type {name} is a {_kind(mine)}, officially a {_kind(theirs)}")
        else:
            found += _type_differences(name, mine, theirs)
    return found


def _type_differences(name: str, mine: GraphQLNamedType, theirs: GraphQLNamedType) -> list[str]:
    if isinstance(mine, GraphQLEnumType) and isinstance(theirs, GraphQLEnumType):
        return [
            f"enum value {name}.{v} does not exist" for v in mine.values if v not in theirs.values
        ]
    if isinstance(mine, GraphQLUnionType) and isinstance(theirs, GraphQLUnionType):
        official_members = {t.name for t in theirs.types}
        return [
            f"{name} member {t.name} is not official"
            for t in mine.types
            if t.name not in official_members
        ]
    if isinstance(mine, GraphQLInputObjectType) and isinstance(theirs, GraphQLInputObjectType):
        return _input_differences(name, mine, theirs)
    if isinstance(mine, (GraphQLObjectType, GraphQLInterfaceType)) and isinstance(
        theirs, (GraphQLObjectType, GraphQLInterfaceType)
    ):
        official_interfaces = {i.name for i in theirs.interfaces}
        found = [
            f"{name} implements {i.name}, officially it does not"
            for i in mine.interfaces
            if i.name not in official_interfaces
        ]
        for field_name, field in mine.fields.items():
            official_field = theirs.fields.get(field_name)
            if official_field is None:
                found.append(f"field {name}.{field_name} does not exist")
            else:
                found += _field_differences(f"{name}.{field_name}", field, official_field)
        return found
    return []  # scalars: the name is the contract


def _field_differences(where: str, mine: GraphQLField, theirs: GraphQLField) -> list[str]:
    found = []
    if str(mine.type) != str(theirs.type):
        found.append(f"field {where} is {mine.type}, officially {theirs.type}")
    for arg_name, arg in mine.args.items():
        official_arg = theirs.args.get(arg_name)
        if official_arg is None:
            found.append(f"argument {where}({arg_name}) does not exist")
            continue
        if str(arg.type) != str(official_arg.type):
            found.append(
                f"argument {where}({arg_name}) is {arg.type}, officially {official_arg.type}"
            )
        if _default(arg) != _default(official_arg):
            found.append(
                f"argument {where}({arg_name}) defaults to {_default(arg)}, "
                f"officially {_default(official_arg)}"
            )
    for arg_name, official_arg in theirs.args.items():
        # Shopify requires it, so a document valid for us must give it too.
        if (
            is_non_null_type(official_arg.type)
            and _default(official_arg) is None
            and arg_name not in mine.args
        ):
            found.append(f"required argument {where}({arg_name}) is missing")
    return found


def _input_differences(
    name: str, mine: GraphQLInputObjectType, theirs: GraphQLInputObjectType
) -> list[str]:
    found = []
    for field_name, field in mine.fields.items():
        official_field = theirs.fields.get(field_name)
        where = f"{name}.{field_name}"
        if official_field is None:
            found.append(f"input field {where} does not exist")
            continue
        if str(field.type) != str(official_field.type):
            found.append(f"input field {where} is {field.type}, officially {official_field.type}")
        if _default(field) != _default(official_field):
            found.append(
                f"input field {where} defaults to {_default(field)}, "
                f"officially {_default(official_field)}"
            )
    for field_name, official_field in theirs.fields.items():
        if (
            is_non_null_type(official_field.type)
            and _default(official_field) is None
            and field_name not in mine.fields
        ):
            found.append(f"required input field {name}.{field_name} is missing")
    return found
