"""What every eBay sandbox route is handed: its settings, state and contract checker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from stockbridge.sandbox.control import SandboxControl
from stockbridge.sandbox.ebay.config import EbaySandboxConfig
from stockbridge.sandbox.ebay.contracts import ContractViolations
from stockbridge.sandbox.ebay.state import EbayStore


@dataclass
class EbaySandbox:
    """One running sandbox; kept on ``app.state.ebay``."""

    config: EbaySandboxConfig
    store: EbayStore
    control: SandboxControl
    violations: ContractViolations

    def now(self) -> float:
        return self.config.clock()


def get_sandbox(request: Request) -> EbaySandbox:
    sandbox: EbaySandbox = request.app.state.ebay
    return sandbox


SandboxDep = Annotated[EbaySandbox, Depends(get_sandbox)]
