"""Shopify's calculated query cost, its input-size limit, and the leaky bucket per token.

Cost rules (a documented simplification of Shopify's): a scalar or enum field costs 0;
an object field costs 1 plus its selections; a connection costs 2 plus ``first`` times
the cost of one node (1 plus the node's selections); a mutation field costs 10. The
*requested* cost uses ``first``; the *actual* cost counts the nodes really returned,
and the difference is refunded to the bucket as Shopify does.

Hand-written because no library computes Shopify's cost; graphql-core supplies the AST
and argument coercion.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values

MUTATION_COST = 10
CONNECTION_COST = 2
MAX_INPUT_ARRAY = 250
DOCUMENTATION_URL = "https://shopify.dev/api/usage/rate-limits"


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    errors: list[GraphQLError] = field(default_factory=list)


def _fields(selection_set: SelectionSetNode | None, walk: _Walk) -> list[FieldNode]:
    """Field nodes of a selection set with fragments flattened (our SDL has no abstract types)."""
    found: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found += _fields(selection.selection_set, walk)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walk.fragments.get(selection.name.value)
            found += _fields(fragment.selection_set if fragment else None, walk)
    return found


def _cost(
    selection_set: SelectionSetNode | None,
    parent: GraphQLObjectType,
    walk: _Walk,
    data: Any,
    actual: bool,
) -> int:
    total = 0
    for node in _fields(selection_set, walk):
        definition = parent.fields.get(node.name.value)
        if definition is None:
            continue
        named = get_named_type(definition.type)
        if not actual:
            _check_input_sizes(get_argument_values(definition, node, walk.variables), node, walk)
        if not isinstance(named, GraphQLObjectType):
            continue
        key = node.alias.value if node.alias else node.name.value
        value = data.get(key) if isinstance(data, Mapping) else None
        if actual and value is None:
            continue
        if named.name.endswith("Connection"):
            total += _connection_cost(node, named, walk, definition, value, actual)
        elif isinstance(value, list):
            total += sum(1 + _cost(node.selection_set, named, walk, item, actual) for item in value)
        else:
            total += 1 + _cost(node.selection_set, named, walk, value, actual)
    return total


def _connection_cost(
    node: FieldNode,
    connection: GraphQLObjectType,
    walk: _Walk,
    definition: Any,
    value: Any,
    actual: bool,
) -> int:
    node_type = get_named_type(connection.fields["nodes"].type)
    assert isinstance(node_type, GraphQLObjectType)
    node_selections: list[Any] = []
    for part in _fields(node.selection_set, walk):
        if part.name.value == "nodes" and part.selection_set:
            node_selections += part.selection_set.selections
        elif part.name.value == "edges":
            for inner in _fields(part.selection_set, walk):
                if inner.name.value == "node" and inner.selection_set:
                    node_selections += inner.selection_set.selections
    merged = SelectionSetNode(selections=tuple(node_selections))
    if not actual:
        first = get_argument_values(definition, node, walk.variables).get("first") or 0
        return CONNECTION_COST + first * (1 + _cost(merged, node_type, walk, None, False))
    items = [edge.get("node") for edge in value.get("edges") or []] or value.get("nodes") or []
    return CONNECTION_COST + sum(1 + _cost(merged, node_type, walk, item, True) for item in items)


def _check_input_sizes(value: Any, node: FieldNode, walk: _Walk) -> None:
    if isinstance(value, list):
        if len(value) > MAX_INPUT_ARRAY:
            walk.errors.append(
                GraphQLError(
                    f"The input array size of {len(value)} is greater than the maximum "
                    f"allowed of {MAX_INPUT_ARRAY}.",
                    node,
                    extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
                )
            )
            return
        for item in value:
            _check_input_sizes(item, node, walk)
    elif isinstance(value, Mapping):
        for item in value.values():
            _check_input_sizes(item, node, walk)


@dataclass
class OperationCost:
    requested: int
    input_errors: list[GraphQLError]


def _root_walk(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
) -> tuple[_Walk, GraphQLObjectType]:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = (
        schema.mutation_type if operation.operation == OperationType.MUTATION else schema.query_type
    )
    assert root is not None
    return _Walk(schema, fragments, variables), root


def requested_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
) -> OperationCost:
    """What the operation may cost, and any array input over Shopify's 250-item limit."""
    walk, root = _root_walk(schema, document, operation, variables)
    if operation.operation == OperationType.MUTATION:
        for node in _fields(operation.selection_set, walk):
            definition = root.fields.get(node.name.value)
            if definition is not None:
                _check_input_sizes(get_argument_values(definition, node, variables), node, walk)
        cost = MUTATION_COST * len(_fields(operation.selection_set, walk))
    else:
        cost = _cost(operation.selection_set, root, walk, None, False)
    return OperationCost(cost, walk.errors)


def actual_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    data: Mapping[str, Any] | None,
) -> int:
    """What the answer really cost, counting the nodes returned."""
    walk, root = _root_walk(schema, document, operation, variables)
    if operation.operation == OperationType.MUTATION:
        return MUTATION_COST * len(_fields(operation.selection_set, walk))
    return _cost(operation.selection_set, root, walk, data, True)


# --- the leaky bucket ---------------------------------------------------------------


@dataclass
class _Bucket:
    available: float
    updated_at: float


class Throttle:
    """One leaky bucket per access token, refilled continuously at ``restore_rate``."""

    def __init__(self, size: float, restore_rate: float) -> None:
        self.size = size
        self.restore_rate = restore_rate
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _refilled(self, token: str, now: float) -> _Bucket:
        bucket = self._buckets.setdefault(token, _Bucket(self.size, now))
        elapsed = max(0.0, now - bucket.updated_at)  # a clock set back never drains
        bucket.available = min(self.size, bucket.available + elapsed * self.restore_rate)
        bucket.updated_at = now
        return bucket

    def try_spend(self, token: str, cost: int, now: float) -> bool:
        """Take ``cost`` points if the bucket holds them; False (nothing taken) if not."""
        with self._lock:
            bucket = self._refilled(token, now)
            if cost > bucket.available:
                return False
            bucket.available -= cost
            return True

    def refund(self, token: str, points: int, now: float) -> None:
        with self._lock:
            bucket = self._refilled(token, now)
            bucket.available = min(self.size, bucket.available + points)

    def status(self, token: str, now: float) -> dict[str, float]:
        with self._lock:
            bucket = self._refilled(token, now)
            return {
                "maximumAvailable": self.size,
                "currentlyAvailable": int(bucket.available),
                "restoreRate": self.restore_rate,
            }

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


def cost_extension(
    requested: int, actual: int | None, throttle_status: dict[str, float]
) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": throttle_status,
        }
    }


def throttled_error() -> dict[str, Any]:
    return {
        "message": "Throttled",
        "extensions": {"code": "THROTTLED", "documentation": DOCUMENTATION_URL},
    }


def max_cost_error(cost: int, max_cost: int) -> dict[str, Any]:
    return {
        "message": (
            f"Query cost is {cost}, which exceeds the single query max cost limit ({max_cost}).\n\n"
            "See https://shopify.dev/concepts/about-apis/rate-limits for more information on "
            "how the\ncost of a query is calculated.\n\n"
            "To query larger amounts of data with fewer limits, bulk operations should be used "
            "instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api "
            "for usage details.\n"
        ),
        "extensions": {
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": max_cost,
            "documentation": DOCUMENTATION_URL,
        },
    }
