"""``/api/ecom/channels``: connected marketplace accounts, and their OAuth callback.

Built per application by :func:`channels_router`, because the create body has one
variant per registered provider. Routes that call the marketplace (create and update
with a connection test, the test itself, the OAuth callback) take no request session:
they open short transactions around the call (see ``api/deps.py``). The OAuth callback
is the one ``/api`` route without an API key: the marketplace sends the shop owner's
browser there, and the sealed ``state`` it carries is what authenticates it.
"""

# No ``from __future__ import annotations`` here: the create body's type is built at
# run time, and FastAPI must see the real object in the route's signature.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from stockbridge.api.deps import (
    ChannelContextDep,
    DetachedPrincipal,
    JobQueueDep,
    SessionDep,
    SessionFactoryDep,
    WriterPrincipal,
    authorize_by_method,
)
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.channel_logs import (
    ChannelLogPublic,
    ChannelLogQuery,
    ChannelLogsPublic,
)
from stockbridge.api.schemas.channels import (
    ChannelPublic,
    ChannelQuery,
    ChannelsPublic,
    ChannelUpdate,
    ConnectionTestPublic,
    OAuthStartPublic,
    channel_create_type,
)
from stockbridge.api.schemas.common import PathId
from stockbridge.api.schemas.sync import SyncQueuedPublic, SyncRequest
from stockbridge.commerce import channels
from stockbridge.commerce.channels import ChannelContext, ChannelDraft
from stockbridge.commerce.initial_sync import queue_initial_sync
from stockbridge.db.engine import transaction
from stockbridge.db.models import EcomChannel
from stockbridge.sync import channel_logs as sync_logs
from stockbridge.sync import jobs, on_demand

VERIFY_HELP = "Test the connection with the marketplace before saving (when tokens are given)."


def channel_public(channel: EcomChannel, ctx: ChannelContext) -> ChannelPublic:
    return ChannelPublic(
        id=channel.id,
        name=channel.name,
        provider=channel.provider,
        status=channel.status,
        currency=channel.currency,
        base_url=channel.config.get("base_url"),
        connected=channels.connected(channel, ctx.vault),
        credentials=channels.masked_credentials(channel, ctx.vault),
        settings=channels.channel_settings(channel),
        last_sync_at=channel.last_sync_at,
        last_error=channel.last_error,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
    )


def channels_router(ctx: ChannelContext) -> APIRouter:
    """The channel routes (behind the API key) for the providers ``ctx.registry`` knows."""
    create_body: Any = channel_create_type(ctx.registry)
    router = APIRouter(prefix="/channels", tags=["channels"])
    # Routes that call the marketplace: authenticated by DetachedPrincipal, no session.
    calling = APIRouter(prefix="/channels", tags=["channels"])

    @router.get("", summary="List channels", description="With status and last sync; by id.")
    def list_channels(
        session: SessionDep, ctx: ChannelContextDep, query: Annotated[ChannelQuery, Query()]
    ) -> ChannelsPublic:
        rows, total = channels.list_channels(session, page=query.page, per_page=query.per_page)
        return ChannelsPublic(
            items=[channel_public(row, ctx) for row in rows],
            total=total,
            page=query.page,
            per_page=query.per_page,
        )

    @calling.post(
        "",
        status_code=201,
        summary="Connect a channel",
        description="Credentials in the provider's schema, stored encrypted. With tokens "
        "given, the connection is tested first (409 if the marketplace refuses) unless "
        "`verify=false`; without, the channel waits for its OAuth flow. A channel whose "
        "test passed gets every active listing published to it by a `listings` job.",
        responses=problem_responses(409),
    )
    def create_channel(
        factory: SessionFactoryDep,
        ctx: ChannelContextDep,
        queue: JobQueueDep,
        _: DetachedPrincipal,
        body: create_body,
        verify: Annotated[bool, Query(description=VERIFY_HELP)] = True,
    ) -> ChannelPublic:
        provider = ctx.registry.get(body.provider)
        credentials = channels.shop_credentials(ctx, provider, body.credentials)
        draft = ChannelDraft(
            base_url=str(body.base_url) if body.base_url else None,
            credentials=credentials,
            settings=body.settings,
        )
        link = channels.new_link(ctx, body.provider, draft)
        verified = verify and channels.verify_link(ctx, link) is not None
        with transaction(factory) as session:
            channel = channels.create_channel(
                session, ctx, link=link, name=body.name, currency=body.currency,
                settings=body.settings, verified=verified,
            )  # fmt: skip
            queue_initial_sync(session, queue, channel)
            return channel_public(channel, ctx)

    @router.get("/{channel_id}", summary="Get a channel", responses=problem_responses(404))
    def get_channel(
        session: SessionDep, ctx: ChannelContextDep, channel_id: PathId
    ) -> ChannelPublic:
        return channel_public(channels.get_channel(session, channel_id), ctx)

    @calling.patch(
        "/{channel_id}",
        summary="Change a channel",
        description="Only the fields given change. New credentials are tested first "
        "unless `verify=false`; once they pass, active listings not yet on the channel "
        "are published to it by a `listings` job.",
        responses=problem_responses(404, 409),
    )
    def update_channel(
        factory: SessionFactoryDep,
        ctx: ChannelContextDep,
        queue: JobQueueDep,
        _: DetachedPrincipal,
        channel_id: PathId,
        body: ChannelUpdate,
        verify: Annotated[bool, Query(description=VERIFY_HELP)] = True,
    ) -> ChannelPublic:
        with transaction(factory) as session:
            channel = channels.get_channel(session, channel_id)
            provider = ctx.registry.get(channel.provider)
            credentials = (
                channels.shop_credentials(ctx, provider, body.credentials)
                if body.credentials is not None
                else None
            )
            draft = ChannelDraft(
                name=body.name,
                base_url=str(body.base_url) if body.base_url else None,
                credentials=credentials,
                settings=body.settings,
                fields_set=frozenset(body.model_fields_set),
            )
            link = channels.updated_link(ctx, channel, draft)
        verified = (
            verify
            and "credentials" in draft.fields_set
            and channels.verify_link(ctx, link) is not None
        )
        with transaction(factory) as session:
            channel = channels.update_channel(
                session, ctx, channel_id, draft, link=link, verified=verified
            )
            if verified:
                queue_initial_sync(session, queue, channel)
                jobs.wake_held_jobs(session, queue, channel.id)
            return channel_public(channel, ctx)

    @router.delete(
        "/{channel_id}",
        status_code=204,
        summary="Remove a channel",
        description="Soft delete: its orders and logs stay; it no longer syncs or lists.",
        responses=problem_responses(404),
    )
    def delete_channel(session: SessionDep, _: WriterPrincipal, channel_id: PathId) -> None:
        channels.delete_channel(session, channel_id)

    @router.get(
        "/{channel_id}/logs",
        summary="A channel's log",
        description="What happened on the channel (one entry per sync job run, and per "
        "listing operation), newest first; filter on `level`, `operation` and the start time "
        "(`since` inclusive, `until` exclusive). A removed channel's log stays readable.",
        responses=problem_responses(404),
    )
    def channel_logs(
        session: SessionDep, channel_id: PathId, query: Annotated[ChannelLogQuery, Query()]
    ) -> ChannelLogsPublic:
        page = sync_logs.channel_logs(
            session, channel_id, query.filters(), page=query.page, per_page=query.per_page
        )
        return ChannelLogsPublic(
            items=[ChannelLogPublic.model_validate(row) for row in page.items],
            total=page.total,
            page=page.page,
            per_page=page.per_page,
        )

    @router.post(
        "/{channel_id}/sync",
        status_code=202,
        summary="Sync a channel now",
        description="Queues a job of the kind asked for (`inventory`, `prices`, `listings`, "
        "`orders`, `reconcile`; `all`: one per kind that has a handler) and answers the job "
        "ids; follow them at `/api/ecom/sync/jobs/{id}`. "
        "404 for an unknown channel; 409 if it was removed or needs reconnecting, or no "
        "handler runs that kind yet.",
        responses=problem_responses(404, 409),
    )
    def sync_channel(
        session: SessionDep,
        queue: JobQueueDep,
        _: WriterPrincipal,
        channel_id: PathId,
        body: SyncRequest,
    ) -> SyncQueuedPublic:
        queued = on_demand.request_channel_sync(
            session, queue, queue.handlers, channel_id, body.kind
        )
        return SyncQueuedPublic(job_ids=[job.id for job in queued])

    @calling.post(
        "/{channel_id}/test",
        summary="Test a channel's connection",
        description="Calls the marketplace with the stored tokens; 409 with the reason if "
        "it refuses. The outcome is recorded on the channel.",
        responses=problem_responses(404, 409),
    )
    def check_channel(
        factory: SessionFactoryDep,
        ctx: ChannelContextDep,
        queue: JobQueueDep,
        _: DetachedPrincipal,
        channel_id: PathId,
    ) -> ConnectionTestPublic:
        with transaction(factory) as session:
            link = channels.connected_link(session, ctx, channel_id)
        check = channels.check_link(ctx, link)
        with transaction(factory) as session:
            channels.record_check(session, ctx, channel_id, check)
            if check.error is None:
                jobs.wake_held_jobs(session, queue, channel_id)
        info = channels.check_outcome(check)
        return ConnectionTestPublic(
            ok=True, account_id=info.account_id, account_name=info.account_name,
            currency=info.currency,
        )  # fmt: skip

    @router.get(
        "/{channel_id}/oauth/start",
        summary="Start connecting by OAuth",
        description="The marketplace page to send the shop owner to; it comes back to "
        "`/api/ecom/oauth/{provider}/callback`. Needs a key that may write.",
        responses=problem_responses(404, 409),
    )
    def start_oauth(
        session: SessionDep, ctx: ChannelContextDep, _: WriterPrincipal, channel_id: PathId
    ) -> OAuthStartPublic:
        start = channels.start_oauth(session, ctx, channel_id)
        return OAuthStartPublic(authorization_url=start.url)

    ecom = APIRouter(prefix="/api/ecom")
    ecom.include_router(
        router,
        dependencies=[Depends(authorize_by_method)],
        responses=problem_responses(401, 403, 422),
    )
    ecom.include_router(calling, responses=problem_responses(401, 403, 422))
    return ecom


def oauth_callback_router() -> APIRouter:
    router = APIRouter(prefix="/api/ecom/oauth", tags=["channels"])

    @router.get(
        "/{provider}/callback",
        summary="OAuth callback",
        description="Where the marketplace sends the shop owner back. Needs no API key: "
        "the `state` it carries was sealed by this server for one channel and expires "
        "after 15 minutes. Stores the tokens, queues a `listings` job publishing every "
        "active listing to the channel, and answers the connected channel.",
        responses=problem_responses(404, 409, 422),
        openapi_extra={"x-authenticated-by": "oauth-state"},
    )
    def oauth_callback(
        factory: SessionFactoryDep,
        ctx: ChannelContextDep,
        queue: JobQueueDep,
        provider: str,
        request: Request,
    ) -> ChannelPublic:
        query = dict(request.query_params)
        channel_id = channels.oauth_channel_id(ctx, provider, query)
        with transaction(factory) as session:
            link = channels.read_link(ctx, channels.get_channel(session, channel_id))
        tokens = channels.exchange_code(ctx, link, query)
        with transaction(factory) as session:
            channel = channels.connect_tokens(session, ctx, channel_id, tokens)
            queue_initial_sync(session, queue, channel)
            jobs.wake_held_jobs(session, queue, channel.id)
            return channel_public(channel, ctx)

    return router
