"""The FastAPI application: routers, problem-details handlers and the database it talks to.

``create_app`` is the one way to build it (``stockbridge serve``, tests, the demo). Given
no session factory it opens its own engine on ``settings.database_url`` and disposes of
it when the application shuts down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from stockbridge import __version__
from stockbridge.api.problems import add_problem_schema, install_problem_handlers
from stockbridge.api.routers import api_router, health
from stockbridge.api.routers.channels import channels_router, oauth_callback_router
from stockbridge.api.routers.webhook_ingest import webhook_acknowledger, webhook_ingest_router
from stockbridge.channels.registry import ProviderRegistry, registry
from stockbridge.commerce.channels import ChannelContext
from stockbridge.db.engine import make_engine, make_session_factory
from stockbridge.settings import Settings, get_settings
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.queue import JobQueue
from stockbridge.vault import Vault
from stockbridge.webhooks.acknowledger import Acknowledger

DESCRIPTION = """\
The store core of stockbridge (`/api/pos`): branches, product codes with their stock per
branch and condition, stock movements and their ledger, POS sales and store orders. The
marketplace side (`/api/ecom`): connected channels (eBay, Shopify, third-party providers),
listings and their publication, imported orders, webhooks, sync jobs.

Every `/api` route needs `Authorization: Bearer <api key>`, except the OAuth callback
(checked by its sealed `state`) and the webhook deliveries (checked by the marketplace's
signature); keys with the `readonly` role may only read. Errors are RFC 9457 problem
details (`application/problem+json`); lists take `page` and `per_page` and answer
`{items, total, page, per_page}`. Money is in integer minor units (`*_cents`) with an
ISO 4217 `currency`; times are UTC.
"""


def create_app(
    *,
    session_factory: sessionmaker[Session] | None = None,
    settings: Settings | None = None,
    providers: ProviderRegistry | None = None,
    job_queue: JobQueue | None = None,
    run_jobs: bool = False,
) -> FastAPI:
    """``run_jobs``: run the job consumer in this process while the app is up (``serve``),
    unless the queue is on Redis, where ``stockbridge worker`` processes consume it."""
    settings = settings or get_settings()
    channel_context = ChannelContext(
        settings=settings, vault=Vault(settings.encryption_key), registry=providers or registry
    )
    engine: Engine | None = None
    if session_factory is None:
        settings.ensure_sqlite_directory()
        engine = make_engine(settings.database_url)
        session_factory = make_session_factory(engine)
    job_queue = job_queue or JobQueue(settings, session_factory, default_handlers(channel_context))
    acknowledger = webhook_acknowledger(settings, channel_context, session_factory, job_queue)
    app = FastAPI(
        title="Stockbridge",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(engine, job_queue, acknowledger, run_jobs=run_jobs),
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    install_problem_handlers(app)
    if settings.trusted_proxy_list:
        # The one place the client address behind a proxy is decided: uvicorn's own
        # proxy headers are off in `serve` (and by default they trust any local peer).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    app.state.channel_context = channel_context
    app.state.job_queue = job_queue
    # Routes are matched in order, each costing a little: the deliveries marketplaces send
    # hundreds a second come first (no other route shares their paths).
    app.include_router(webhook_ingest_router(settings, acknowledger))
    app.include_router(health.router)
    app.include_router(api_router)
    app.include_router(channels_router(channel_context))
    app.include_router(oauth_callback_router())
    app.openapi = _openapi_with_problems(app)  # type: ignore[method-assign]
    return app


def _lifespan(
    engine: Engine | None, job_queue: JobQueue, acknowledger: Acknowledger, *, run_jobs: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the in-process job consumer if asked; on shutdown let the webhook
    acknowledger finish, stop the consumer, close the queue and the connections of an
    engine the app opened itself."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_jobs and job_queue.in_process:
            job_queue.start_in_process()
        try:
            yield
        finally:
            acknowledger.close()
            job_queue.close()
            if engine is not None:
                engine.dispose()

    return lifespan


def _openapi_with_problems(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's own generator, plus the ProblemDetails schema the error responses refer to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return add_problem_schema(generate())

    return openapi
