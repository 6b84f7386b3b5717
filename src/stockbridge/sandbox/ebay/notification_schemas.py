"""Our typed description of the Commerce Notification request bodies the sandbox serves.

Class names are the official schema names in commerce_notification_v1_oas3.json and
aliases its property names; tests/sandbox/ebay/test_notification_schemas.py proves each
field exists there with the same JSON type. Bodies are parsed by the routes themselves
(:func:`parse_body`) rather than by FastAPI, so a wrong or missing field is answered with
the Notification API's own error id for that field, not a generic one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.schemas import EbayModel


class Config(EbayModel):
    alert_email: str | None = None


class DeliveryConfig(EbayModel):
    endpoint: str | None = None
    verification_token: str | None = None


class DestinationRequest(EbayModel):
    delivery_config: DeliveryConfig | None = None
    name: str | None = None
    status: str | None = None


class SubscriptionPayloadDetail(EbayModel):
    delivery_protocol: str | None = None
    format: str | None = None
    schema_version: str | None = None


class CreateSubscriptionRequest(EbayModel):
    destination_id: str | None = None
    payload: SubscriptionPayloadDetail | None = None
    status: str | None = None
    topic_id: str | None = None


class UpdateSubscriptionRequest(EbayModel):
    destination_id: str | None = None
    payload: SubscriptionPayloadDetail | None = None
    status: str | None = None


#: Every model above, for the fidelity test.
ALL_MODELS: tuple[type[EbayModel], ...] = (
    Config,
    DeliveryConfig,
    DestinationRequest,
    SubscriptionPayloadDetail,
    CreateSubscriptionRequest,
    UpdateSubscriptionRequest,
)

Model = TypeVar("Model", bound=BaseModel)


def parse_body(
    raw: bytes, model: type[Model], field_errors: Mapping[str, Callable[[], EbayError]]
) -> Model:
    """``raw`` as ``model``; a field of the wrong type raises that field's eBay error.

    A body that is not a JSON object is read as empty: every request body of this API is
    optional in the official file, so the missing fields are then what gets reported.
    """
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as error:
        where = ".".join(str(part) for part in error.errors()[0]["loc"])
        for prefix, make in field_errors.items():
            if where == prefix or where.startswith(prefix + "."):
                raise make() from None
        raise next(iter(field_errors.values()))() from None
