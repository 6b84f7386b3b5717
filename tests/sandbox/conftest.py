"""Fixtures shared by the sandbox tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.contracts import require_contracts


@pytest.fixture
def official_contracts() -> Path:
    """The official contracts folder (see ``tests/sandbox/contracts.py``)."""
    return require_contracts()
