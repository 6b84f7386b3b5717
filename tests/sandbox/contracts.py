"""Where the official marketplace contracts are, for the sandbox tests.

They live beside the repository (``../shared/ref``), never in it (DESIGN.md section 6).
CI always has them, so there their absence fails the run. On a clone without them, a
test that needs them is skipped with the path it looked in, and the sandboxes'
behaviour tests still run, with contract checking off.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = REPO_ROOT.parent / "shared" / "ref"


def contracts_present() -> bool:
    return CONTRACTS_DIR.is_dir()


def require_contracts(needed: Path | None = None) -> Path:
    """The contracts folder; fails the test in CI, skips it elsewhere, when it is missing."""
    target = needed or CONTRACTS_DIR
    if target.exists():
        return CONTRACTS_DIR
    message = f"the official marketplace contracts are not beside the repository: {target}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must provide ../shared/ref)")
    pytest.skip(message)
