"""``/api/ecom/webhooks/{shopify,ebay}/{channel_id}``: where marketplaces deliver webhooks.

No API key: a delivery is authenticated by its signature. Before the signature is
checked, the client's address must be within its rate (``429`` with ``Retry-After``)
and the body within the size limit, counted while it is read (``413``), so an
unbounded body is never buffered. Then :func:`stockbridge.webhooks.ingest.receive`
verifies, logs once and queues; the answer follows at once (``200``; a repeat of a
delivery is ``200`` too, and not processed again).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from stockbridge.api.deps import ChannelContextDep, JobQueueDep, SessionFactoryDep
from stockbridge.api.problems import PayloadTooLarge, TooManyRequests, problem_responses
from stockbridge.api.schemas.common import PathId
from stockbridge.channels.base import WebhookRequest
from stockbridge.settings import Settings
from stockbridge.webhooks.ingest import Receipt, receive
from stockbridge.webhooks.rate_limit import RateLimiter, rate_limiter

#: No API key on these routes: the delivery's signature authenticates it.
SIGNED = {"x-authenticated-by": "signature"}


class WebhookAck(BaseModel):
    received: bool = True
    duplicate: bool = False


def client_ip(request: Request) -> str:
    """The peer's address, or the client's behind a trusted proxy (``create_app``)."""
    return request.client.host if request.client else "unknown"


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"a webhook delivery may be at most {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"a webhook delivery may be at most {limit} bytes")
    return bytes(body)


def webhook_ingest_router(settings: Settings) -> APIRouter:
    limiter: RateLimiter = rate_limiter(
        settings.redis_url, settings.queue_name, settings.webhook_rate_limit_per_minute
    )

    def within_rate(request: Request) -> None:
        verdict = limiter.hit(client_ip(request))
        if not verdict.allowed:
            raise TooManyRequests(
                f"more than {settings.webhook_rate_limit_per_minute} deliveries a minute "
                "from this address",
                retry_after=verdict.retry_after,
            )

    router = APIRouter(
        prefix="/api/ecom/webhooks",
        tags=["webhook deliveries"],
        dependencies=[Depends(within_rate)],
        responses=problem_responses(401, 404, 413, 422, 429),
    )

    async def ingest(
        request: Request,
        provider: str,
        channel_id: int,
        sessions: SessionFactoryDep,
        ctx: ChannelContextDep,
        queue: JobQueueDep,
    ) -> Receipt:
        body = await read_limited(request, settings.webhook_max_body_bytes)
        hook = WebhookRequest(
            method=request.method,
            url=str(request.url),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            query=dict(request.query_params),
        )
        return await run_in_threadpool(
            receive,
            sessions,
            ctx,
            queue,
            provider=provider,
            channel_id=channel_id,
            request=hook,
            source_ip=client_ip(request),
        )

    @router.post(
        "/shopify/{channel_id}",
        openapi_extra=SIGNED,
        summary="Receive a Shopify webhook",
        description="Verified with `X-Shopify-Hmac-Sha256` (the app's client secret) on the "
        "raw body; de-duplicated on `X-Shopify-Webhook-Id`.",
    )
    async def shopify(
        request: Request,
        channel_id: PathId,
        sessions: SessionFactoryDep,
        ctx: ChannelContextDep,
        queue: JobQueueDep,
    ) -> WebhookAck:
        receipt = await ingest(request, "shopify", channel_id, sessions, ctx, queue)
        return WebhookAck(duplicate=receipt.duplicate)

    @router.post(
        "/ebay/{channel_id}",
        openapi_extra=SIGNED,
        summary="Receive an eBay notification",
        description="Verified with `X-EBAY-SIGNATURE` (ECDSA, eBay's public key) on the raw "
        "body; de-duplicated on `notificationId`.",
    )
    async def ebay(
        request: Request,
        channel_id: PathId,
        sessions: SessionFactoryDep,
        ctx: ChannelContextDep,
        queue: JobQueueDep,
    ) -> WebhookAck:
        receipt = await ingest(request, "ebay", channel_id, sessions, ctx, queue)
        return WebhookAck(duplicate=receipt.duplicate)

    @router.get(
        "/ebay/{channel_id}",
        openapi_extra=SIGNED,
        summary="Answer eBay's endpoint challenge",
        description="`?challenge_code=X` answers `{challengeResponse}`: SHA-256 of the code, "
        "the channel's verification token and the endpoint URL.",
    )
    async def ebay_challenge(
        request: Request,
        channel_id: PathId,
        sessions: SessionFactoryDep,
        ctx: ChannelContextDep,
        queue: JobQueueDep,
    ) -> dict[str, str]:
        receipt = await ingest(request, "ebay", channel_id, sessions, ctx, queue)
        return {str(k): str(v) for k, v in (receipt.challenge or {}).items()}

    return router
