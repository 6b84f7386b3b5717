"""``/api/ecom/listings``: master content, publications, bulk actions, sync requests."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import (
    ChannelLogStatus,
    ChannelOperation,
    ChannelStatus,
    Condition,
    EcomChannel,
    EcomChannelLog,
    EcomListing,
    EcomListingChannel,
    JobKind,
    JobStatus,
    SyncJob,
    SyncState,
)
from stockbridge.sync.queue import JobQueue
from tests.api.conftest import Headers
from tests.factories import make_product, make_version

URL = "/api/ecom/listings"


def _channel(sessions: sessionmaker[Session], name: str = "eBay DE") -> int:
    with sessions.begin() as session:
        channel = EcomChannel(
            name=name, provider="ebay", status=ChannelStatus.ACTIVE, currency="EUR"
        )
        session.add(channel)
        session.flush()
        return channel.id


def _product(sessions: sessionmaker[Session], sku: str, on_hand: int = 0) -> int:
    with sessions.begin() as session:
        product = make_product(session, sku=sku)
        if on_hand:
            make_version(session, product=product, on_hand=on_hand)
        return product.id


def _create(client: TestClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _count(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[arg-type]


def test_a_listing_is_created_as_draft_with_its_product_code_and_stock(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    product_id = _product(sessions, "CAM-1", on_hand=4)

    listing = _create(
        client, admin_headers, product_code_id=product_id, seo_slug="sony-a7-iv",
        image_urls=["https://img.example/a.jpg"], attributes={"Brand": "Sony"},
    )  # fmt: skip

    assert listing["status"] == "draft"
    assert listing["condition"] == "new"
    assert listing["product_code"]["sku"] == "CAM-1"
    assert listing["product_code"]["stock_available"] == 4
    assert listing["title"] == listing["product_code"]["name"]
    assert listing["image_urls"] == ["https://img.example/a.jpg"]
    assert listing["publications"] == []
    fetched = client.get(f"{URL}/{listing['id']}", headers=admin_headers).json()
    assert fetched == listing


def test_a_second_listing_of_one_product_and_condition_is_409(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    product_id = _product(sessions, "CAM-2")
    _create(client, admin_headers, product_code_id=product_id)

    again = client.post(URL, json={"product_code_id": product_id}, headers=admin_headers)
    used = client.post(
        URL, json={"product_code_id": product_id, "condition": "used"}, headers=admin_headers
    )

    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert used.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product_code_id": 999999}, "product_code_id"),
        ({"title": "no product"}, "product_code_id"),
        ({"product_code_id": 1, "seo_slug": "Not A Slug"}, "seo_slug"),
        ({"product_code_id": 1, "price_cents": -5}, "price_cents"),
        ({"product_code_id": 1, "image_urls": ["not a url"]}, "image_urls"),
        ({"product_code_id": 1, "colour": "red"}, "colour"),
    ],
)
def test_invalid_input_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient,
    admin_headers: Headers,
    sessions: sessionmaker[Session],
    body: dict[str, Any],
    field: str,
) -> None:
    _product(sessions, "CAM-3")
    response = client.post(URL, json=body, headers=admin_headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["detail"]
    assert _count(sessions, EcomListing) == 0


def test_listings_are_filtered_searched_and_paginated(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    ids = [
        _create(client, admin_headers, product_code_id=_product(sessions, sku), title=title)["id"]
        for sku, title in [("GTR-1", "Fender Stratocaster"), ("GTR-2", "Gibson Les Paul"),
                           ("AMP-1", "Marshall amp")]
    ]  # fmt: skip
    channel_id = _channel(sessions)
    client.post(
        f"{URL}/bulk",
        json={"action": "publish", "channel_id": channel_id, "listing_ids": ids[:2]},
        headers=admin_headers,
    )

    def search(**params: Any) -> dict[str, Any]:
        response = client.get(URL, params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    assert [item["id"] for item in search(q="gtr")["items"]] == ids[:2]
    assert [item["id"] for item in search(q="les paul")["items"]] == [ids[1]]
    assert search(status="draft")["total"] == 1
    assert search(status="active")["total"] == 2
    assert search(channel_id=channel_id)["total"] == 2
    assert search(sync_state="pending", channel_id=channel_id)["total"] == 2
    assert search(sync_state="in_sync")["total"] == 0
    page = search(per_page=2, page=2)
    assert (page["total"], page["page"], page["per_page"]) == (3, 2, 2)
    assert [item["id"] for item in page["items"]] == [ids[2]]
    publication = search(q="strat")["items"][0]["publications"][0]
    assert publication["channel_id"] == channel_id
    assert publication["channel_name"] == "eBay DE"
    assert (publication["status"], publication["sync_state"]) == ("pending", "pending")
    assert publication["dirty"] is True


def test_an_update_changes_only_the_fields_given_and_marks_publications_dirty(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    listing = _create(client, admin_headers, product_code_id=_product(sessions, "KEY-1"))
    channel_id = _channel(sessions)
    client.post(
        f"{URL}/bulk",
        json={"action": "publish", "channel_id": channel_id, "listing_ids": [listing["id"]]},
        headers=admin_headers,
    )
    with sessions() as session:
        before = session.scalars(select(EcomListingChannel.dirty_seq)).one()

    response = client.patch(
        f"{URL}/{listing['id']}",
        json={"price_cents": 12900, "meta_description": "Stage piano"},
        headers=admin_headers,
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["price_cents"], changed["meta_description"]) == (12900, "Stage piano")
    assert changed["title"] == listing["title"]
    with sessions() as session:
        assert session.scalars(select(EcomListingChannel.dirty_seq)).one() == before + 1
    null_title = client.patch(f"{URL}/{listing['id']}", json={"title": None}, headers=admin_headers)
    assert null_title.status_code == 422
    assert "title" in null_title.json()["detail"]


def test_a_published_listing_cannot_be_deleted_until_unpublished(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    listing_id = _create(client, admin_headers, product_code_id=_product(sessions, "PED-1"))["id"]
    channel_id = _channel(sessions)
    action = {"channel_id": channel_id, "listing_ids": [listing_id]}
    client.post(f"{URL}/bulk", json={"action": "publish", **action}, headers=admin_headers)

    refused = client.delete(f"{URL}/{listing_id}", headers=admin_headers)
    client.post(f"{URL}/bulk", json={"action": "unpublish", **action}, headers=admin_headers)
    not_ended_yet = client.delete(f"{URL}/{listing_id}", headers=admin_headers)
    with sessions.begin() as session:  # what the push job does once the marketplace ended it
        publication = session.scalars(select(EcomListingChannel)).one()
        publication.synced_seq = publication.dirty_seq
        publication.sync_state = SyncState.IN_SYNC
    deleted = client.delete(f"{URL}/{listing_id}", headers=admin_headers)

    assert refused.status_code == 409
    assert str(channel_id) in refused.json()["detail"]
    assert not_ended_yet.status_code == 409
    assert deleted.status_code == 204
    assert client.get(f"{URL}/{listing_id}", headers=admin_headers).status_code == 404


def test_a_bulk_action_reports_each_listing_and_one_bad_one_blocks_nothing(
    client: TestClient,
    admin_headers: Headers,
    sessions: sessionmaker[Session],
    job_queue: JobQueue,
) -> None:
    good = [
        _create(client, admin_headers, product_code_id=_product(sessions, f"MIC-{n}"))["id"]
        for n in range(2)
    ]
    channel_id = _channel(sessions)
    missing = 999_999

    response = client.post(
        f"{URL}/bulk",
        json={"action": "publish", "channel_id": channel_id,
              "listing_ids": [good[0], missing, good[1]]},
        headers=admin_headers,
    )  # fmt: skip

    assert response.status_code == 200, response.text
    answer = response.json()
    assert [(r["listing_id"], r["ok"], r["status"]) for r in answer["results"]] == [
        (good[0], True, 200),
        (missing, False, 404),
        (good[1], True, 200),
    ]
    assert (answer["succeeded"], answer["failed"]) == (2, 1)
    with sessions() as session:
        job = session.get(SyncJob, answer["job_id"])
        assert job is not None
        assert (job.kind, job.status, job.payload) == (
            JobKind.LISTINGS,
            JobStatus.QUEUED,
            {"listing_ids": good},
        )
        assert session.scalar(select(func.count()).select_from(EcomListingChannel)) == 2
    assert job_queue.pending() == 1

    unpublish_never_published = client.post(
        f"{URL}/bulk",
        json={"action": "update", "listing_ids": good, "changes": {"price_cents": 500}},
        headers=admin_headers,
    )
    assert unpublish_never_published.json()["succeeded"] == 2


def test_a_bulk_action_without_its_arguments_is_422(
    client: TestClient, admin_headers: Headers
) -> None:
    for body in (
        {"action": "publish", "listing_ids": [1]},
        {"action": "update", "listing_ids": [1]},
        {"action": "teleport", "listing_ids": [1], "channel_id": 1},
        {"action": "sync", "listing_ids": [], "channel_id": 1},
    ):
        response = client.post(f"{URL}/bulk", json=body, headers=admin_headers)
        assert response.status_code == 422, body


def test_a_sync_request_marks_publications_dirty_and_answers_a_queued_job(
    client: TestClient,
    admin_headers: Headers,
    sessions: sessionmaker[Session],
    job_queue: JobQueue,
) -> None:
    listing_id = _create(client, admin_headers, product_code_id=_product(sessions, "DRN-1"))["id"]
    other_id = _create(client, admin_headers, product_code_id=_product(sessions, "DRN-2"))["id"]
    channel_id = _channel(sessions)
    client.post(
        f"{URL}/bulk",
        json={"action": "publish", "channel_id": channel_id, "listing_ids": [listing_id]},
        headers=admin_headers,
    )
    with sessions() as session:
        jobs_before = session.scalar(select(func.count()).select_from(SyncJob))

    refused = client.post(
        f"{URL}/sync",
        json={"channel_id": channel_id, "listing_ids": [listing_id, other_id]},
        headers=admin_headers,
    )
    assert refused.status_code == 422
    assert "listing_ids" in refused.json()["detail"]
    with sessions() as session:  # nothing half-written
        assert session.scalar(select(func.count()).select_from(SyncJob)) == jobs_before

    response = client.post(
        f"{URL}/sync", json={"channel_id": channel_id, "listing_ids": [listing_id]},
        headers=admin_headers,
    )  # fmt: skip
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    job = client.get(f"/api/ecom/sync/jobs/{job_id}", headers=admin_headers).json()
    assert (job["kind"], job["status"], job["channel_id"]) == ("listings", "queued", channel_id)
    assert job["progress"] == {"done": 0, "total": 1, "percent": 0.0}
    assert job_queue.pending() == 2  # the publish's job and this one


def test_a_listings_history_is_its_channel_logs_newest_first(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    listing_id = _create(client, admin_headers, product_code_id=_product(sessions, "VR-1"))["id"]
    channel_id = _channel(sessions)
    with sessions.begin() as session:
        for status in (ChannelLogStatus.FAILED, ChannelLogStatus.SUCCESS):
            session.add(
                EcomChannelLog(
                    channel_id=channel_id, listing_id=listing_id,
                    operation=ChannelOperation.LISTING_SYNC, status=status,
                )
            )  # fmt: skip
            session.flush()
        session.add(
            EcomChannelLog(
                channel_id=channel_id, operation=ChannelOperation.ORDER_POLL,
                status=ChannelLogStatus.SUCCESS,
            )
        )  # fmt: skip

    history = client.get(f"{URL}/{listing_id}/history", headers=admin_headers).json()

    assert history["total"] == 2
    assert [entry["status"] for entry in history["items"]] == ["success", "failed"]
    assert client.get(f"{URL}/999/history", headers=admin_headers).status_code == 404


def test_stock_shown_is_that_of_the_listings_condition(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        product = make_product(session, sku="LNS-1")
        make_version(session, product=product, on_hand=3)
        make_version(session, product=product, condition=Condition.USED, on_hand=2)
        product_id = product.id
    used = _create(client, admin_headers, product_code_id=product_id, condition="used")
    assert used["product_code"]["stock_available"] == 2
