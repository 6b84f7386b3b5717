"""The webhook job: what each topic does, compliance erasure that a replay cannot undo,
and the delivery viewer (filters, masking for readonly, replay for writers only)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from stockbridge.db.models import (
    ChannelStatus,
    EcomChannel,
    EcomOrder,
    EcomWebhookLog,
    JobKind,
    JobStatus,
    OrderStatus,
    Role,
    SyncJob,
    WebhookStatus,
)
from stockbridge.statuses import FulfillmentStatus, PaymentStatus
from stockbridge.sync import jobs
from tests.factories import make_product, make_publication
from tests.webhooks.conftest import Stockbridge, key_headers

EMAIL = "ada@buyers.example"
ADDRESS = {"name": "Ada Lovelace", "address1": "12 St James's Square", "city": "London"}


def add_order(stockbridge: Stockbridge, external_id: str, email: str = EMAIL) -> None:
    with stockbridge.sessions.begin() as session:
        session.add(
            EcomOrder(
                channel_id=stockbridge.channel_id,
                external_id=external_id,
                status=OrderStatus.PENDING,
                payment_status=PaymentStatus.PAID,
                fulfillment_status=FulfillmentStatus.UNFULFILLED,
                customer_name="Ada Lovelace",
                customer_email=email,
                shipping_address=ADDRESS,
                billing_address=ADDRESS,
                currency="GBP",
                raw={"email": email, "shipping_address": ADDRESS, "total": "10.00"},
            )
        )


def order(stockbridge: Stockbridge, external_id: str) -> EcomOrder:
    with stockbridge.sessions() as session:
        return session.scalars(select(EcomOrder).where(EcomOrder.external_id == external_id)).one()


def log_of(stockbridge: Stockbridge, delivery_id: str) -> EcomWebhookLog:
    with stockbridge.sessions() as session:
        return session.scalars(
            select(EcomWebhookLog).where(EcomWebhookLog.delivery_id == delivery_id)
        ).one()


def delivered(stockbridge: Stockbridge, topic: str, payload: dict, delivery_id: str) -> None:  # type: ignore[type-arg]
    answer = stockbridge.shopify(topic, payload, delivery_id=delivery_id)
    assert answer.status_code == 200, answer.text
    stockbridge.run_queued_webhook_jobs()


def test_app_uninstalled_asks_for_a_new_connection_and_cancels_waiting_jobs(
    stockbridge: Stockbridge,
) -> None:
    with stockbridge.sessions.begin() as session:
        waiting = SyncJob(
            kind=JobKind.INVENTORY, channel_id=stockbridge.channel_id, status=JobStatus.QUEUED,
            payload={}, counts={},
        )  # fmt: skip
        session.add(waiting)

    delivered(stockbridge, "app/uninstalled", {"id": 1, "domain": "s.example"}, "u-1")

    with stockbridge.sessions() as session:
        channel = session.get(EcomChannel, stockbridge.channel_id)
        assert channel is not None
        assert channel.status is ChannelStatus.AUTH_REQUIRED
        inventory = session.scalars(select(SyncJob).where(SyncJob.kind == JobKind.INVENTORY))
        assert [job.status for job in inventory] == [JobStatus.CANCELLED]
    assert log_of(stockbridge, "u-1").status is WebhookStatus.PROCESSED


def test_an_inventory_update_queues_a_reconcile_of_the_matching_publication(
    stockbridge: Stockbridge,
) -> None:
    with stockbridge.sessions.begin() as session:
        publication = make_publication(session, make_product(session))
        other = make_publication(session, make_product(session))
        publication.channel_id = stockbridge.channel_id
        publication.external_refs = {"inventory_item_id": "gid://shopify/InventoryItem/555"}
        other.channel_id = stockbridge.channel_id
        mine = publication.id

    delivered(stockbridge, "inventory_levels/update", {"inventory_item_id": 555}, "i-1")

    with stockbridge.sessions() as session:
        [job] = session.scalars(select(SyncJob).where(SyncJob.kind == JobKind.RECONCILE))
        assert job.channel_id == stockbridge.channel_id
        assert job.payload == {"publication_ids": [mine], "source": "webhook"}
    assert log_of(stockbridge, "i-1").status is WebhookStatus.PROCESSED


def test_deliveries_while_a_webhook_reconcile_waits_join_it_instead_of_queueing_their_own(
    stockbridge: Stockbridge,
) -> None:
    # A push of three SKUs echoes as one inventory_levels/update each (one of them twice).
    with stockbridge.sessions.begin() as session:
        mine = []
        for item in (555, 556, 557):
            publication = make_publication(session, make_product(session))
            publication.channel_id = stockbridge.channel_id
            publication.external_refs = {"inventory_item_id": f"gid://shopify/InventoryItem/{item}"}
            mine.append(publication.id)

    for n, item in enumerate((555, 556, 555, 557)):
        delivered(stockbridge, "inventory_levels/update", {"inventory_item_id": item}, f"i-{n}")

    def reconciles() -> list[SyncJob]:
        with stockbridge.sessions() as session:
            query = select(SyncJob).where(SyncJob.kind == JobKind.RECONCILE).order_by(SyncJob.id)
            return list(session.scalars(query))

    [job] = reconciles()
    assert (job.status, job.payload) == (
        JobStatus.QUEUED, {"publication_ids": sorted(mine), "source": "webhook"},
    )  # fmt: skip
    # Once it has started, the next delivery queues a reconcile of its own.
    with stockbridge.sessions.begin() as session:
        assert jobs.start_job(session, job.id) is not None
    delivered(stockbridge, "inventory_levels/update", {"inventory_item_id": 556}, "i-9")
    started, fresh = reconciles()
    assert started.payload["publication_ids"] == sorted(mine)
    assert (fresh.status, fresh.payload["publication_ids"]) == (JobStatus.QUEUED, [mine[1]])


def test_an_order_topic_re_fetches_the_order_and_records_why_it_failed(
    stockbridge: Stockbridge,
) -> None:
    # The order is read again from the shop, which has no order 42: the delivery is kept,
    # marked failed with the shop's answer, and can be replayed.
    delivered(stockbridge, "orders/create", {"id": 42}, "o-42")

    log = log_of(stockbridge, "o-42")
    assert log.status is WebhookStatus.FAILED
    assert log.error_message
    assert "has no order gid://shopify/Order/42" in log.error_message


def test_a_customer_redact_erases_orders_and_payloads_and_a_replay_brings_nothing_back(
    stockbridge: Stockbridge,
) -> None:
    add_order(stockbridge, "gid://shopify/Order/10")
    add_order(stockbridge, "gid://shopify/Order/11", email="someone@else.example")
    delivered(stockbridge, "products/update", {"id": 9, "note": f"from {EMAIL}"}, "p-9")
    redact = {"shop_id": 1, "customer": {"id": 5, "email": EMAIL}, "orders_to_redact": [10]}

    delivered(stockbridge, "customers/redact", redact, "c-1")
    answer = httpx.post(
        f"{stockbridge.url}/api/ecom/webhooks/{log_of(stockbridge, 'p-9').id}/replay",
        headers=stockbridge.admin,
    )
    assert answer.status_code == 200, answer.text
    stockbridge.run_queued_webhook_jobs()

    erased, kept = (
        order(stockbridge, "gid://shopify/Order/10"),
        order(stockbridge, "gid://shopify/Order/11"),
    )
    assert (erased.customer_name, erased.customer_email, erased.shipping_address) == (None,) * 3
    assert erased.raw == {"email": "[redacted]", "shipping_address": "[redacted]", "total": "10.00"}
    assert kept.customer_email == "someone@else.example"
    assert EMAIL not in str(log_of(stockbridge, "p-9").payload)
    assert EMAIL not in str(log_of(stockbridge, "c-1").payload)
    assert log_of(stockbridge, "c-1").status is WebhookStatus.PROCESSED


def test_a_data_request_records_what_is_held(stockbridge: Stockbridge) -> None:
    add_order(stockbridge, "gid://shopify/Order/20")
    request = {"customer": {"email": EMAIL}, "orders_requested": [20]}

    delivered(stockbridge, "customers/data_request", request, "dr-1")

    export = log_of(stockbridge, "dr-1").headers["stockbridge-export"]
    assert export == {
        "orders": [
            {
                "external_id": "gid://shopify/Order/20",
                "fields": [
                    "customer_name",
                    "customer_email",
                    "shipping_address",
                    "billing_address",
                ],
            }
        ]
    }


def test_the_viewer_filters_masks_for_readonly_and_lets_only_writers_replay(
    stockbridge: Stockbridge,
) -> None:
    customer = {"customer": {"email": EMAIL, "first_name": "Ada"}, "id": 3}
    assert stockbridge.shopify("orders/updated", customer, delivery_id="v-1").status_code == 200
    assert stockbridge.shopify("products/update", {"id": 4}, delivery_id="v-2").status_code == 200
    readonly = key_headers(stockbridge.sessions, Role.READONLY)
    base = f"{stockbridge.url}/api/ecom/webhooks"

    listed = httpx.get(base, params={"topic": "orders/updated"}, headers=readonly).json()
    [item] = listed["items"]
    assert (listed["total"], item["delivery_id"], item["status"]) == (1, "v-1", "received")
    masked = httpx.get(f"{base}/{item['id']}", headers=readonly).json()
    full = httpx.get(f"{base}/{item['id']}", headers=stockbridge.admin).json()
    assert masked["payload"] == {"customer": "[redacted]", "id": 3}
    assert full["payload"] == customer
    assert httpx.post(f"{base}/{item['id']}/replay", headers=readonly).status_code == 403
    assert httpx.get(base, params={"status": "bogus"}, headers=readonly).status_code == 422
    assert httpx.get(f"{base}/999999", headers=readonly).status_code == 404
