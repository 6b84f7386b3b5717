"""Our typed description of the Sell Fulfillment request bodies the sandbox serves.

As schemas.py does for Sell Inventory: class names are the official schema names in
sell_fulfillment_v1_oas3.json, aliases its property names, and
tests/sandbox/ebay/test_schemas.py proves each field exists there with the same JSON
type. Quantities are strict integers, as eBay's are.
"""

from __future__ import annotations

from pydantic import StrictInt

from stockbridge.sandbox.ebay.schemas import EbayModel


class LineItemReference(EbayModel):
    line_item_id: str | None = None
    quantity: StrictInt | None = None


class ShippingFulfillmentDetails(EbayModel):
    line_items: list[LineItemReference] | None = None
    shipped_date: str | None = None
    shipping_carrier_code: str | None = None
    tracking_number: str | None = None


class SimpleAmount(EbayModel):
    currency: str | None = None
    value: str | None = None


class LegacyReference(EbayModel):
    legacy_item_id: str | None = None
    legacy_transaction_id: str | None = None


class RefundItem(EbayModel):
    refund_amount: SimpleAmount | None = None
    line_item_id: str | None = None
    legacy_reference: LegacyReference | None = None


class IssueRefundRequest(EbayModel):
    reason_for_refund: str | None = None
    comment: str | None = None
    refund_items: list[RefundItem] | None = None
    order_level_refund_amount: SimpleAmount | None = None


#: Every model above, for the fidelity test.
ALL_MODELS: tuple[type[EbayModel], ...] = (
    LineItemReference,
    ShippingFulfillmentDetails,
    SimpleAmount,
    LegacyReference,
    RefundItem,
    IssueRefundRequest,
)
