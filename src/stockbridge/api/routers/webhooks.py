"""``/api/ecom/webhooks``: the log of webhook deliveries, one delivery, and replaying one.

(Where marketplaces deliver, without an API key, is ``webhook_ingest.py``.)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import CurrentPrincipal, JobQueueDep, SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.common import PathId
from stockbridge.api.schemas.webhooks import (
    WebhookDeliveriesPublic,
    WebhookDeliveryDetail,
    WebhookDeliveryPublic,
    WebhookDeliveryQuery,
)
from stockbridge.db.models import Role
from stockbridge.webhooks.privacy import masked
from stockbridge.webhooks.viewer import (
    DeliveryFilter,
    get_delivery,
    replay_delivery,
    search_deliveries,
)

router = APIRouter(prefix="/webhooks", tags=["webhook deliveries"])


@router.get(
    "",
    summary="List webhook deliveries",
    description="Newest first; filters `channel_id`, `topic`, `status`, `received_since`, "
    "`received_until`.",
)
def list_deliveries(
    session: SessionDep, query: Annotated[WebhookDeliveryQuery, Query()]
) -> WebhookDeliveriesPublic:
    filters = DeliveryFilter(
        channel_id=query.channel_id,
        topic=query.topic,
        status=query.status,
        received_since=query.received_since,
        received_until=query.received_until,
    )
    page = search_deliveries(session, filters, page=query.page, per_page=query.per_page)
    return WebhookDeliveriesPublic.model_validate(page)


@router.get(
    "/{log_id}",
    summary="Get a webhook delivery",
    description="With its headers and payload; a `readonly` key sees personal data masked.",
    responses=problem_responses(404),
)
def get_one(
    session: SessionDep, principal: CurrentPrincipal, log_id: PathId
) -> WebhookDeliveryDetail:
    detail = WebhookDeliveryDetail.model_validate(get_delivery(session, log_id))
    if principal.role is Role.READONLY:
        detail.payload = masked(detail.payload)
        detail.headers = masked(detail.headers)
    return detail


@router.post(
    "/{log_id}/replay",
    summary="Replay a webhook delivery",
    description="Processes the stored delivery again in a new job (admin and staff keys).",
    responses=problem_responses(404, 409),
)
def replay(
    session: SessionDep, queue: JobQueueDep, _: WriterPrincipal, log_id: PathId
) -> WebhookDeliveryPublic:
    return WebhookDeliveryPublic.model_validate(replay_delivery(session, queue, log_id))
