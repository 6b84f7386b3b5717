"""Sell Inventory API: offers, publishing them as listings, and their bulk calls.

An offer is one SKU on one marketplace in one format. Publishing creates (or, when the
offer is live, revises) the listing and returns its ``listingId``; withdrawing ends it.
The listing's quantity is the lower of the item's ship-to quantity and the offer's
``availableQuantity`` (see state.py). Publishing checks the fields eBay needs to list
and that each ``listingPolicies`` id names a business policy of its kind on the offer's
marketplace (account.py); the sandbox has no category tree, so any category is valid.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import JSONResponse

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.account import check_listing_policies
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.inventory import BASE_PATH, BULK_LIMIT, READ, WRITE, bulk_status
from stockbridge.sandbox.ebay.schemas import (
    BulkEbayOfferDetailsWithKeys,
    BulkOffer,
    EbayOfferDetailsWithId,
    EbayOfferDetailsWithKeys,
)
from stockbridge.sandbox.ebay.state import ListingRecord, OfferRecord

FORMATS = frozenset({"FIXED_PRICE", "AUCTION"})
OfferId = Annotated[str, Path(alias="offerId")]

router = APIRouter(
    prefix=BASE_PATH,
    tags=["eBay Sell Inventory"],
    dependencies=[Depends(operation_from_route_name)],
)


def offer_json(sandbox: EbaySandbox, offer: OfferRecord) -> dict[str, Any]:
    """EbayOfferDetailsWithAll: what the seller stored plus keys, status and listing."""
    body: dict[str, Any] = {
        **offer.body,
        "offerId": offer.offer_id,
        "sku": offer.sku,
        "marketplaceId": offer.marketplace_id,
        "format": offer.format,
        "status": offer.status,
    }
    listing = sandbox.store.state.listings.get(offer.listing_id or "")
    if listing is not None:
        body["listing"] = {
            "listingId": listing.listing_id,
            "listingStatus": listing.status,
            "soldQuantity": listing.sold_quantity,
        }
    return body


def create_offer_record(sandbox: EbaySandbox, details: EbayOfferDetailsWithKeys) -> OfferRecord:
    for name, value in (("sku", details.sku), ("marketplaceId", details.marketplace_id)):
        if not value:
            raise errors.invalid_value(name)
    if details.format not in FORMATS:
        raise errors.invalid_value("format")
    sku = details.sku or ""
    with sandbox.store.change() as state:
        if sku not in state.items:
            raise errors.sku_not_available(sku)
        for existing in state.offers.values():
            key = (existing.sku, existing.marketplace_id, existing.format)
            if key == (sku, details.marketplace_id, details.format):
                raise EbayError(
                    400,
                    25002,
                    errors.INVENTORY,
                    "REQUEST",
                    "A user error has occurred. Offer entity already exists.",
                    parameters=[("offerId", existing.offer_id)],
                )
        body = details.to_json()
        for key_field in ("sku", "marketplaceId", "format"):
            body.pop(key_field, None)
        offer = OfferRecord(
            offer_id=sandbox.store.new_id(),
            sku=sku,
            marketplace_id=details.marketplace_id or "",
            format=details.format or "",
            body=body,
        )
        state.offers[offer.offer_id] = offer
    return offer


def find_offer(sandbox: EbaySandbox, offer_id: str, status: int = 404) -> OfferRecord:
    offer = sandbox.store.state.offers.get(offer_id)
    if offer is None:
        raise errors.offer_not_available(offer_id, status)
    return offer


def publish(sandbox: EbaySandbox, offer_id: str) -> str:
    """List the offer (or revise its live listing); returns the listing id."""
    with sandbox.store.change() as state:
        offer = find_offer(sandbox, offer_id)
        _check_listable(sandbox, offer)
        if offer.listing_id and state.listings[offer.listing_id].status == "ACTIVE":
            sandbox.store.note_revision(offer.sku, sandbox.now())
            return offer.listing_id
        # eBay item ids are 12 digits (e.g. 110554312345); keep them that shape.
        listing_id = f"11{sandbox.store.new_id():0>10}"
        listing = ListingRecord(listing_id=listing_id, offer_id=offer.offer_id, sku=offer.sku)
        state.listings[listing.listing_id] = listing
        offer.status, offer.listing_id = "PUBLISHED", listing.listing_id
        return listing.listing_id


def _check_listable(sandbox: EbaySandbox, offer: OfferRecord) -> None:
    item = sandbox.store.state.items[offer.sku]
    body = offer.body
    price = (body.get("pricingSummary") or {}).get("price") or {}
    policies = body.get("listingPolicies") or {}
    missing = [
        name
        for name, present in (
            ("pricingSummary.price", bool(price.get("value"))),
            ("categoryId", bool(body.get("categoryId"))),
            ("listingPolicies.fulfillmentPolicyId", bool(policies.get("fulfillmentPolicyId"))),
            ("listingPolicies.paymentPolicyId", bool(policies.get("paymentPolicyId"))),
            ("listingPolicies.returnPolicyId", bool(policies.get("returnPolicyId"))),
            ("product.title", bool((item.body.get("product") or {}).get("title"))),
        )
        if not present
    ]
    if missing:
        raise errors.user_error(f"Missing field(s) for listing: {', '.join(missing)}.")
    check_listing_policies(sandbox, offer.marketplace_id, policies)
    location_key = body.get("merchantLocationKey")
    location = sandbox.store.state.locations.get(location_key or "")
    if location is None or location.status != "ENABLED":
        raise errors.invalid_location(f"merchantLocationKey {location_key!r} is not enabled.")
    if sandbox.store.listed_quantity(offer) <= 0:
        raise EbayError(
            400,
            25760,
            errors.INVENTORY,
            "REQUEST",
            "shipToLocationAvailability quantity insufficient to create a listing.",
        )


@router.post("/offer", name="createOffer", status_code=201, dependencies=WRITE)
def create_offer(details: EbayOfferDetailsWithKeys, sandbox: SandboxDep) -> JSONResponse:
    offer = create_offer_record(sandbox, details)
    return JSONResponse({"offerId": offer.offer_id}, status_code=201)


@router.put("/offer/{offerId}", name="updateOffer", dependencies=WRITE)
def update_offer(
    offer_id: OfferId, details: EbayOfferDetailsWithId, sandbox: SandboxDep
) -> Response:
    with sandbox.store.change():
        offer = find_offer(sandbox, offer_id)
        body = details.to_json()
        for key_field in ("sku", "marketplaceId", "format"):
            body.pop(key_field, None)
        offer.body = body  # updateOffer replaces the whole offer, as on eBay
        if offer.status == "PUBLISHED":
            sandbox.store.note_revision(offer.sku, sandbox.now())
    return Response(status_code=204)


@router.get("/offer/{offerId}", name="getOffer", dependencies=READ)
def get_offer(offer_id: OfferId, sandbox: SandboxDep) -> JSONResponse:
    return JSONResponse(offer_json(sandbox, find_offer(sandbox, offer_id)))


@router.get("/offer", name="getOffers", dependencies=READ)
def get_offers(
    sandbox: SandboxDep,
    sku: str | None = None,
    marketplace_id: str | None = None,
    format: str | None = None,
    limit: str = "100",
    offset: str = "0",
) -> JSONResponse:
    if not sku:
        raise errors.invalid_value("sku")
    if not (limit.isdigit() and int(limit) >= 1 and offset.isdigit()):
        raise EbayError(
            400, 25706, errors.INVENTORY, "REQUEST", "You have provided invalid pagination values."
        )
    size, page = int(limit), int(offset)  # offset is a page number (official file)
    with sandbox.store.lock:
        offers = [
            offer_json(sandbox, offer)
            for offer in sandbox.store.state.offers.values()
            if offer.sku == sku
            and marketplace_id in (None, offer.marketplace_id)
            and format in (None, offer.format)
        ]
    if not offers:
        raise errors.offer_not_available(sku)
    chosen = offers[page * size : (page + 1) * size]
    return JSONResponse(
        {
            "href": f"{BASE_PATH}/offer?sku={sku}&limit={size}&offset={page}",
            "limit": size,
            "offers": chosen,
            "size": len(chosen),
            "total": len(offers),
        }
    )


@router.delete("/offer/{offerId}", name="deleteOffer", dependencies=WRITE)
def delete_offer(offer_id: OfferId, sandbox: SandboxDep) -> Response:
    with sandbox.store.change() as state:
        offer = find_offer(sandbox, offer_id)
        del state.offers[offer.offer_id]
        if offer.listing_id:  # deleting a published offer ends its listing
            state.listings[offer.listing_id].status = "ENDED"
    return Response(status_code=204)


@router.post("/offer/{offerId}/publish", name="publishOffer", dependencies=WRITE)
def publish_offer(offer_id: OfferId, sandbox: SandboxDep) -> JSONResponse:
    return JSONResponse({"listingId": publish(sandbox, offer_id)})


@router.post("/offer/{offerId}/withdraw", name="withdrawOffer", dependencies=WRITE)
def withdraw_offer(offer_id: OfferId, sandbox: SandboxDep) -> JSONResponse:
    with sandbox.store.change() as state:
        offer = find_offer(sandbox, offer_id)
        listing = state.listings.get(offer.listing_id or "")
        if offer.status != "PUBLISHED" or listing is None:
            raise errors.offer_not_available(offer_id, status=400)
        listing.status = "ENDED"
        offer.status = "UNPUBLISHED"
    return JSONResponse({"listingId": listing.listing_id})


@router.post("/bulk_create_offer", name="bulkCreateOffer", dependencies=WRITE)
def bulk_create_offer(bulk: BulkEbayOfferDetailsWithKeys, sandbox: SandboxDep) -> JSONResponse:
    if len(bulk.requests) > BULK_LIMIT:
        raise errors.too_many_offers(BULK_LIMIT)
    responses: list[dict[str, Any]] = []
    for details in bulk.requests:
        entry: dict[str, Any] = {
            "sku": details.sku,
            "marketplaceId": details.marketplace_id,
            "format": details.format,
        }
        try:
            entry |= {"offerId": create_offer_record(sandbox, details).offer_id, "statusCode": 200}
        except EbayError as error:
            entry |= {"statusCode": error.status, **error.body()}
        responses.append(entry)
    return JSONResponse({"responses": responses}, status_code=bulk_status(responses))


@router.post("/bulk_publish_offer", name="bulkPublishOffer", dependencies=WRITE)
def bulk_publish_offer(bulk: BulkOffer, sandbox: SandboxDep) -> JSONResponse:
    if len(bulk.requests) > BULK_LIMIT:
        raise errors.too_many_offers(BULK_LIMIT)
    responses: list[dict[str, Any]] = []
    for request in bulk.requests:
        entry: dict[str, Any] = {"offerId": request.offer_id}
        try:
            entry |= {"listingId": publish(sandbox, request.offer_id or ""), "statusCode": 200}
        except EbayError as error:
            entry |= {"statusCode": error.status, **error.body()}
        responses.append(entry)
    return JSONResponse({"responses": responses}, status_code=bulk_status(responses))
