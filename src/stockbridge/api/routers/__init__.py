"""One router module per resource; ``api_router`` mounts them under ``/api`` behind the key.

(``/api/ecom/channels`` is built per application from the provider registry, in
``channels.py``, and mounted by ``create_app``.)"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from stockbridge.api.deps import authorize_by_method
from stockbridge.api.problems import problem_responses
from stockbridge.api.routers import (
    branches,
    conflicts,
    ecom_orders,
    ledger,
    listings,
    orders,
    product_codes,
    sales,
    stock,
    sync,
    versions,
    webhooks,
)

pos_router = APIRouter(prefix="/pos")
for module in (branches, product_codes, versions, stock, ledger, sales, orders):
    pos_router.include_router(module.router)

ecom_router = APIRouter(prefix="/ecom")
for module in (listings, ecom_orders, conflicts, sync, webhooks):
    ecom_router.include_router(module.router)

api_router = APIRouter(
    prefix="/api",
    dependencies=[Depends(authorize_by_method)],
    responses=problem_responses(401, 403, 422),
)
api_router.include_router(pos_router)
api_router.include_router(ecom_router)
