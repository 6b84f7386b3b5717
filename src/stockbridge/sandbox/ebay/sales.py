"""What buyers do on the eBay sandbox: buy from live listings, cancel, open returns.

The marketplace sells from its own listed quantity, as eBay does: a listing shows the
lower of the inventory item's ship-to quantity and the offer's ``availableQuantity``
(state.py); a sale takes the units off both (the offer's only when it sets one) and
adds them to the listing's ``soldQuantity``. Asking for more than a listing shows, or
buying from an ENDED listing, is refused and changes nothing. Each call runs under the
store lock, so two buyers racing for the last unit cannot both get it. A buyer's
cancellation (before anything shipped) puts the units back, refunds what was paid and
marks the order CANCELED; a return (of shipped units, where the listing's return
policy accepts returns) is recorded for the Post-Order side, which has no OpenAPI file.

Each change announces itself on the sandbox event log: ``ORDER_CREATED``,
``ORDER_CANCELLED``, ``RETURN_OPENED`` (the sandbox's own topics, not eBay's).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.context import EbaySandbox
from stockbridge.sandbox.ebay.orders import (
    line_item_id_for,
    now_ms,
    order_id_for,
    order_total_cents,
    refunded_cents,
    shipping_service_of,
    to_cents,
)
from stockbridge.sandbox.ebay.policies import CURRENCY_BY_MARKETPLACE
from stockbridge.sandbox.ebay.state import (
    BuyerRecord,
    EbayState,
    LineItemRecord,
    ListingRecord,
    OfferRecord,
    OrderRecord,
    RefundRecord,
    ReturnRecord,
)

ORDER_CREATED, ORDER_CANCELLED, RETURN_OPENED = "ORDER_CREATED", "ORDER_CANCELLED", "RETURN_OPENED"


class OrderLine(BaseModel):
    """One line a buyer asks for: a listing, or a SKU's live listing, and a quantity."""

    model_config = ConfigDict(extra="forbid")

    sku: str | None = None
    listing_id: str | None = None
    quantity: int = Field(default=1, ge=1, le=1000)

    @model_validator(mode="after")
    def _names_one(self) -> OrderLine:
        if not (self.sku or self.listing_id):
            raise ValueError("a line needs a sku or a listing_id")
        return self


class BuyerDetails(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    #: An eBay Address: addressLine1, city, postalCode, countryCode, stateOrProvince.
    address: dict[str, str] | None = None


class PlaceOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[OrderLine] = Field(min_length=1, max_length=50)
    #: Which marketplace's listing a SKU line buys from (default: the first live one).
    marketplace_id: str | None = None
    buyer: BuyerDetails | None = None


class CancelOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = "ORDER_PLACED_BY_MISTAKE"


class OpenReturn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_item_id: str
    quantity: int = Field(default=1, ge=1)
    reason: str = "NO_LONGER_NEED_ITEM"
    comment: str | None = Field(default=None, max_length=1000)


#: Sample buyers per country, picked in turn when an order names none.
_SAMPLE_BUYERS: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "GB": [
        (
            "Alice Hartley",
            "+44 117 496 0123",
            {"addressLine1": "4 Park Row", "city": "Bristol", "postalCode": "BS1 5LJ"},
        ),
        (
            "Tom Ellis",
            "+44 161 496 0456",
            {"addressLine1": "22 King Street", "city": "Manchester", "postalCode": "M2 4LQ"},
        ),
    ],
    "US": [
        (
            "Maria Lopez",
            "+1 512 555 0142",
            {
                "addressLine1": "1200 Congress Ave",
                "city": "Austin",
                "stateOrProvince": "TX",
                "postalCode": "78701",
            },
        ),
        (
            "James Carter",
            "+1 503 555 0178",
            {
                "addressLine1": "815 SW 2nd Ave",
                "city": "Portland",
                "stateOrProvince": "OR",
                "postalCode": "97204",
            },
        ),
    ],
    "DE": [
        (
            "Lena Fischer",
            "+49 30 5550 1234",
            {"addressLine1": "Torstrasse 12", "city": "Berlin", "postalCode": "10119"},
        ),
        (
            "Jonas Weber",
            "+49 89 5550 5678",
            {"addressLine1": "Sendlinger Strasse 7", "city": "Muenchen", "postalCode": "80331"},
        ),
    ],
}


def _buyer(details: BuyerDetails | None, marketplace_id: str, sequence: int) -> BuyerRecord:
    country = marketplace_id.removeprefix("EBAY_")
    samples = _SAMPLE_BUYERS.get(country, _SAMPLE_BUYERS["GB"])
    name, phone, address = samples[sequence % len(samples)]
    username = details.username if details else f"{name.split()[0].lower()}_{sequence:04d}"
    return BuyerRecord(
        username=username,
        full_name=(details and details.full_name) or name,
        email=(details and details.email) or f"{username}@buyers.example",
        phone=(details and details.phone) or phone,
        address=(details and details.address) or {**address, "countryCode": country},
    )


def _listing_for(
    state: EbayState, line: OrderLine, marketplace_id: str | None
) -> tuple[ListingRecord, OfferRecord]:
    if line.listing_id:
        listing = state.listings.get(line.listing_id)
        if listing is None:
            raise errors.sandbox_refusal(404, f"No listing {line.listing_id}.")
    else:
        listings = [lst for lst in state.listings.values() if lst.sku == line.sku]
        if not listings:
            raise errors.sandbox_refusal(404, f"No listing for SKU {line.sku}.")
        live = [
            lst
            for lst in listings
            if lst.status == "ACTIVE"
            and lst.offer_id in state.offers
            and marketplace_id in (None, state.offers[lst.offer_id].marketplace_id)
        ]
        listing = live[0] if live else listings[0]
    offer = state.offers.get(listing.offer_id)
    if listing.status != "ACTIVE" or offer is None:
        raise errors.sandbox_refusal(409, f"Listing {listing.listing_id} has ended.")
    return listing, offer


def _move_units(state: EbayState, listing: ListingRecord, units: int) -> None:
    """Take ``units`` off the listing (negative: put them back), item and offer alike."""
    item = state.items.get(listing.sku)
    if item is not None:
        availability = item.body.setdefault("availability", {})
        ship_to = availability.setdefault("shipToLocationAvailability", {})
        ship_to["quantity"] = item.quantity - units
    offer = state.offers.get(listing.offer_id)
    if offer is not None and offer.body.get("availableQuantity") is not None:
        offer.body["availableQuantity"] = int(offer.body["availableQuantity"]) - units
    listing.sold_quantity += units


def _check_stock(sandbox: EbaySandbox, wanted: dict[str, int]) -> None:
    state = sandbox.store.state
    per_sku: Counter[str] = Counter()
    for listing_id, units in wanted.items():
        listing = state.listings[listing_id]
        shown = sandbox.store.shown_quantity(listing)
        if units > shown:
            raise errors.sandbox_refusal(
                409, f"Listing {listing_id} shows {shown} unit(s); {units} asked for."
            )
        per_sku[listing.sku] += units
    for sku, units in per_sku.items():
        item = state.items.get(sku)
        if item is None or units > item.quantity:
            raise errors.sandbox_refusal(409, f"SKU {sku} has fewer than {units} unit(s).")


def _line_record(
    state: EbayState, listing: ListingRecord, offer: OfferRecord, units: int, line_id: str
) -> LineItemRecord:
    item = state.items.get(listing.sku)
    price = (offer.body.get("pricingSummary") or {}).get("price") or {}
    return LineItemRecord(
        line_item_id=line_id,
        listing_id=listing.listing_id,
        offer_id=offer.offer_id,
        sku=listing.sku,
        title=str(((item.body.get("product") or {}) if item else {}).get("title") or listing.sku),
        quantity=units,
        unit_price_cents=to_cents(str(price.get("value") or "0")) or 0,
    )


def place_order(sandbox: EbaySandbox, request: PlaceOrder) -> OrderRecord:
    """Sell the lines asked for, all or nothing; announces ``ORDER_CREATED``."""
    with sandbox.store.change() as state:
        chosen = [_listing_for(state, line, request.marketplace_id) for line in request.lines]
        markets = {offer.marketplace_id for _, offer in chosen}
        if len(markets) != 1:
            raise errors.sandbox_refusal(400, "An order's lines must share one marketplace.")
        wanted: Counter[str] = Counter()
        offers: dict[str, OfferRecord] = {}
        for (listing, offer), line in zip(chosen, request.lines, strict=True):
            wanted[listing.listing_id] += line.quantity
            offers[listing.listing_id] = offer
        _check_stock(sandbox, dict(wanted))
        [market] = markets
        first_offer = chosen[0][1]
        price = (first_offer.body.get("pricingSummary") or {}).get("price") or {}
        state.order_count += 1
        sequence, now = state.order_count, now_ms(sandbox)
        lines = []
        for listing_id, units in wanted.items():
            listing = state.listings[listing_id]
            line_id = line_item_id_for(int(sandbox.store.new_id()))
            lines.append(_line_record(state, listing, offers[listing_id], units, line_id))
            _move_units(state, listing, units)
        carrier, service = shipping_service_of(state, first_offer.body)
        order = OrderRecord(
            order_id=order_id_for(sequence),
            marketplace_id=market,
            currency=str(price.get("currency") or CURRENCY_BY_MARKETPLACE.get(market, "USD")),
            buyer=_buyer(request.buyer, market, sequence),
            line_items=lines,
            created_ms=now,
            modified_ms=now,
            sales_record_reference=str(sequence),
            shipping_carrier=carrier,
            shipping_service=service,
        )
        state.orders[order.order_id] = order
    sandbox.control.events.publish(ORDER_CREATED, _event(order))
    return order


def _event(order: OrderRecord) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "marketplaceId": order.marketplace_id,
        "buyer": order.buyer.username,
        "lineItems": [
            {
                "lineItemId": line.line_item_id,
                "legacyItemId": line.listing_id,
                "sku": line.sku,
                "quantity": line.quantity,
            }
            for line in order.line_items
        ],
    }


def find_order(state: EbayState, order_id: str) -> OrderRecord:
    order = state.orders.get(order_id)
    if order is None:
        raise errors.sandbox_refusal(404, f"No order {order_id}.")
    return order


def cancel_order(sandbox: EbaySandbox, order_id: str, request: CancelOrder) -> OrderRecord:
    """The buyer cancels before shipping: units back, full refund; ``ORDER_CANCELLED``."""
    with sandbox.store.change() as state:
        order = find_order(state, order_id)
        if order.cancelled_ms is not None:
            raise errors.sandbox_refusal(409, f"Order {order_id} is already cancelled.")
        if any(line.shipped for line in order.line_items):
            raise errors.sandbox_refusal(
                409, f"Order {order_id} has shipped; it cannot be cancelled."
            )
        now = now_ms(sandbox)
        for line in order.line_items:
            listing = state.listings.get(line.listing_id)
            if listing is not None:
                _move_units(state, listing, -line.quantity)
        owed = order_total_cents(order) - refunded_cents(state, order)
        if owed > 0:
            refund = RefundRecord(
                refund_id=f"5{sandbox.store.new_id():0>11}",
                order_id=order.order_id,
                line_item_id=None,
                amount_cents=owed,
                reason="BUYER_CANCEL",
                at_ms=now,
            )
            state.refunds[refund.refund_id] = refund
            order.refund_ids.append(refund.refund_id)
        order.cancelled_ms, order.cancel_reason = now, request.reason
        order.cancel_request_id = sandbox.store.new_id()
        order.modified_ms = now
    sandbox.control.events.publish(ORDER_CANCELLED, {**_event(order), "reason": request.reason})
    return order


def open_return(sandbox: EbaySandbox, order_id: str, request: OpenReturn) -> ReturnRecord:
    """The buyer sends shipped units back; recorded as an OPEN return; ``RETURN_OPENED``."""
    with sandbox.store.change() as state:
        order = find_order(state, order_id)
        line = next(
            (li for li in order.line_items if li.line_item_id == request.line_item_id), None
        )
        if line is None:
            raise errors.sandbox_refusal(
                404, f"Order {order_id} has no line {request.line_item_id}."
            )
        returned = sum(
            r.quantity for r in state.returns.values() if r.line_item_id == line.line_item_id
        )
        if request.quantity > line.shipped - returned:
            left = line.shipped - returned
            raise errors.sandbox_refusal(
                409, f"Line {line.line_item_id} has {left} shipped unit(s) to return."
            )
        if not _returns_accepted(state, line.offer_id):
            raise errors.sandbox_refusal(409, "The listing's return policy accepts no returns.")
        record = ReturnRecord(
            return_id=f"50{sandbox.store.new_id():0>8}",
            order_id=order.order_id,
            line_item_id=line.line_item_id,
            quantity=request.quantity,
            reason=request.reason,
            comment=request.comment,
            created_ms=now_ms(sandbox),
        )
        state.returns[record.return_id] = record
    sandbox.control.events.publish(RETURN_OPENED, record.model_dump())
    return record


def _returns_accepted(state: EbayState, offer_id: str) -> bool:
    offer = state.offers.get(offer_id)
    policy_id = ((offer.body.get("listingPolicies") or {}) if offer else {}).get("returnPolicyId")
    policy = state.policies.get("return", {}).get(str(policy_id))
    return policy is None or bool(policy.get("returnsAccepted", True))
