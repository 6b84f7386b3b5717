"""A buyer's checkout: an order placed for SKUs and quantities, sold from ``available``.

As on Shopify, a variant whose ``inventoryPolicy`` is ``DENY`` sells only what is
available; ``CONTINUE`` oversells, and available goes negative. Each line is routed to
a location the way Shopify's default order routing does in a simple shop: the first
location (in the shop's order) that can ship the whole order, else, per line, the first
that can ship that line, else (overselling) the location holding the most. Units are
committed there and one fulfilment order per location is opened. The buyer pays at
once (a ``SALE`` transaction for the total), so the order starts ``PAID``.

Called under the state lock by the buyer control routes and the buyer generator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from stockbridge.sandbox.shopify import order_stock
from stockbridge.sandbox.shopify import order_totals as totals
from stockbridge.sandbox.shopify.context import ResolveContext
from stockbridge.sandbox.shopify.order_records import (
    CustomerRecord,
    FulfillmentOrderLineItemRecord,
    FulfillmentOrderRecord,
    LineItemRecord,
    MailingAddressRecord,
    OrderRecord,
    TransactionRecord,
)
from stockbridge.sandbox.shopify.payloads import order_payload
from stockbridge.sandbox.shopify.state import ShopState, VariantRecord

#: VAT, included in prices, as a UK shop charges it.
TAX_RATE = Decimal("0.2")
#: Shopify's test payment gateway.
GATEWAY = "bogus"


class PurchaseRefused(Exception):
    """The shop would not sell this; ``status`` is the control API's HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class WantedLine:
    sku: str
    quantity: int


@dataclass
class Purchase:
    lines: list[WantedLine]
    email: str = "buyer@example.com"
    first_name: str = "Sam"
    last_name: str = "Buyer"
    address: dict[str, str | None] = field(
        default_factory=lambda: {
            "address1": "1 High Street",
            "city": "Bristol",
            "zip": "BS1 4DJ",
            "country": "United Kingdom",
            "country_code_v2": "GB",
        }
    )
    shipping_title: str = "Standard"
    shipping_price: Decimal = Decimal("0.00")
    note: str | None = None


def _variant_by_sku(state: ShopState, sku: str) -> VariantRecord:
    variant = next((v for v in state.variants.values() if v.sku == sku), None)
    if variant is None:
        raise PurchaseRefused(422, f"No variant has the SKU {sku!r}.")
    if state.products[variant.product_id].status != "ACTIVE":
        raise PurchaseRefused(422, f"The product of {sku!r} is not active, so not for sale.")
    return variant


def _available(state: ShopState, variant: VariantRecord, location_id: str) -> int:
    level = state.level(variant.inventory_item_id, location_id)
    return level.quantities["available"] if level else 0


def _tracked(state: ShopState, variant: VariantRecord) -> bool:
    return state.inventory_items[variant.inventory_item_id].tracked


def _can_ship(state: ShopState, variant: VariantRecord, location_id: str, quantity: int) -> bool:
    if state.level(variant.inventory_item_id, location_id) is None:
        return False
    return (
        not _tracked(state, variant)
        or variant.inventory_policy == "CONTINUE"
        or _available(state, variant, location_id) >= quantity
    )


def _route(state: ShopState, wanted: dict[str, int]) -> dict[str, str]:
    """Variant id -> the location that ships it; refuses what DENY cannot sell."""
    variants = {variant_id: state.variants[variant_id] for variant_id in wanted}
    locations = [loc.id for loc in state.locations.values() if loc.is_active]
    for location_id in locations:
        if all(_can_ship(state, variants[v], location_id, q) for v, q in wanted.items()):
            return dict.fromkeys(wanted, location_id)
    routed: dict[str, str] = {}
    for variant_id, quantity in wanted.items():
        variant = variants[variant_id]
        able = [loc for loc in locations if _can_ship(state, variant, loc, quantity)]
        if able:
            routed[variant_id] = able[0]
            continue
        stocked = [loc for loc in locations if state.level(variant.inventory_item_id, loc)]
        if variant.inventory_policy == "DENY" or not stocked:
            have = sum(_available(state, variant, loc) for loc in stocked)
            raise PurchaseRefused(
                409,
                f"Not enough stock of {variant.sku!r}: {quantity} wanted, {have} available "
                "at any one location, and its inventory policy is DENY.",
            )
        routed[variant_id] = max(stocked, key=lambda loc: _available(state, variant, loc))
    return routed


def _customer(context: ResolveContext, purchase: Purchase) -> CustomerRecord:
    """The shop's customer with this email, created on a first purchase (never twinned)."""
    state = context.state
    found = next((c for c in state.customers.values() if c.email == purchase.email), None)
    if found is not None:
        return found
    customer = CustomerRecord(
        id=state.new_id("Customer"),
        email=purchase.email,
        first_name=purchase.first_name,
        last_name=purchase.last_name,
        created_at=context.now,
        updated_at=context.now,
    )
    state.customers[customer.id] = customer
    return customer


def _line_item(state: ShopState, variant: VariantRecord, quantity: int) -> LineItemRecord:
    product = state.products[variant.product_id]
    return LineItemRecord(
        id=state.new_id("LineItem"),
        variant_id=variant.id,
        product_id=product.id,
        inventory_item_id=variant.inventory_item_id,
        sku=variant.sku,
        title=product.title,
        variant_title=None if variant.title == "Default Title" else variant.title,
        vendor=product.vendor or None,
        quantity=quantity,
        unit_price=Decimal(variant.price),
        requires_shipping=state.inventory_items[variant.inventory_item_id].requires_shipping,
        taxable=variant.taxable,
        tracked=_tracked(state, variant),
    )


def place_order(context: ResolveContext, purchase: Purchase) -> OrderRecord:
    """Sell ``purchase`` or refuse it whole; announces ``orders/create`` and ``orders/paid``."""
    state = context.state
    if not purchase.lines:
        raise PurchaseRefused(422, "An order needs at least one line item.")
    wanted: dict[str, int] = defaultdict(int)
    variants: list[VariantRecord] = []
    for line in purchase.lines:
        if line.quantity < 1:
            raise PurchaseRefused(422, f"The quantity of {line.sku!r} must be at least 1.")
        variant = _variant_by_sku(state, line.sku)
        wanted[variant.id] += line.quantity
        variants.append(variant)
    routed = _route(state, dict(wanted))
    customer = _customer(context, purchase)
    order_id = state.new_id("Order")
    lines = [
        _line_item(state, variant, line.quantity)
        for variant, line in zip(variants, purchase.lines, strict=True)
    ]
    order = OrderRecord(
        id=order_id,
        number=state.next_order_number,
        email=purchase.email,
        customer_id=customer.id,
        shipping_address=MailingAddressRecord(
            id=state.new_id("MailingAddress"),
            first_name=purchase.first_name,
            last_name=purchase.last_name,
            **purchase.address,
        ),
        currency_code=state.shop.currency_code,
        tax_rate=TAX_RATE,
        shipping_title=purchase.shipping_title,
        shipping_price=totals.money(purchase.shipping_price),
        note=purchase.note,
        line_items=lines,
        processed_at=context.now,
        created_at=context.now,
        updated_at=context.now,
    )
    state.next_order_number += 1
    _open_fulfillment_orders(context, order, routed)
    order.transactions.append(
        TransactionRecord(
            id=state.new_id("OrderTransaction"),
            kind="SALE",
            gateway=GATEWAY,
            amount=totals.total_price(order),
            created_at=context.now,
        )
    )
    state.orders[order.id] = order
    register_parts(state, order)
    context.changed = True
    payload = order_payload(state, order)
    context.announce("orders/create", payload)
    context.announce("orders/paid", payload)
    return order


def _open_fulfillment_orders(
    context: ResolveContext, order: OrderRecord, routed: dict[str, str]
) -> None:
    state = context.state
    by_location: dict[str, list[LineItemRecord]] = defaultdict(list)
    for line in order.line_items:
        assert line.variant_id is not None
        by_location[routed[line.variant_id]].append(line)
    for location_id, lines in by_location.items():
        order.fulfillment_orders.append(
            FulfillmentOrderRecord(
                id=state.new_id("FulfillmentOrder"),
                location_id=location_id,
                line_items=[
                    FulfillmentOrderLineItemRecord(
                        id=state.new_id("FulfillmentOrderLineItem"),
                        line_item_id=line.id,
                        total_quantity=line.quantity,
                        remaining_quantity=line.quantity,
                    )
                    for line in lines
                ],
                created_at=context.now,
                updated_at=context.now,
            )
        )
        for line in lines:
            order_stock.commit(context, line, location_id, line.quantity)


def register_parts(state: ShopState, order: OrderRecord) -> None:
    """Index every part of the order by id, for the look-ups that take a part's id."""
    parts: list[str] = [line.id for line in order.line_items]
    for fo in order.fulfillment_orders:
        parts += [fo.id, *(line.id for line in fo.line_items)]
    for fulfillment in order.fulfillments:
        parts += [fulfillment.id, *(line.id for line in fulfillment.line_items)]
    parts += [refund.id for refund in order.refunds]
    parts += [transaction.id for transaction in order.transactions]
    for ret in order.returns:
        parts += [ret.id, *(line.id for line in ret.line_items)]
    for part in parts:
        state.order_parts[part] = order.id
