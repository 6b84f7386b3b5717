"""Builds the eBay sandbox ASGI app: routes, error rendering, control API, contracts."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from stockbridge.sandbox.buyers import GeneratorSettings
from stockbridge.sandbox.control import SandboxControl, SandboxMiddleware, control_router
from stockbridge.sandbox.delivery import delivery_router
from stockbridge.sandbox.ebay import (
    account,
    buyers,
    destinations,
    errors,
    fulfillment,
    inventory,
    locations,
    notification,
    oauth,
    offers,
    refunds,
    subscriptions,
)
from stockbridge.sandbox.ebay.config import EbaySandboxConfig
from stockbridge.sandbox.ebay.context import EbaySandbox
from stockbridge.sandbox.ebay.contracts import ContractMiddleware, ContractViolations
from stockbridge.sandbox.ebay.errors import EbayError, OAuthError
from stockbridge.sandbox.ebay.publisher import NotificationPublisher, notification_control_router
from stockbridge.sandbox.ebay.state import EbayStore
from stockbridge.sandbox.events import EventLog

#: The marketplace routes, in the order they are matched.
ROUTERS = (
    oauth.router,
    inventory.router,
    offers.router,
    locations.router,
    fulfillment.router,
    refunds.router,
    account.router,
    buyers.router,
    notification.router,
    destinations.router,
    subscriptions.router,
)


def create_app(config: EbaySandboxConfig | None = None) -> FastAPI:
    """A fresh sandbox; its state is loaded from ``config.state_file`` when that exists."""
    config = config or EbaySandboxConfig()
    store = EbayStore(config.state_file)
    violations = ContractViolations()

    def snapshot() -> dict[str, Any]:
        return {**store.snapshot(), "contract_violations": violations.peek()}

    events = EventLog(clock=config.clock)
    publisher = NotificationPublisher(store, config, events)

    def reset() -> None:
        store.reset()
        publisher.reset()

    control = SandboxControl(
        snapshot=snapshot, reset=reset, error_body=errors.fault_body, events=events
    )
    app = FastAPI(title="stockbridge eBay sandbox", docs_url=None, redoc_url=None)
    app.state.ebay = EbaySandbox(config=config, store=store, control=control, violations=violations)
    app.state.ebay_notifications = publisher
    app.state.ebay_buyers = buyers.buyer_generator(app.state.ebay)
    if config.buyers_per_minute > 0:
        app.state.ebay_buyers.start(
            GeneratorSettings(per_minute=config.buyers_per_minute, seed=config.buyers_seed)
        )

    for router in ROUTERS:
        app.include_router(router)
    app.include_router(control_router(control))
    app.include_router(oauth.control)
    app.include_router(delivery_router(publisher.deliverer))
    app.include_router(notification_control_router(publisher))
    _add_error_handlers(app)

    # Added innermost first: faults and the call log see every call, contracts only
    # what the faults let through.
    if config.contract_specs:
        app.add_middleware(ContractMiddleware, specs=config.contract_specs, violations=violations)
    app.add_middleware(SandboxMiddleware, control=control)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    async def ebay_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, EbayError)
        return JSONResponse(error.body(), status_code=error.status)

    async def oauth_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, OAuthError)
        return JSONResponse(error.body(), status_code=error.status)

    async def invalid_request(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        if request.url.path.startswith("/sell/inventory/"):
            answer = errors.invalid_value(where or "request", str(first.get("msg", "")))
        else:
            reason = f"{where or 'request'}: {first.get('msg', '')}"
            answer = errors.invalid_request_for(request.url.path, reason)
        return JSONResponse(answer.body(), status_code=answer.status)

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        # Only routing raises HTTPException here (handlers raise EbayError): the call is
        # one the sandbox does not serve. Say so plainly rather than fake eBay's answer.
        assert isinstance(error, HTTPException)
        answer = errors.not_implemented(f"{request.method} {request.url.path}")
        return JSONResponse(answer.body(), status_code=answer.status)

    app.add_exception_handler(EbayError, ebay_error)
    app.add_exception_handler(OAuthError, oauth_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
