"""POS sales: one counter sale becomes a completed store order, its payments and its stock
movements, all in the caller's transaction; and reading store orders back.

A sale is checked whole before anything is written: every line resolves to a version of
the sale's branch, prices share one currency, and the payments add up to the total. The
order row is then written first, because the ledger rows of ``inventory.sell`` refer to
it as ``("pos_order", order id)``; if the stock is short ``sell`` raises
``InsufficientStock`` and a savepoint takes the order row back, so a refused sale leaves
no trace even in a transaction the caller goes on with.

Order numbers are ``POS-`` and the order id zero-padded to eight digits
(``POS-00000042``): unique because ids are, and sortable. The id exists only after the
insert, so the row is inserted under a random placeholder number and renamed at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from stockbridge.db.models import (
    Branch,
    Condition,
    Order,
    OrderItem,
    OrderSource,
    Payment,
    PaymentKind,
    PaymentMethod,
    ProductCode,
    ProductCodeVersion,
    StoreOrderStatus,
)
from stockbridge.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from stockbridge.money import validate_currency
from stockbridge.pos import catalog, inventory
from stockbridge.pos.catalog import Page, paginate
from stockbridge.pos.schemas import Cents, InputModel, Quantity, RowId, Sku, WholeNumber

ORDER_NUMBER_PREFIX = "POS-"
LEDGER_REFERENCE_TYPE = "pos_order"
# Keeps every total far inside a signed 64-bit column (10^13 major units at 2 decimals).
MAX_TOTAL_CENTS = 10**15

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
]
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{3}$")]


class SaleLineCreate(InputModel):
    sku: Sku | None = Field(None, description="Sells the NEW-condition version in the branch.")
    version_id: RowId | None = Field(None, description="A version of the sale's branch.")
    quantity: Quantity
    unit_price_cents: Cents | None = Field(
        None, description="Default: the version's price override, else the product's price."
    )

    @model_validator(mode="after")
    def _one_item_reference(self) -> SaleLineCreate:
        if (self.sku is None) == (self.version_id is None):
            raise ValueError("give exactly one of sku and version_id")
        return self


class SalePaymentCreate(InputModel):
    method: PaymentMethod
    amount_cents: Annotated[int, WholeNumber, Field(gt=0, le=MAX_TOTAL_CENTS)]
    currency: CurrencyCode | None = Field(None, description="Default: the sale's currency.")
    reference: ShortText | None = Field(
        None, description="Card terminal receipt, voucher code, ..."
    )

    @model_validator(mode="after")
    def _not_marketplace(self) -> SalePaymentCreate:
        if self.method is PaymentMethod.MARKETPLACE:
            raise ValueError("a counter sale cannot be paid through a marketplace")
        return self


class SaleCreate(InputModel):
    branch_id: RowId
    lines: list[SaleLineCreate] = Field(min_length=1, max_length=500)
    payments: list[SalePaymentCreate] = Field(default_factory=list, max_length=20)
    currency: CurrencyCode | None = Field(
        None, description="Optional check: refused unless the products are priced in it."
    )
    customer_name: ShortText | None = None
    customer_email: Email | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


@dataclass(frozen=True)
class _PricedLine:
    version: ProductCodeVersion
    product: ProductCode
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class OrderFilter:
    source: OrderSource | None = None
    status: StoreOrderStatus | None = None
    branch_id: int | None = None


def record_pos_sale(session: Session, data: SaleCreate, *, actor: str) -> Order:
    """Sell the lines at the counter; returns the completed order with items and payments."""
    branch = _open_branch(session, data.branch_id)
    lines = [_price_line(session, branch, line) for line in data.lines]
    currency = _sale_currency(lines, data.currency)
    total = sum(line.total_cents for line in lines)
    if total > MAX_TOTAL_CENTS:
        raise InvalidInput(f"a sale may total at most {MAX_TOTAL_CENTS} minor units")
    _check_payments(data.payments, total, currency)
    # The savepoint takes the order row back if the stock is short, whatever the caller
    # does with its transaction afterwards.
    with session.begin_nested():
        order = _new_order(session, data, branch, total, currency, actor)
        inventory.sell(
            session,
            [inventory.SaleLine(line.version.id, line.quantity) for line in lines],
            actor=actor,
            reference=inventory.Reference(LEDGER_REFERENCE_TYPE, str(order.id)),
        )
    session.add_all(_order_item(order, line) for line in lines)
    session.add_all(_payment(order, payment, currency) for payment in data.payments)
    session.flush()
    return order


def _open_branch(session: Session, branch_id: int) -> Branch:
    branch = catalog.get_branch(session, branch_id)
    if not branch.active:
        raise Conflict(f"branch {branch.code!r} is not active", branch_id=branch.id)
    return branch


def _price_line(session: Session, branch: Branch, line: SaleLineCreate) -> _PricedLine:
    version = _line_version(session, branch, line)
    product = version.product_code
    price = line.unit_price_cents
    if price is None:
        price = version.price_cents if version.price_cents is not None else product.price_cents
    return _PricedLine(version, product, line.quantity, price)


def _line_version(session: Session, branch: Branch, line: SaleLineCreate) -> ProductCodeVersion:
    if line.version_id is not None:
        return _branch_version(session, branch, line.version_id)
    assert line.sku is not None
    return _new_version_by_sku(session, branch, line.sku, line.quantity)


def _branch_version(session: Session, branch: Branch, version_id: int) -> ProductCodeVersion:
    version = catalog.get_version(session, version_id)
    if version.branch_id != branch.id:
        raise InvalidInput(
            f"version {version.id} is stock of another branch, not of {branch.code!r}",
            version_id=version.id,
        )
    return version


def _new_version_by_sku(
    session: Session, branch: Branch, sku: str, quantity: int
) -> ProductCodeVersion:
    product = catalog.get_product_code_by_sku(session, sku)
    version = session.scalars(
        select(ProductCodeVersion).where(
            ProductCodeVersion.product_code_id == product.id,
            ProductCodeVersion.branch_id == branch.id,
            ProductCodeVersion.condition == Condition.NEW,
        )
    ).one_or_none()
    if version is None:
        # Never stocked here is the same answer to the cashier as sold out.
        raise InsufficientStock(
            f"SKU {product.sku!r} has no new stock in branch {branch.code!r}",
            available=0,
            requested=quantity,
            sku=product.sku,
        )
    return version


def _sale_currency(lines: list[_PricedLine], expected: str | None) -> str:
    currencies = sorted({line.product.currency for line in lines})
    if len(currencies) > 1:
        raise InvalidInput(
            f"a sale cannot mix currencies ({', '.join(currencies)})", currencies=currencies
        )
    currency = currencies[0]
    if expected is not None and validate_currency(expected) != currency:
        raise InvalidInput(f"the products are priced in {currency}, not {expected.upper()}")
    return currency


def _check_payments(payments: list[SalePaymentCreate], total: int, currency: str) -> None:
    for payment in payments:
        if payment.currency is not None and validate_currency(payment.currency) != currency:
            raise InvalidInput(f"payments must be in the sale's currency {currency}")
    paid = sum(payment.amount_cents for payment in payments)
    if paid != total:
        raise InvalidInput(
            f"payments add up to {paid}, the sale totals {total} ({currency} minor units)",
            total_cents=total,
            paid_cents=paid,
        )


def _new_order(
    session: Session, data: SaleCreate, branch: Branch, total: int, currency: str, actor: str
) -> Order:
    order = Order(
        number=uuid.uuid4().hex,  # placeholder until the id is known; see module docstring
        source=OrderSource.POS,
        status=StoreOrderStatus.COMPLETED,
        branch_id=branch.id,
        customer_name=data.customer_name,
        customer_email=data.customer_email,
        subtotal_cents=total,
        total_cents=total,
        currency=currency,
        note=data.note,
        actor=actor,
    )
    session.add(order)
    session.flush()
    order.number = f"{ORDER_NUMBER_PREFIX}{order.id:08d}"
    return order


def _order_item(order: Order, line: _PricedLine) -> OrderItem:
    return OrderItem(
        order=order,
        product_code_id=line.product.id,
        version_id=line.version.id,
        sku=line.product.sku,
        name=line.product.name,
        quantity=line.quantity,
        unit_price_cents=line.unit_price_cents,
        total_cents=line.total_cents,
    )


def _payment(order: Order, payment: SalePaymentCreate, currency: str) -> Payment:
    return Payment(
        order=order,
        kind=PaymentKind.PAYMENT,
        method=payment.method,
        amount_cents=payment.amount_cents,
        currency=currency,
        reference=payment.reference,
    )


def get_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


def search_orders(
    session: Session, filters: OrderFilter, *, page: int, per_page: int
) -> Page[Order]:
    """Store orders, newest first, with their items and payments."""
    conditions: list[ColumnElement[bool]] = []
    if filters.source is not None:
        conditions.append(Order.source == filters.source)
    if filters.status is not None:
        conditions.append(Order.status == filters.status)
    if filters.branch_id is not None:
        conditions.append(Order.branch_id == filters.branch_id)
    query = (
        select(Order)
        .where(*conditions)
        .options(selectinload(Order.items), selectinload(Order.payments))
        .order_by(Order.id.desc())
    )
    return paginate(session, query, page=page, per_page=per_page)
