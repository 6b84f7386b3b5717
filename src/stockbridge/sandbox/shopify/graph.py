"""The sandbox's GraphQL engine: our SDL with its resolvers, and one request's pipeline.

The pipeline runs in Shopify's order: parse, validate (against the official schema too
in contract mode), coerce variables, compute the requested cost (over 1000 → Shopify's
``MAX_COST_EXCEEDED``), take it from the caller's bucket (too little → ``THROTTLED``),
execute, then refund what the answer did not cost. Every answer carries
``extensions.cost``, as Shopify's do.

Fields without a resolver read the record attribute named like the field in snake_case
(or the key of a dict), so records stay plain data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.utilities import get_operation_ast

from stockbridge.sandbox.shopify import (
    cancellation,
    catalog,
    fulfillment,
    inventory,
    orders,
    product_set,
    refunds,
    returns,
    variant_bulk,
    webhooks,
)
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.contract import ContractViolations
from stockbridge.sandbox.shopify.cost import (
    Throttle,
    actual_cost,
    cost_extension,
    max_cost_error,
    requested_cost,
    throttled_error,
)
from stockbridge.sandbox.shopify.state import gid_number

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
#: Further SDL files joined to ``SCHEMA_FILE``, each extending its root types.
EXTENSION_FILES = (Path(__file__).with_name("orders.graphql"),)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def resolve_default(source: Any, info: Info, **_args: Any) -> Any:
    name = info.field_name
    if isinstance(source, Mapping):
        return source.get(name)
    if name == "legacyResourceId":
        return str(gid_number(source.id))  # UnsignedInt64 travels as a string on Shopify
    return getattr(source, _snake(name), None)


def _serialize_datetime(value: Any) -> str:
    if not isinstance(value, datetime):
        raise GraphQLError(f"DateTime cannot represent {value!r}")
    return value.isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=1)
def sandbox_schema() -> GraphQLSchema:
    """Our SDL with the resolvers of its modules bound; built once."""
    sdl = [path.read_text(encoding="utf-8") for path in (SCHEMA_FILE, *EXTENSION_FILES)]
    schema = build_schema("\n".join(sdl))
    for resolvers in (
        catalog.RESOLVERS,
        inventory.RESOLVERS,
        orders.RESOLVERS,
        fulfillment.RESOLVERS,
        refunds.RESOLVERS,
        returns.RESOLVERS,
        webhooks.RESOLVERS,
    ):
        for type_name, fields in resolvers.items():
            owner = schema.type_map[type_name]
            assert isinstance(owner, GraphQLObjectType)
            for field_name, resolve in fields.items():
                owner.fields[field_name].resolve = resolve
    assert schema.mutation_type is not None
    for mutations in (
        product_set.MUTATIONS,
        inventory.MUTATIONS,
        fulfillment.MUTATIONS,
        cancellation.MUTATIONS,
        refunds.MUTATIONS,
        returns.MUTATIONS,
        variant_bulk.MUTATIONS,
        webhooks.MUTATIONS,
    ):
        for field_name, resolve in mutations.items():
            schema.mutation_type.fields[field_name].resolve = resolve
    date_time = schema.type_map["DateTime"]
    assert isinstance(date_time, GraphQLScalarType)
    date_time.coerce_output_value = _serialize_datetime
    return schema


def root_fields(document: str) -> list[str]:
    """The root field names of a document's operations, for the call log."""
    try:
        parsed = parse(document)
    except GraphQLError:
        return []
    names: list[str] = []
    for definition in parsed.definitions:
        if isinstance(definition, OperationDefinitionNode):
            names += [
                s.name.value
                for s in definition.selection_set.selections
                if isinstance(s, FieldNode)
            ]
    return names


@lru_cache(maxsize=512)
def parsed_document(query: str) -> DocumentNode:
    """The parsed ``query``, once per text: a client sends the same few documents again
    and again (execution never changes a document)."""
    return parse(query)


@lru_cache(maxsize=512)
def validation_errors(schema: GraphQLSchema, query: str) -> tuple[GraphQLError, ...]:
    """Why ``schema`` rejects ``query`` (empty if it does not), validated once per schema
    and text: against the official schema of 3,000 types, validating is most of the cost
    of answering a small mutation."""
    return tuple(validate(schema, parsed_document(query)))


@dataclass
class GraphQLRequest:
    token: str
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None


@dataclass
class GraphQLEngine:
    """Answers GraphQL requests for one sandbox (its schema, throttle and contract check)."""

    throttle: Throttle
    max_query_cost: int
    clock: Callable[[], float]
    official: GraphQLSchema | None = None
    violations: ContractViolations = field(default_factory=ContractViolations)
    schema: GraphQLSchema = field(default_factory=sandbox_schema)

    def answer(self, request: GraphQLRequest, context: ResolveContext) -> dict[str, Any]:
        token = request.token
        try:
            document = parsed_document(request.query)
        except GraphQLError as error:
            return self._errors([error.formatted], token)
        if self.official is not None:
            broken = validation_errors(self.official, request.query)
            if broken:
                self.violations.record(request.query, broken)
                return self._errors([e.formatted for e in broken], token)
        invalid = validation_errors(self.schema, request.query)
        if invalid:
            return self._errors([e.formatted for e in invalid], token)
        operation = get_operation_ast(document, request.operation_name)
        if operation is None:
            message = (
                f"Unknown operation named '{request.operation_name}'."
                if request.operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            return self._errors([{"message": message}], token)
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), request.variables or {}
        )
        if isinstance(coerced, list):
            return self._errors([e.formatted for e in coerced], token)
        return self._execute(document, operation, coerced, request, context)

    def _execute(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        request: GraphQLRequest,
        context: ResolveContext,
    ) -> dict[str, Any]:
        token = request.token
        planned = requested_cost(self.schema, document, operation, variables)
        requested = planned.requested
        if planned.input_errors:
            return self._errors([e.formatted for e in planned.input_errors], token, requested)
        if requested > self.max_query_cost:
            return self._errors([max_cost_error(requested, self.max_query_cost)], token, requested)
        if not self.throttle.try_spend(token, requested, self.clock()):
            return self._errors([throttled_error()], token, requested)
        result = execute_sync(
            self.schema,
            document,
            variable_values=request.variables,
            operation_name=operation.name.value if operation.name else None,
            context_value=context,
            field_resolver=resolve_default,
        )
        actual = actual_cost(self.schema, document, operation, variables, result.data)
        now = self.clock()
        self.throttle.refund(token, max(0, requested - actual), now)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        body["extensions"] = cost_extension(requested, actual, self.throttle.status(token, now))
        return body

    def _errors(self, errors: list[Any], token: str, requested: int = 0) -> dict[str, Any]:
        status = self.throttle.status(token, self.clock())
        return {"errors": errors, "extensions": cost_extension(requested, None, status)}
