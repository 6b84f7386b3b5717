"""Answers and filters of ``/api/ecom/webhooks``: logged webhook deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.db.models import WebhookStatus
from stockbridge.pos.schemas import RowId


class WebhookDeliveryPublic(PublicModel):
    id: int
    channel_id: int
    delivery_id: str
    topic: str = Field(validation_alias="event_type")
    status: WebhookStatus
    error_message: str | None
    source_ip: str | None
    received_at: datetime = Field(validation_alias="created_at")
    processed_at: datetime | None


class WebhookDeliveryDetail(WebhookDeliveryPublic):
    headers: dict[str, Any]
    payload: dict[str, Any] | None = Field(
        description="As received (after any redaction); personal data masked for `readonly`."
    )


class WebhookDeliveriesPublic(PagePublic[WebhookDeliveryPublic]):
    pass


class WebhookDeliveryQuery(PageQuery):
    channel_id: RowId | None = None
    topic: str | None = Field(None, max_length=100, description="e.g. `orders/create`.")
    status: WebhookStatus | None = None
    received_since: AwareDatetime | None = None
    received_until: AwareDatetime | None = None
