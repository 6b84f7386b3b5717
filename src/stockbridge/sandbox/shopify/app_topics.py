"""The webhook topics Shopify sends about the app itself, triggered through control routes.

- ``POST /_sandbox/app/uninstall``: the merchant uninstalls the app. The sandbox
  announces ``app/uninstalled`` (payload: the shop, as Shopify sends it), then does what
  Shopify does after it: the app's access tokens stop working (401) and its webhook
  subscriptions are deleted. ``POST /_sandbox/reset`` installs it again.
- ``POST /_sandbox/compliance/customers_data_request``, ``.../customers_redact``,
  ``.../shop_redact``: the mandatory compliance topics, with the payloads Shopify
  documents (``shop_id``, ``shop_domain``, ``customer {id, email, phone}``,
  ``orders_requested`` / ``orders_to_redact``, ``data_request {id}``). They go to the
  app's compliance URL (``ShopifySandboxConfig.compliance_webhook_url``), not to
  subscriptions, as Shopify sends them to the URLs in the app's configuration.

Every route answers the announced event (``id``, ``topic``, ``payload``, ``at``).
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from stockbridge.sandbox.control import CONTROL_PREFIX, SandboxControl
from stockbridge.sandbox.shopify.config import ShopifySandboxConfig
from stockbridge.sandbox.shopify.state import ShopState, gid_number


class Sandbox(Protocol):
    """What these routes need of the Shopify sandbox."""

    config: ShopifySandboxConfig
    control: SandboxControl
    state: ShopState

    def persist(self) -> None: ...


class CustomerIn(BaseModel):
    """The customer a compliance request is about (defaults: a sample customer)."""

    model_config = ConfigDict(extra="forbid")

    id: int = 191167
    email: str | None = "john@example.com"
    phone: str | None = "555-625-1199"


class CustomerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: CustomerIn = Field(default_factory=CustomerIn)
    #: Legacy ids of the customer's orders the request covers.
    orders: list[int] = Field(default_factory=list)


def _shop_identity(state: ShopState) -> dict[str, Any]:
    return {"shop_id": gid_number(state.shop.id), "shop_domain": state.shop.myshopify_domain}


def shop_payload(state: ShopState) -> dict[str, Any]:
    """The shop as ``app/uninstalled`` carries it (Shopify's REST shop fields we hold)."""
    shop = state.shop
    return {
        "id": gid_number(shop.id),
        "name": shop.name,
        "email": shop.email,
        "customer_email": shop.email,
        "domain": shop.myshopify_domain,
        "myshopify_domain": shop.myshopify_domain,
        "currency": shop.currency_code,
        "iana_timezone": shop.iana_timezone,
        "created_at": shop.created_at.isoformat(),
        "updated_at": shop.updated_at.isoformat(),
    }


def uninstall(sandbox: Sandbox) -> dict[str, Any]:
    state = sandbox.state
    with state.lock:
        payload = shop_payload(state)
    # Announced first: its deliveries are built from the subscriptions still there.
    event = sandbox.control.events.publish("app/uninstalled", payload)
    with state.lock:
        state.revoked_tokens |= set(sandbox.config.access_tokens)
        state.webhook_subscriptions.clear()
    sandbox.persist()
    return event.as_json()


def _customer_payload(
    state: ShopState, request: CustomerRequest, orders_key: str
) -> dict[str, Any]:
    return {
        **_shop_identity(state),
        "customer": request.customer.model_dump(),
        orders_key: list(request.orders),
    }


def data_request(sandbox: Sandbox, request: CustomerRequest) -> dict[str, Any]:
    state = sandbox.state
    with state.lock:
        payload = _customer_payload(state, request, "orders_requested")
        payload["data_request"] = {"id": gid_number(state.new_id("DataRequest"))}
    sandbox.persist()
    return sandbox.control.events.publish("customers/data_request", payload).as_json()


def customer_redact(sandbox: Sandbox, request: CustomerRequest) -> dict[str, Any]:
    with sandbox.state.lock:
        payload = _customer_payload(sandbox.state, request, "orders_to_redact")
    return sandbox.control.events.publish("customers/redact", payload).as_json()


def shop_redact(sandbox: Sandbox) -> dict[str, Any]:
    with sandbox.state.lock:
        payload = _shop_identity(sandbox.state)
    return sandbox.control.events.publish("shop/redact", payload).as_json()


def app_topics_router(sandbox: Sandbox) -> APIRouter:
    """The control routes of the module docstring."""
    router = APIRouter(prefix=CONTROL_PREFIX, tags=["sandbox control"])

    @router.post("/app/uninstall")
    def app_uninstall() -> dict[str, Any]:
        return uninstall(sandbox)

    @router.post("/compliance/customers_data_request")
    def customers_data_request(request: CustomerRequest | None = None) -> dict[str, Any]:
        return data_request(sandbox, request or CustomerRequest())

    @router.post("/compliance/customers_redact")
    def customers_redact(request: CustomerRequest | None = None) -> dict[str, Any]:
        return customer_redact(sandbox, request or CustomerRequest())

    @router.post("/compliance/shop_redact")
    def shop_redact_route() -> dict[str, Any]:
        return shop_redact(sandbox)

    return router
