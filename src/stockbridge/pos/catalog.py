"""Branches and product codes: create, change, find. Quantities are not touched here
(that is ``pos/inventory``); a price change marks the product's publications dirty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from stockbridge.db.models import Branch, ProductCode, ProductCodeVersion, StockLedgerEntry
from stockbridge.db.search import contains_text
from stockbridge.errors import Conflict, InvalidInput, NotFound
from stockbridge.pos.outbox import mark_listings_dirty
from stockbridge.pos.schemas import (
    BranchCreate,
    BranchUpdate,
    ProductCodeCreate,
    ProductCodeUpdate,
    VersionUpdate,
)

T = TypeVar("T")

PRICE_FIELDS = frozenset({"price_cents", "currency"})


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class ProductFilter:
    q: str | None = None
    brand: str | None = None
    category: str | None = None
    active: bool | None = None
    branch_id: int | None = None
    in_stock: bool | None = None


def paginate(session: Session, query: Select[T], *, page: int, per_page: int) -> Page[T]:
    """One page of an ordered query of entities, with the total the filters match."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total or 0, page, per_page)


def get_branch(session: Session, branch_id: int) -> Branch:
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"branch {branch_id} does not exist")
    return branch


def search_branches(
    session: Session, *, active: bool | None = None, page: int, per_page: int
) -> Page[Branch]:
    query = select(Branch).order_by(Branch.id)
    if active is not None:
        query = query.where(Branch.active == active)
    return paginate(session, query, page=page, per_page=per_page)


def create_branch(session: Session, data: BranchCreate) -> Branch:
    if session.scalars(select(Branch.id).where(Branch.code == data.code)).first() is not None:
        raise Conflict(f"a branch with code {data.code!r} already exists")
    branch = Branch(**data.model_dump())
    session.add(branch)
    session.flush()
    return branch


def update_branch(session: Session, branch_id: int, data: BranchUpdate) -> Branch:
    branch = get_branch(session, branch_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(branch, field, value)
    session.flush()
    return branch


def delete_branch(session: Session, branch_id: int) -> None:
    """Only a branch that never held stock can be deleted; others are deactivated instead."""
    branch = get_branch(session, branch_id)
    if session.scalar(select(exists().where(ProductCodeVersion.branch_id == branch_id))):
        raise Conflict(
            f"branch {branch.code!r} has stock records; set active=false instead of deleting"
        )
    session.delete(branch)
    session.flush()


def get_product_code(session: Session, product_code_id: int) -> ProductCode:
    product = session.get(ProductCode, product_code_id)
    if product is None:
        raise NotFound(f"product code {product_code_id} does not exist")
    return product


def get_product_code_by_sku(session: Session, sku: str) -> ProductCode:
    product = session.scalars(select(ProductCode).where(ProductCode.sku == sku)).one_or_none()
    if product is None:
        raise NotFound(f"no product code with SKU {sku!r}")
    return product


def find_product_code(
    session: Session, *, product_code_id: int | None = None, sku: str | None = None
) -> ProductCode:
    """The product code named by id or by SKU (give exactly one)."""
    if (product_code_id is None) == (sku is None):
        raise InvalidInput("name the product code by exactly one of product_code_id and sku")
    if product_code_id is not None:
        return get_product_code(session, product_code_id)
    assert sku is not None
    return get_product_code_by_sku(session, sku)


def create_product_code(session: Session, data: ProductCodeCreate) -> ProductCode:
    taken = session.scalars(select(ProductCode.id).where(ProductCode.sku == data.sku)).first()
    if taken is not None:
        raise Conflict(f"a product code with SKU {data.sku!r} already exists", id=taken)
    values = data.model_dump(exclude_none=True)
    product = ProductCode(**values)
    session.add(product)
    session.flush()
    return product


def update_product_code(
    session: Session, product_code_id: int, data: ProductCodeUpdate
) -> ProductCode:
    product = get_product_code(session, product_code_id)
    _apply_product_fields(session, product, data)
    return product


def _apply_product_fields(
    session: Session, product: ProductCode, data: ProductCodeUpdate | ProductCodeCreate
) -> bool:
    """Set the given fields; returns whether anything changed."""
    changes = {
        field: value
        for field, value in data.model_dump(exclude_unset=True, exclude={"sku"}).items()
        if value is not None and getattr(product, field) != value
    }
    for field, value in changes.items():
        setattr(product, field, value)
    session.flush()
    if PRICE_FIELDS & changes.keys():
        mark_listings_dirty(session, [product.id])
    return bool(changes)


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int
    unchanged: int


def upsert_product_codes(session: Session, rows: Sequence[ProductCodeCreate]) -> UpsertCounts:
    """Create new SKUs and update existing ones (re-import never duplicates)."""
    skus = [row.sku for row in rows]
    existing = {
        product.sku: product
        for product in session.scalars(select(ProductCode).where(ProductCode.sku.in_(skus)))
    }
    created = updated = unchanged = 0
    for row in rows:
        product = existing.get(row.sku)
        if product is None:
            existing[row.sku] = create_product_code(session, row)
            created += 1
        elif _apply_product_fields(session, product, row):
            updated += 1
        else:
            unchanged += 1
    return UpsertCounts(created, updated, unchanged)


def delete_product_code(session: Session, product_code_id: int) -> None:
    """Only a product code without stock history can be deleted; others are deactivated."""
    product = get_product_code(session, product_code_id)
    history = (
        select(StockLedgerEntry.id)
        .join(ProductCodeVersion)
        .where(ProductCodeVersion.product_code_id == product_code_id)
    )
    if session.scalar(select(exists(history))):
        raise Conflict(f"product code {product.sku!r} has stock history; set active=false instead")
    session.delete(product)
    session.flush()


def search_product_codes(
    session: Session, filters: ProductFilter, *, page: int, per_page: int
) -> Page[ProductCode]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        conditions.append(
            contains_text(
                filters.q,
                ProductCode.sku,
                ProductCode.name,
                func.coalesce(ProductCode.barcode, ""),
                func.coalesce(ProductCode.brand, ""),
            )
        )
    if filters.brand:
        conditions.append(ProductCode.brand == filters.brand)
    if filters.category:
        conditions.append(ProductCode.category == filters.category)
    if filters.active is not None:
        conditions.append(ProductCode.active == filters.active)
    if filters.branch_id is not None or filters.in_stock is not None:
        stocked = select(ProductCodeVersion.id).where(
            ProductCodeVersion.product_code_id == ProductCode.id
        )
        if filters.branch_id is not None:
            stocked = stocked.where(ProductCodeVersion.branch_id == filters.branch_id)
        if filters.in_stock is not None:
            stocked = stocked.where(
                ProductCodeVersion.qty_on_hand > ProductCodeVersion.qty_reserved
            )
        has_stock = exists(stocked)
        conditions.append(has_stock if filters.in_stock is not False else ~has_stock)
    query = (
        select(ProductCode)
        .where(*conditions)
        .options(selectinload(ProductCode.versions))
        .order_by(ProductCode.sku)
    )
    return paginate(session, query, page=page, per_page=per_page)


def get_version(session: Session, version_id: int) -> ProductCodeVersion:
    version = session.get(ProductCodeVersion, version_id)
    if version is None:
        raise NotFound(f"product code version {version_id} does not exist")
    return version


def update_version(session: Session, version_id: int, data: VersionUpdate) -> ProductCodeVersion:
    """Price override and cost of one version; quantities change only through inventory."""
    version = get_version(session, version_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(version, field, value)
    session.flush()
    if "price_cents" in changes:
        mark_listings_dirty(session, [version.product_code_id])
    return version
