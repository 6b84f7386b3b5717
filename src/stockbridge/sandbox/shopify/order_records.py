"""The records of a sandbox shop's orders and what happens to them after checkout.

An order holds its own line items, fulfilment orders, fulfilments, refunds, returns and
transactions, so that one order is one JSON object in the state file and a change to it
never has to find pieces elsewhere. ``ShopState.order_parts`` maps the id of each part
(a fulfilment order, a return, ...) to its order, for the queries and mutations that
take a part's id. Amounts are ``Decimal`` in the shop's currency (Pydantic writes them
as strings, so the state file never holds a float). Attribute names are the snake_case
spelling of the GraphQL field they answer, as in ``state.py``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class MailingAddressRecord(BaseModel):
    id: str
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code_v2: str | None = None
    phone: str | None = None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class CustomerRecord(BaseModel):
    id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


class LineItemRecord(BaseModel):
    """One line of the order as bought; later changes are counted, never rewritten.

    ``refunded_quantity`` counts units refunded; ``cancelled_quantity`` units removed by
    a cancellation without a refund. Both leave ``quantity`` as it was bought.
    """

    id: str
    variant_id: str | None
    product_id: str | None
    inventory_item_id: str | None
    sku: str | None
    title: str
    variant_title: str | None
    vendor: str | None = None
    quantity: int
    unit_price: Decimal
    requires_shipping: bool = True
    taxable: bool = True
    tracked: bool = True
    refunded_quantity: int = 0
    cancelled_quantity: int = 0

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.refunded_quantity - self.cancelled_quantity


class FulfillmentOrderLineItemRecord(BaseModel):
    id: str
    line_item_id: str
    total_quantity: int
    remaining_quantity: int


class FulfillmentOrderRecord(BaseModel):
    """The units of an order one location is to ship; Shopify's unit of fulfilment work."""

    id: str
    location_id: str
    status: str = "OPEN"
    request_status: str = "UNSUBMITTED"
    line_items: list[FulfillmentOrderLineItemRecord]
    fulfillment_ids: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class TrackingRecord(BaseModel):
    company: str | None = None
    number: str | None = None
    url: str | None = None


class FulfillmentLineItemRecord(BaseModel):
    id: str
    line_item_id: str
    quantity: int


class FulfillmentRecord(BaseModel):
    id: str
    name: str
    location_id: str
    status: str = "SUCCESS"
    tracking_info: list[TrackingRecord] = Field(default_factory=list)
    line_items: list[FulfillmentLineItemRecord]
    fulfillment_order_ids: list[str]
    notify_customer: bool = False
    created_at: datetime
    updated_at: datetime

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.line_items)


class TransactionRecord(BaseModel):
    id: str
    kind: str
    status: str = "SUCCESS"
    gateway: str
    amount: Decimal
    parent_id: str | None = None
    created_at: datetime


class RefundLineItemRecord(BaseModel):
    id: str
    line_item_id: str
    quantity: int
    restock_type: str
    location_id: str | None
    restocked: bool
    subtotal: Decimal
    total_tax: Decimal


class RefundRecord(BaseModel):
    id: str
    note: str | None = None
    line_items: list[RefundLineItemRecord]
    shipping_amount: Decimal = Decimal("0")
    transaction_ids: list[str] = Field(default_factory=list)
    total_refunded: Decimal
    return_id: str | None = None
    created_at: datetime
    updated_at: datetime


class ReturnLineItemRecord(BaseModel):
    id: str
    fulfillment_line_item_id: str
    quantity: int
    return_reason: str
    customer_note: str | None = None
    return_reason_note: str = ""


class ReturnDeclineRecord(BaseModel):
    reason: str
    note: str | None = None


class ReturnRecord(BaseModel):
    id: str
    name: str
    status: str
    line_items: list[ReturnLineItemRecord]
    decline: ReturnDeclineRecord | None = None
    request_approved_at: datetime | None = None
    closed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.line_items)


class OrderRecord(BaseModel):
    """One order: what was bought, and everything done to it since."""

    id: str
    number: int
    email: str
    customer_id: str | None
    shipping_address: MailingAddressRecord | None
    currency_code: str
    taxes_included: bool = True
    tax_rate: Decimal
    shipping_title: str
    shipping_price: Decimal
    note: str | None = None
    tags: list[str] = Field(default_factory=list)
    line_items: list[LineItemRecord]
    fulfillment_orders: list[FulfillmentOrderRecord] = Field(default_factory=list)
    fulfillments: list[FulfillmentRecord] = Field(default_factory=list)
    refunds: list[RefundRecord] = Field(default_factory=list)
    returns: list[ReturnRecord] = Field(default_factory=list)
    transactions: list[TransactionRecord] = Field(default_factory=list)
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    processed_at: datetime
    created_at: datetime
    updated_at: datetime

    @property
    def name(self) -> str:
        return f"#{self.number}"


class OAuthGrantRecord(BaseModel):
    """An authorization code handed to an app by the install flow, until it is exchanged."""

    code: str
    client_id: str
    scopes: list[str]
    expires_at: datetime


class OAuthTokenRecord(BaseModel):
    """An access token issued by the install flow, with the scopes the merchant granted."""

    client_id: str
    scopes: list[str]
    created_at: datetime
