"""Sell Inventory API: inventory locations (create, get, list, update, enable, disable,
delete).

A location is where stock ships from; an offer must name an enabled one
(``merchantLocationKey``) to be published. createInventoryLocation answers 204, or 409
when the key is taken. updateInventoryLocation replaces the fields it is sent and keeps
the others (the address stays, as eBay documents). Unlike the item and offer lists,
``offset`` here counts records, as the official file says.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import JSONResponse

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.inventory import BASE_PATH, READ, WRITE
from stockbridge.sandbox.ebay.schemas import InventoryLocation, InventoryLocationFull
from stockbridge.sandbox.ebay.state import LocationRecord

#: eBay's limit on merchantLocationKey.
KEY_MAX_LENGTH = 36
LocationKey = Annotated[str, Path(alias="merchantLocationKey")]

router = APIRouter(
    prefix=BASE_PATH,
    tags=["eBay Sell Inventory"],
    dependencies=[Depends(operation_from_route_name)],
)


def location_json(location: LocationRecord) -> dict[str, Any]:
    """InventoryLocationResponse: the stored body with its key, status and defaults."""
    body = dict(location.body)
    body.setdefault("locationTypes", ["WAREHOUSE"])
    body["merchantLocationKey"] = location.key
    body["merchantLocationStatus"] = location.status
    return body


@router.post("/location/{merchantLocationKey}", name="createInventoryLocation", dependencies=WRITE)
def create_inventory_location(
    key: LocationKey, details: InventoryLocationFull, sandbox: SandboxDep
) -> Response:
    if len(key) > KEY_MAX_LENGTH:
        raise EbayError(400, 25800, errors.INVENTORY, "REQUEST", "Invalid merchantLocationKey.")
    address = details.location.address if details.location else None
    if address is None or not address.country:
        raise errors.missing_field("location.address.country")
    if not (address.postal_code or (address.city and address.state_or_province)):
        raise errors.missing_field("location.address.postalCode")
    body = details.to_json()
    status = body.pop("merchantLocationStatus", None)
    with sandbox.store.change() as state:
        if key in state.locations:
            raise errors.location_exists()
        state.locations[key] = LocationRecord(
            key=key, body=body, status="DISABLED" if status == "DISABLED" else "ENABLED"
        )
    return Response(status_code=204)


def find_location(sandbox: EbaySandbox, key: str) -> LocationRecord:
    location = sandbox.store.state.locations.get(key)
    if location is None:
        raise errors.location_not_found()
    return location


@router.get("/location/{merchantLocationKey}", name="getInventoryLocation", dependencies=READ)
def get_inventory_location(key: LocationKey, sandbox: SandboxDep) -> JSONResponse:
    return JSONResponse(location_json(find_location(sandbox, key)))


@router.post(
    "/location/{merchantLocationKey}/update_location_details",
    name="updateInventoryLocation",
    dependencies=WRITE,
)
def update_inventory_location(
    key: LocationKey, details: InventoryLocation, sandbox: SandboxDep
) -> Response:
    changes = details.to_json()
    changes.pop("location", None)  # the address is fixed once created
    with sandbox.store.change():
        location = find_location(sandbox, key)
        location.body = {**location.body, **changes}
    return Response(status_code=204)


@router.delete(
    "/location/{merchantLocationKey}", name="deleteInventoryLocation", dependencies=WRITE
)
def delete_inventory_location(key: LocationKey, sandbox: SandboxDep) -> Response:
    with sandbox.store.change() as state:
        find_location(sandbox, key)
        del state.locations[key]
    return Response(status_code=204)


@router.post(
    "/location/{merchantLocationKey}/disable", name="disableInventoryLocation", dependencies=WRITE
)
def disable_inventory_location(key: LocationKey, sandbox: SandboxDep) -> JSONResponse:
    with sandbox.store.change():
        find_location(sandbox, key).status = "DISABLED"
    return JSONResponse({})


@router.post(
    "/location/{merchantLocationKey}/enable", name="enableInventoryLocation", dependencies=WRITE
)
def enable_inventory_location(key: LocationKey, sandbox: SandboxDep) -> JSONResponse:
    with sandbox.store.change():
        find_location(sandbox, key).status = "ENABLED"
    return JSONResponse({})


@router.get("/location", name="getInventoryLocations", dependencies=READ)
def get_inventory_locations(
    sandbox: SandboxDep, limit: str = "100", offset: str = "0"
) -> JSONResponse:
    if not (limit.isdigit() and int(limit) >= 1 and offset.isdigit()):
        raise EbayError(
            400, 25804, errors.INVENTORY, "REQUEST", "Input error. Invalid limit or offset."
        )
    size, skip = int(limit), int(offset)
    with sandbox.store.lock:
        locations = [location_json(loc) for loc in sandbox.store.state.locations.values()]
    chosen = locations[skip : skip + size]
    body: dict[str, Any] = {
        "href": f"{BASE_PATH}/location?limit={size}&offset={skip}",
        "limit": size,
        "offset": skip,
        "total": len(locations),
        "locations": chosen,
    }
    if skip + size < len(locations):
        body["next"] = f"{BASE_PATH}/location?limit={size}&offset={skip + size}"
    if skip > 0:
        body["prev"] = f"{BASE_PATH}/location?limit={size}&offset={max(skip - size, 0)}"
    return JSONResponse(body)
