"""``/api/pos/product-codes``: the catalogue, each product code with its stock per branch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from stockbridge.api.deps import SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.catalog import (
    ProductCodePublic,
    ProductCodeQuery,
    ProductCodesPublic,
    VersionPublic,
)
from stockbridge.api.schemas.common import PathId
from stockbridge.pos import catalog
from stockbridge.pos.schemas import ProductCodeCreate, ProductCodeUpdate

router = APIRouter(prefix="/product-codes", tags=["product codes"])

SkuPath = Annotated[str, Path(min_length=1, max_length=64, description="The SKU.")]


@router.get(
    "",
    summary="Search product codes",
    description="Ordered by SKU. `q` matches part of the SKU, name, barcode or brand "
    "(case-insensitive); the other filters must match exactly.",
)
def search_product_codes(
    session: SessionDep, query: Annotated[ProductCodeQuery, Query()]
) -> ProductCodesPublic:
    filters = catalog.ProductFilter(
        q=query.q,
        brand=query.brand,
        category=query.category,
        active=query.active,
        branch_id=query.branch_id,
        in_stock=query.in_stock,
    )
    page = catalog.search_product_codes(session, filters, page=query.page, per_page=query.per_page)
    return ProductCodesPublic.model_validate(page)


@router.post(
    "",
    status_code=201,
    summary="Create a product code",
    description="The SKU is unique (409 if taken, with the `id` of the holder).",
    responses=problem_responses(409),
)
def create_product_code(
    session: SessionDep, _: WriterPrincipal, body: ProductCodeCreate
) -> ProductCodePublic:
    return ProductCodePublic.model_validate(catalog.create_product_code(session, body))


@router.get("/by-sku/{sku}", summary="Get a product code by SKU", responses=problem_responses(404))
def get_product_code_by_sku(session: SessionDep, sku: SkuPath) -> ProductCodePublic:
    return ProductCodePublic.model_validate(catalog.get_product_code_by_sku(session, sku))


@router.get("/{product_code_id}", summary="Get a product code", responses=problem_responses(404))
def get_product_code(session: SessionDep, product_code_id: PathId) -> ProductCodePublic:
    return ProductCodePublic.model_validate(catalog.get_product_code(session, product_code_id))


@router.patch(
    "/{product_code_id}",
    summary="Change a product code",
    description="Only the fields given change; the SKU cannot. A price change marks the "
    "product's marketplace publications for re-sync.",
    responses=problem_responses(404),
)
def update_product_code(
    session: SessionDep, _: WriterPrincipal, product_code_id: PathId, body: ProductCodeUpdate
) -> ProductCodePublic:
    product = catalog.update_product_code(session, product_code_id, body)
    return ProductCodePublic.model_validate(product)


@router.delete(
    "/{product_code_id}",
    status_code=204,
    summary="Delete a product code",
    description="Only one without stock history; otherwise 409: set `active` to false.",
    responses=problem_responses(404, 409),
)
def delete_product_code(session: SessionDep, _: WriterPrincipal, product_code_id: PathId) -> None:
    catalog.delete_product_code(session, product_code_id)


@router.get(
    "/{product_code_id}/versions",
    summary="Stock of a product code",
    description="Its versions: one per branch and condition that ever held it.",
    responses=problem_responses(404),
)
def list_versions(session: SessionDep, product_code_id: PathId) -> list[VersionPublic]:
    product = catalog.get_product_code(session, product_code_id)
    return [VersionPublic.model_validate(version) for version in product.versions]
