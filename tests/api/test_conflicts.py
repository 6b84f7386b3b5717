"""``/api/ecom/conflicts`` and ``/api/ecom/listings/{id}/resolve-conflict``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.commerce.conflicts import Finding, close_agreeing, record_findings
from stockbridge.db.models import (
    ConflictField,
    ConflictSource,
    ConflictStatus,
    EcomListingChannel,
)
from stockbridge.statuses import ConflictPolicy
from tests.api.conftest import Headers
from tests.factories import make_product, make_publication

URL = "/api/ecom/conflicts"


@dataclass(frozen=True)
class Seen:
    channel_id: int
    listing_id: int
    publication_id: int


def _seen(sessions: sessionmaker[Session]) -> Seen:
    """An open quantity conflict and a repaired price on one publication, as a manual
    quantity policy and a store_wins price policy leave them."""
    with sessions.begin() as session:
        publication = make_publication(session, make_product(session, "LAMP-1"))
        findings = [
            Finding(publication.id, publication.listing_id, "LAMP-1", ConflictField.QUANTITY, 4,
                    9, ConflictPolicy.MANUAL, ConflictStatus.OPEN),
            Finding(publication.id, publication.listing_id, "LAMP-1", ConflictField.PRICE, 4999,
                    1234, ConflictPolicy.STORE_WINS, ConflictStatus.REPAIRED),
        ]  # fmt: skip
        record_findings(session, publication.channel_id, findings, ConflictSource.WEBHOOK)
        return Seen(publication.channel_id, publication.listing_id, publication.id)


def test_open_conflicts_are_listed_by_default_and_filtered(
    client: TestClient, readonly_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    seen = _seen(sessions)

    listed = client.get(URL, headers=readonly_headers).json()
    repaired = client.get(URL, params={"status": "repaired"}, headers=readonly_headers).json()
    other = client.get(URL, params={"channel_id": seen.channel_id + 1}, headers=readonly_headers)

    assert listed["total"] == 1
    [item] = listed["items"]
    assert (item["sku"], item["field"], item["store_value"], item["marketplace_value"]) == (
        "LAMP-1", "quantity", 4, 9,
    )  # fmt: skip
    assert (item["status"], item["policy"], item["source"]) == ("open", "manual", "webhook")
    assert [i["field"] for i in repaired["items"]] == ["price"]
    assert other.json()["total"] == 0
    by_field = client.get(URL, params={"field": "price"}, headers=readonly_headers).json()
    assert by_field["total"] == 0  # the price one is not open


def test_resolving_keeps_the_store_value_and_marks_the_publication_for_a_push(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    seen = _seen(sessions)
    body = {"channel_id": seen.channel_id, "field": "quantity", "keep": "store"}

    answer = client.post(f"/api/ecom/listings/{seen.listing_id}/resolve-conflict", json=body,
                         headers=staff_headers)  # fmt: skip

    assert answer.status_code == 200, answer.text
    resolved = answer.json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "store")
    assert resolved["resolved_at"] is not None
    with sessions() as session:
        publication = session.get(EcomListingChannel, seen.publication_id)
        assert publication is not None
        assert publication.is_dirty
    again = client.post(f"/api/ecom/listings/{seen.listing_id}/resolve-conflict", json=body,
                        headers=staff_headers)  # fmt: skip
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert client.get(URL, headers=staff_headers).json()["total"] == 0


def test_resolving_needs_the_publication_and_a_writer(
    client: TestClient, staff_headers: Headers, readonly_headers: Headers,
    sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    seen = _seen(sessions)
    path = f"/api/ecom/listings/{seen.listing_id}/resolve-conflict"
    body = {"channel_id": seen.channel_id, "field": "quantity", "keep": "marketplace"}

    elsewhere = client.post(path, json={**body, "channel_id": seen.channel_id + 99},
                            headers=staff_headers)  # fmt: skip
    reader = client.post(path, json=body, headers=readonly_headers)
    unknown = client.post(path, json={**body, "keep": "both"}, headers=staff_headers)

    assert elsewhere.status_code == 404
    assert reader.status_code == 403
    assert unknown.status_code == 422


def test_keeping_the_marketplace_applies_the_value_seen_last_and_gone_ones_are_listed(
    client: TestClient, staff_headers: Headers, readonly_headers: Headers,
    sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    seen = _seen(sessions)
    with sessions.begin() as session:  # an open price difference, seen twice
        for cents in (1234, 1111):
            finding = Finding(seen.publication_id, seen.listing_id, "LAMP-1", ConflictField.PRICE,
                              4999, cents, ConflictPolicy.MANUAL, ConflictStatus.OPEN)  # fmt: skip
            record_findings(session, seen.channel_id, [finding], ConflictSource.RECONCILE)
        # The quantity shows what the store offers again.
        assert close_agreeing(session, [(seen.publication_id, ConflictField.QUANTITY)]) == 1
    body = {"channel_id": seen.channel_id, "field": "price", "keep": "marketplace"}

    answer = client.post(f"/api/ecom/listings/{seen.listing_id}/resolve-conflict", json=body,
                         headers=staff_headers)  # fmt: skip

    assert answer.status_code == 200, answer.text
    assert (answer.json()["marketplace_value"], answer.json()["resolution"]) == (
        1111,
        "marketplace",
    )
    with sessions() as session:
        publication = session.get(EcomListingChannel, seen.publication_id)
        assert publication is not None
        assert publication.overrides["price_cents"] == 1111
    gone = client.get(URL, params={"status": "gone"}, headers=readonly_headers).json()
    assert [(item["field"], item["marketplace_value"]) for item in gone["items"]] == [
        ("quantity", 9)
    ]
    assert gone["items"][0]["resolved_at"] is not None
