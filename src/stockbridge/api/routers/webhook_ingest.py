"""``/api/ecom/webhooks/{shopify,ebay}/{channel_id}``: where marketplaces deliver webhooks.

No API key: a delivery is authenticated by its signature. Before the signature is
checked, the body must be within the size limit, counted while it is read (``413``), so
an unbounded body is never buffered, and the client's address within its rate (``429``
with ``Retry-After``). Then :func:`stockbridge.webhooks.ingest.receive` verifies, logs
once and queues; the answer follows at once (``200``; a repeat of a delivery is ``200``
too, and not processed again).

This is the one route a marketplace calls hundreds of times a second, so it is kept
lean: the body is read on the event loop, the rate check and everything that touches
Redis or the database run in batches on the :class:`Acknowledger`'s one thread (see
``webhooks/acknowledger.py``), and the answer is one of two prepared bodies.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.api.problems import PayloadTooLarge, TooManyRequests, problem_responses
from stockbridge.api.schemas.common import PathId
from stockbridge.channels.base import WebhookRequest, verifying_offline
from stockbridge.commerce.channels import ChannelContext
from stockbridge.settings import Settings
from stockbridge.sync.jobs import Waker
from stockbridge.webhooks.acknowledger import Acknowledger
from stockbridge.webhooks.ingest import Delivery, Outcome, Receipt, receive, receive_many
from stockbridge.webhooks.rate_limit import RateLimiter, rate_limiter
from stockbridge.webhooks.verifiers import Verifiers

#: No API key on these routes: the delivery's signature authenticates it.
SIGNED = {"x-authenticated-by": "signature"}


class WebhookAck(BaseModel):
    received: bool = True
    duplicate: bool = False


#: The two acknowledgements, serialised once.
ACK_BODIES = {
    duplicate: WebhookAck(duplicate=duplicate).model_dump_json().encode()
    for duplicate in (False, True)
}


def acknowledgement(receipt: Receipt) -> Response:
    return Response(ACK_BODIES[receipt.duplicate], media_type="application/json")


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


def webhook_acknowledger(
    settings: Settings, ctx: ChannelContext, sessions: sessionmaker[Session], waker: Waker
) -> Acknowledger:
    """The process's acknowledger: each batch counted against the per-address rate, then
    the deliveries within it received."""
    limiter: RateLimiter = rate_limiter(
        settings.redis_url, settings.queue_name, settings.webhook_rate_limit_per_minute
    )
    verifiers = Verifiers(ctx)

    def within_rate_then_receive(batch: Sequence[Delivery]) -> list[Outcome]:
        verdicts = limiter.hit_many([delivery.source_ip or "unknown" for delivery in batch])
        pairs = zip(batch, verdicts, strict=True)
        allowed = [delivery for delivery, verdict in pairs if verdict.allowed]
        with verifying_offline():
            received = iter(receive_many(sessions, verifiers, waker, allowed))
        return [
            next(received)
            if verdict.allowed
            else TooManyRequests(
                f"more than {settings.webhook_rate_limit_per_minute} deliveries a minute "
                "from this address",
                retry_after=verdict.retry_after,
            )
            for verdict in verdicts
        ]

    def receive_online(delivery: Delivery) -> Receipt:
        """A delivery whose verification must call the marketplace: on a thread of the
        pool, so the acknowledger's batches go on meanwhile (its rate already counted)."""
        return receive(sessions, verifiers, waker, delivery)

    return Acknowledger(within_rate_then_receive, receive_online)


def webhook_ingest_router(settings: Settings, acknowledger: Acknowledger) -> APIRouter:
    async def ingest(request: Request, provider: str, channel_id: int) -> Receipt:
        body = await read_limited(request, settings.webhook_max_body_bytes)
        hook = WebhookRequest(
            method=request.method.upper(),
            url=str(request.url),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            query=dict(request.query_params),
        )
        return await acknowledger.submit(Delivery(provider, channel_id, hook, client_ip(request)))

    router = APIRouter(
        prefix="/api/ecom/webhooks",
        tags=["webhook deliveries"],
        responses=problem_responses(401, 404, 413, 422, 429),
    )

    @router.post(
        "/shopify/{channel_id}",
        openapi_extra=SIGNED,
        response_model=WebhookAck,
        summary="Receive a Shopify webhook",
        description="Verified with `X-Shopify-Hmac-Sha256` (the app's client secret) on the "
        "raw body; de-duplicated on `X-Shopify-Webhook-Id`.",
    )
    async def shopify(request: Request, channel_id: PathId) -> Response:
        return acknowledgement(await ingest(request, "shopify", channel_id))

    @router.post(
        "/ebay/{channel_id}",
        openapi_extra=SIGNED,
        response_model=WebhookAck,
        summary="Receive an eBay notification",
        description="Verified with `X-EBAY-SIGNATURE` (ECDSA, eBay's public key) on the raw "
        "body; de-duplicated on `notificationId`.",
    )
    async def ebay(request: Request, channel_id: PathId) -> Response:
        return acknowledgement(await ingest(request, "ebay", channel_id))

    @router.get(
        "/ebay/{channel_id}",
        openapi_extra=SIGNED,
        summary="Answer eBay's endpoint challenge",
        description="`?challenge_code=X` answers `{challengeResponse}`: SHA-256 of the code, "
        "the channel's verification token and the endpoint URL.",
    )
    async def ebay_challenge(request: Request, channel_id: PathId) -> dict[str, str]:
        receipt = await ingest(request, "ebay", channel_id)
        return {str(k): str(v) for k, v in (receipt.challenge or {}).items()}

    return router
