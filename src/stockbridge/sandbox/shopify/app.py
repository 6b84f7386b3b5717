"""The Shopify sandbox as an ASGI app: Shopify's HTTP surface around the GraphQL engine.

Owns what happens before and after GraphQL: the versioned endpoint path, the
``X-Shopify-Access-Token`` check with Shopify's 401 body (custom-app tokens from the
config, install-flow tokens from oauth.py with their scopes; none after an uninstall),
the call log entry per operation (named by its root fields), publishing the events of a
change and persisting the state after it, the shared ``/_sandbox`` control API (state,
reset, calls, faults, buyers) with Shopify's error shape for injected faults, and the
webhook deliveries of its events (``webhook_delivery``, ``/_sandbox/deliveries``,
``app_topics``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from stockbridge.sandbox.buyers import GeneratorSettings
from stockbridge.sandbox.control import (
    SandboxControl,
    SandboxMiddleware,
    control_router,
    set_operation,
    token_expiry_forced,
)
from stockbridge.sandbox.delivery import delivery_router
from stockbridge.sandbox.events import EventLog
from stockbridge.sandbox.shopify.app_topics import app_topics_router
from stockbridge.sandbox.shopify.buyers import buyer_generator, buyers_router
from stockbridge.sandbox.shopify.config import API_VERSION, ShopifySandboxConfig
from stockbridge.sandbox.shopify.context import ResolveContext
from stockbridge.sandbox.shopify.contract import ContractViolations, load_official_schema
from stockbridge.sandbox.shopify.cost import Throttle
from stockbridge.sandbox.shopify.graph import GraphQLEngine, GraphQLRequest, root_fields
from stockbridge.sandbox.shopify.oauth import oauth_router
from stockbridge.sandbox.shopify.state import (
    ShopState,
    fresh_state,
    load_state,
    save_state,
    utc_from_timestamp,
)
from stockbridge.sandbox.shopify.webhook_delivery import WebhookDispatcher

T = TypeVar("T")

INVALID_TOKEN_MESSAGE = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)


def shopify_error_body(status: int, message: str) -> dict[str, Any]:
    """Shopify's plain error shape for HTTP-level failures (401, 404, 5xx, ...)."""
    return {"errors": message}


class ShopifySandbox:
    """One sandbox shop: its state, its GraphQL engine and its control hooks."""

    def __init__(self, config: ShopifySandboxConfig) -> None:
        self.config = config
        self._swap_lock = threading.Lock()
        official = load_official_schema(config.contracts_dir) if config.contracts_dir else None
        self.engine = GraphQLEngine(
            throttle=Throttle(config.bucket_size, config.restore_rate),
            max_query_cost=config.max_query_cost,
            clock=config.clock,
            official=official,
        )
        self.state = self._initial_state()
        self.control = SandboxControl(
            snapshot=self.snapshot,
            reset=self.reset,
            error_body=shopify_error_body,
            events=EventLog(clock=config.clock),
        )
        self.webhooks = WebhookDispatcher(config, state=lambda: self.state, persist=self.persist)
        self.control.events.listen(self.webhooks.on_event)
        self.buyers = buyer_generator(self.change)
        if config.buyers_per_minute > 0:
            self.buyers.start(
                GeneratorSettings(per_minute=config.buyers_per_minute, seed=config.buyers_seed)
            )

    @property
    def contract_violations(self) -> ContractViolations:
        return self.engine.violations

    def _fresh(self) -> ShopState:
        config = self.config
        return fresh_state(
            name=config.shop_name,
            domain=config.shop_domain,
            email=config.shop_email,
            currency=config.currency_code,
            timezone=config.iana_timezone,
            locations=config.location_names,
            at=utc_from_timestamp(config.clock()),
        )

    def _initial_state(self) -> ShopState:
        path = self.config.state_file
        if path is not None and path.is_file():
            return load_state(path)
        return self._fresh()

    def snapshot(self) -> dict[str, Any]:
        # Control routes run in a worker thread; the lock keeps a mutation from
        # changing the dicts while they are dumped.
        with self.state.lock:
            return self.state.model_dump(mode="json")

    def reset(self) -> None:
        with self._swap_lock:
            self.state = self._fresh()
            self.engine.throttle.reset()
            self.webhooks.clear()
            self.persist()

    def persist(self) -> None:
        if self.config.state_file is not None:
            with self.state.lock:
                save_state(self.state, self.config.state_file)

    def token_accepted(self, token: str) -> bool:
        """A custom-app or install-flow token, unless an uninstall revoked it (app_topics.py)."""
        known = token in self.config.access_tokens or token in self.state.oauth_tokens
        return known and token not in self.state.revoked_tokens

    def scopes_of(self, token: str) -> frozenset[str] | None:
        """The token's granted scopes; ``None`` (every scope) for a custom-app token."""
        if token in self.config.access_tokens:
            return None
        grant = self.state.oauth_tokens.get(token)
        return frozenset(grant.scopes) if grant else frozenset()

    def _context(self, scopes: frozenset[str] | None = None) -> ResolveContext:
        now = utc_from_timestamp(self.config.clock())
        return ResolveContext(
            state=self.state,
            now=now,
            scopes=scopes,
            webhook_https_only=self.config.webhook_https_only,
        )

    def _after(self, context: ResolveContext) -> None:
        # Outside the state lock: listeners (webhook delivery) may take their own locks.
        for topic, payload in context.announcements:
            self.control.events.publish(topic, payload)
        if context.changed:
            self.persist()

    def change(self, apply: Callable[[ResolveContext], T]) -> T:
        """Run ``apply`` on the state as one step, then publish its events and persist.

        If ``apply`` raises, it must not have changed anything (checkout, cancel and
        return refuse before they change); nothing is published.
        """
        context = self._context()
        with self.state.lock:
            result = apply(context)
        self._after(context)
        return result

    def answer(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        request = GraphQLRequest(
            token=token,
            query=body["query"],
            variables=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        context = self._context(self.scopes_of(token))
        # Buyers change the shop from other threads; a request sees it as one snapshot.
        with context.state.lock:
            answer = self.engine.answer(request, context)
        self._after(context)
        return answer


def create_app(config: ShopifySandboxConfig | None = None) -> FastAPI:
    """A Shopify Admin API sandbox; ``app.state.sandbox`` is its :class:`ShopifySandbox`."""
    sandbox = ShopifySandbox(config or ShopifySandboxConfig())
    app = FastAPI(title="stockbridge Shopify sandbox", docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox
    app.add_middleware(SandboxMiddleware, control=sandbox.control)
    app.include_router(control_router(sandbox.control))
    app.include_router(delivery_router(sandbox.webhooks.deliverer))
    app.include_router(app_topics_router(sandbox))
    app.include_router(oauth_router(sandbox.config, lambda: sandbox.state, sandbox.persist))
    app.include_router(buyers_router(sandbox.change, sandbox.buyers))

    @app.post("/admin/api/{version}/graphql.json")
    async def graphql_endpoint(version: str, request: Request) -> JSONResponse:
        if version != API_VERSION:
            return JSONResponse(shopify_error_body(404, "Not Found"), status_code=404)
        token = request.headers.get("X-Shopify-Access-Token", "")
        if not sandbox.token_accepted(token) or token_expiry_forced(request):
            return JSONResponse(shopify_error_body(401, INVALID_TOKEN_MESSAGE), status_code=401)
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        variables = body.get("variables") if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("query"), str)
            or not isinstance(variables, dict | None)
        ):
            missing = {"errors": {"query": "Required parameter missing or invalid"}}
            return JSONResponse(missing, status_code=400)
        set_operation(request, ",".join(root_fields(body["query"])) or "graphql")
        # Answered on the event loop, one request at a time: every GraphQL request sees
        # the state as one consistent snapshot, as a single Shopify shop would show it.
        return JSONResponse(sandbox.answer(token, body))

    @app.get("/_sandbox/contract-violations")
    def contract_violations() -> list[dict[str, Any]]:
        return [
            {"document": found.document, "messages": list(found.messages)}
            for found in sandbox.contract_violations.all()
        ]

    return app
