"""Sell Inventory API: inventory items, their bulk calls and bulkUpdatePriceQuantity.

Paths, bodies and statuses follow sell_inventory_v1_oas3.json (base path
``/sell/inventory/v1``). createOrReplaceInventoryItem replaces the whole record, as on
eBay, and answers 204. Bulk calls take at most 25 requests and answer 200 when every
entry succeeded, 207 when some failed, each entry with its own ``statusCode``. A change
to a SKU with a live listing counts one revision of that listing for the day.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import JSONResponse

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.oauth import SELL_INVENTORY, SELL_INVENTORY_READONLY, require_scope
from stockbridge.sandbox.ebay.schemas import (
    BulkGetInventoryItem,
    BulkInventoryItem,
    BulkPriceQuantity,
    InventoryItem,
    PriceQuantity,
)
from stockbridge.sandbox.ebay.state import InventoryItemRecord

BASE_PATH = "/sell/inventory/v1"
#: Requests per bulk call (MARKETPLACE-NOTES.md; the official file's descriptions).
BULK_LIMIT = 25

WRITE = [Depends(require_scope(SELL_INVENTORY))]
READ = [Depends(require_scope(SELL_INVENTORY, SELL_INVENTORY_READONLY))]
ContentLanguage = Annotated[str | None, Header(alias="Content-Language")]

router = APIRouter(
    prefix=BASE_PATH,
    tags=["eBay Sell Inventory"],
    dependencies=[Depends(operation_from_route_name)],
)


def locale_of(content_language: str | None) -> str:
    """``en-US`` (the header eBay requires) to ``en_US`` (the locale eBay stores)."""
    if not content_language or not content_language.strip():
        raise errors.invalid_value("header Content-Language")
    return content_language.strip().replace("-", "_")


def bulk_status(entries: list[dict[str, Any]]) -> int:
    return 200 if all(entry["statusCode"] == 200 for entry in entries) else 207


def item_json(item: InventoryItemRecord) -> dict[str, Any]:
    """InventoryItemWithSkuLocaleGroupid: what the seller stored, plus its keys."""
    return {**item.body, "sku": item.sku, "locale": item.locale}


def store_item(sandbox: EbaySandbox, sku: str, locale: str, item: InventoryItem) -> None:
    if not sku or len(sku) > 50:
        raise EbayError(
            400,
            25707,
            errors.INVENTORY,
            "REQUEST",
            "Invalid sku. sku has to be alphanumeric with upto 50 characters in length",
        )
    body = item.to_json()
    for key in ("sku", "locale"):  # keys live beside the body, not inside it
        body.pop(key, None)
    with sandbox.store.change() as state:
        state.items[sku] = InventoryItemRecord(sku=sku, locale=locale, body=body)
        sandbox.store.note_revision(sku, sandbox.now())


@router.put("/inventory_item/{sku}", name="createOrReplaceInventoryItem", dependencies=WRITE)
def create_or_replace_inventory_item(
    sku: str, item: InventoryItem, sandbox: SandboxDep, content_language: ContentLanguage = None
) -> Response:
    store_item(sandbox, sku, locale_of(content_language), item)
    return Response(status_code=204)


@router.get("/inventory_item/{sku}", name="getInventoryItem", dependencies=READ)
def get_inventory_item(sku: str, sandbox: SandboxDep) -> JSONResponse:
    item = sandbox.store.state.items.get(sku)
    if item is None:
        raise errors.not_found()
    return JSONResponse(item_json(item))


@router.get("/inventory_item", name="getInventoryItems", dependencies=READ)
def get_inventory_items(sandbox: SandboxDep, limit: str = "25", offset: str = "0") -> JSONResponse:
    # offset is a page number here, not a record count (see the official file).
    if not (limit.isdigit() and 1 <= int(limit) <= 200 and offset.isdigit()):
        raise EbayError(
            400, 25706, errors.INVENTORY, "REQUEST", "You have provided invalid pagination values."
        )
    size, page = int(limit), int(offset)
    with sandbox.store.lock:
        items = [item_json(item) for item in sandbox.store.state.items.values()]
    chosen = items[page * size : (page + 1) * size]
    href = f"{BASE_PATH}/inventory_item?limit={size}&offset={page}"
    body: dict[str, Any] = {
        "href": href,
        "inventoryItems": chosen,
        "limit": size,
        "size": len(chosen),
        "total": len(items),
    }
    if (page + 1) * size < len(items):
        body["next"] = f"{BASE_PATH}/inventory_item?limit={size}&offset={page + 1}"
    if page > 0:
        body["prev"] = f"{BASE_PATH}/inventory_item?limit={size}&offset={page - 1}"
    return JSONResponse(body)


@router.delete("/inventory_item/{sku}", name="deleteInventoryItem", dependencies=WRITE)
def delete_inventory_item(sku: str, sandbox: SandboxDep) -> Response:
    with sandbox.store.change() as state:
        if state.items.pop(sku, None) is None:
            raise errors.not_found()
        # eBay deletes the SKU's offers and ends its listings with it.
        for offer_id in [o.offer_id for o in state.offers.values() if o.sku == sku]:
            offer = state.offers.pop(offer_id)
            if offer.listing_id:
                state.listings[offer.listing_id].status = "ENDED"
    return Response(status_code=204)


@router.post(
    "/bulk_create_or_replace_inventory_item",
    name="bulkCreateOrReplaceInventoryItem",
    dependencies=WRITE,
)
def bulk_create_or_replace_inventory_item(
    bulk: BulkInventoryItem, sandbox: SandboxDep
) -> JSONResponse:
    if len(bulk.requests) > BULK_LIMIT:
        raise errors.too_many_items(BULK_LIMIT)
    responses: list[dict[str, Any]] = []
    for request in bulk.requests:
        entry: dict[str, Any] = {"sku": request.sku, "locale": request.locale}
        try:
            if not request.locale:
                raise EbayError(
                    400,
                    25733,
                    errors.INVENTORY,
                    "REQUEST",
                    "Valid SKU and locale information are required for all the "
                    "InventoryItems in the request.",
                )
            store_item(sandbox, request.sku or "", request.locale, request)
            entry["statusCode"] = 200
        except EbayError as error:
            entry |= {"statusCode": error.status, **error.body()}
        responses.append(entry)
    return JSONResponse({"responses": responses}, status_code=bulk_status(responses))


@router.post("/bulk_get_inventory_item", name="bulkGetInventoryItem", dependencies=READ)
def bulk_get_inventory_item(bulk: BulkGetInventoryItem, sandbox: SandboxDep) -> JSONResponse:
    if len(bulk.requests) > BULK_LIMIT:
        raise errors.too_many_items(BULK_LIMIT)
    skus = [request.sku or "" for request in bulk.requests]
    if len(set(skus)) != len(skus):
        raise EbayError(
            400, 25734, errors.INVENTORY, "REQUEST", "SKU should be unique in the request."
        )
    responses: list[dict[str, Any]] = []
    for sku in skus:
        item = sandbox.store.state.items.get(sku)
        if item is None:
            missing = errors.sku_not_available(sku)
            responses.append({"sku": sku, "statusCode": 404, **missing.body()})
        else:
            responses.append({"sku": sku, "statusCode": 200, "inventoryItem": item_json(item)})
    return JSONResponse({"responses": responses}, status_code=bulk_status(responses))


@router.post("/bulk_update_price_quantity", name="bulkUpdatePriceQuantity", dependencies=WRITE)
def bulk_update_price_quantity(bulk: BulkPriceQuantity, sandbox: SandboxDep) -> JSONResponse:
    if len(bulk.requests) > BULK_LIMIT:
        raise errors.invalid_value(
            "requests", f"The number of requests cannot exceed {BULK_LIMIT}."
        )
    responses: list[dict[str, Any]] = []
    for request in bulk.requests:
        responses.extend(_update_price_quantity(sandbox, request))
    return JSONResponse({"responses": responses}, status_code=bulk_status(responses))


def _update_price_quantity(sandbox: EbaySandbox, request: PriceQuantity) -> list[dict[str, Any]]:
    """One SKU of a bulkUpdatePriceQuantity call: one answer per offer, or per SKU."""
    sku = request.sku or ""
    with sandbox.store.change() as state:
        item = state.items.get(sku)
        if item is None:
            return [{"sku": sku, "statusCode": 400, **errors.sku_not_available(sku).body()}]
        answers: list[dict[str, Any]] = []
        for change in request.offers or []:
            offer = state.offers.get(change.offer_id or "")
            if offer is None or offer.sku != sku:
                missing = errors.offer_not_available(change.offer_id or "", status=400)
                answers.append(
                    {"offerId": change.offer_id, "sku": sku, "statusCode": 400, **missing.body()}
                )
                continue
            if change.available_quantity is not None:
                offer.body["availableQuantity"] = change.available_quantity
            if change.price is not None:
                summary = offer.body.setdefault("pricingSummary", {})
                summary["price"] = change.price.to_json()
            answers.append({"offerId": offer.offer_id, "sku": sku, "statusCode": 200})
        ship_to = request.ship_to_location_availability
        if ship_to is not None and ship_to.quantity is not None:
            availability = item.body.setdefault("availability", {})
            target = availability.setdefault("shipToLocationAvailability", {})
            target["quantity"] = ship_to.quantity
            if not request.offers:
                answers.append({"sku": sku, "statusCode": 200})
        sandbox.store.note_revision(sku, sandbox.now())
    return answers
