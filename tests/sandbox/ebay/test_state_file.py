"""State persistence: a sandbox started on the file of another carries on where it stopped."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import StartSandbox


def test_state_file_round_trip(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    state_file = tmp_path / "ebay-state.json"
    first = start_sandbox(state_file=state_file)
    token = first.user_token()
    first.call("POST", f"/location/{payloads.LOCATION_KEY}", token=token, json=payloads.location())
    first.call("PUT", "/inventory_item/LAMP-1", token=token, json=payloads.inventory_item(4))
    offer_id = first.call("POST", "/offer", token=token, json=payloads.offer("LAMP-1")).json()[
        "offerId"
    ]
    listing_id = first.call("POST", f"/offer/{offer_id}/publish", token=token).json()["listingId"]
    assert json.loads(state_file.read_text())["items"]["LAMP-1"]["sku"] == "LAMP-1"

    second = start_sandbox(state_file=state_file)

    # The token issued by the first run still works, and everything it made is there.
    item = second.call("GET", "/inventory_item/LAMP-1", token=token)
    assert item.status_code == 200
    assert item.json()["availability"]["shipToLocationAvailability"]["quantity"] == 4
    assert second.call("GET", f"/offer/{offer_id}", token=token).json()["status"] == "PUBLISHED"
    assert second.get_state()["listings"][listing_id]["quantity"] == 4
    new_offer = second.call("POST", "/offer", token=token, json=payloads.offer("LAMP-1", 1))
    assert new_offer.status_code == 400  # same SKU, marketplace and format: still a twin


def test_without_a_state_file_nothing_is_written(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    ebay = start_sandbox()
    ebay.call("PUT", "/inventory_item/A", json=payloads.inventory_item())
    assert list(tmp_path.iterdir()) == []
