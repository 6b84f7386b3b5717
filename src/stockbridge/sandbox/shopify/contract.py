"""Contract mode: every document the sandbox receives is also checked against Shopify's
official Admin schema, when ``STOCKBRIDGE_SANDBOX_CONTRACTS`` (or the config) names the
directory holding it (``../shared/ref``; never copied into the repo).

A document the official schema rejects would fail on real Shopify, so it is answered
with GraphQL errors and recorded as a violation; the test suite fails on any recorded
violation. Without the directory the sandbox runs the same with the check off.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from graphql import GraphQLError, GraphQLSchema, build_schema, parse, validate

#: The official SDL inside the contracts directory (see ../shared/ref/README.md).
OFFICIAL_SCHEMA_FILE = Path("shopify") / "admin_schema_unstable_2025-10-09.graphql"


@lru_cache(maxsize=4)
def load_official_schema(contracts_dir: Path) -> GraphQLSchema:
    """Build the official schema once per process (about a second: 3,000 types)."""
    path = contracts_dir / OFFICIAL_SCHEMA_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"Shopify's official Admin schema is not at {path}; contract mode needs it "
            "(set STOCKBRIDGE_SANDBOX_CONTRACTS to the directory holding shopify/...)."
        )
    # assume_valid: graphql-core 3.3 checks a rule newer than Shopify's dump (an
    # implementation field deprecated while its interface field is not) and would refuse
    # to validate any document against it; Shopify serves the schema as it is.
    return build_schema(path.read_text(encoding="utf-8"), assume_valid_sdl=True, assume_valid=True)


def official_errors(schema: GraphQLSchema, document: str) -> list[GraphQLError]:
    """Why ``document`` would be rejected by the official schema; empty if it would not."""
    try:
        return list(validate(schema, parse(document)))
    except GraphQLError as error:
        return [error]


@dataclass(frozen=True)
class ContractViolation:
    document: str
    messages: tuple[str, ...]


class ContractViolations:
    """Thread-safe record of the documents that broke the official contract."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: list[ContractViolation] = []

    def record(self, document: str, errors: Sequence[GraphQLError]) -> None:
        with self._lock:
            self._found.append(ContractViolation(document, tuple(e.message for e in errors)))

    def all(self) -> list[ContractViolation]:
        with self._lock:
            return list(self._found)

    def take(self) -> list[ContractViolation]:
        """Return and forget the violations (a test that provokes one on purpose)."""
        with self._lock:
            found, self._found = self._found, []
            return found
