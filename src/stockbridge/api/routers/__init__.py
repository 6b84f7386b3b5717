"""One router module per resource; ``api_router`` mounts them under ``/api`` behind the key."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from stockbridge.api.deps import authorize_by_method
from stockbridge.api.problems import problem_responses
from stockbridge.api.routers import (
    branches,
    ledger,
    orders,
    product_codes,
    sales,
    stock,
    versions,
)

pos_router = APIRouter(prefix="/pos")
for module in (branches, product_codes, versions, stock, ledger, sales, orders):
    pos_router.include_router(module.router)

api_router = APIRouter(
    prefix="/api",
    dependencies=[Depends(authorize_by_method)],
    responses=problem_responses(401, 403, 422),
)
api_router.include_router(pos_router)
