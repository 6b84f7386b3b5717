"""The ``tokens`` job: a channel's access token refreshed before it runs out, over HTTP.

Against the eBay sandbox (user tokens live two hours) and the Shopify sandbox (offline
tokens never expire). The stored tokens are timed by the real clock, as the sandbox's
is here, so "expires in eight minutes" is written into the stored tokens rather than
waited for.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.base import TokenSet
from stockbridge.channels.registry import ChannelConnection
from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.commerce import channels
from stockbridge.commerce.channels import ChannelLink
from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    ChannelLogStatus,
    ChannelOperation,
    ChannelStatus,
    EcomChannelLog,
    JobKind,
    JobStatus,
    SyncJob,
)
from stockbridge.db.types import utcnow
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from stockbridge.sync import jobs
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.retry import RetryPolicy
from stockbridge.sync.runner import run_job
from stockbridge.sync.schedules import schedule_channel_jobs
from tests.channels.ebay.conftest import add_fault, calls, shop
from tests.channels.shopify.conftest import contract_mode, sandbox
from tests.channels.shopify.helpers import TOKENS, RunningSandbox
from tests.sandbox.ebay.conftest import EbayHarness, ebay, start_sandbox
from tests.sync.conftest import wait_for
from tests.sync.shops import NoWaker, Shop, channel_context, open_shop
from tests.sync.test_faults import channel_status, lamp_shop, stored_tokens
from tests.sync.test_push_ebay import clock, ebay_link, quantities

__all__ = ["clock", "contract_mode", "ebay", "sandbox", "shop", "start_sandbox"]

TOKENS_ONLY = {JobKind.TOKENS}
REFRESH = "getToken:refresh_token"
FAST_RETRIES = RetryPolicy(max_attempts=5, base_seconds=0.1, cap_seconds=0.2)
SHOPIFY_APP = {"client_id": "app-id", "client_secret": "app-secret"}


def schedule(shop: Shop, *, now: datetime | None = None) -> list[tuple[JobKind, int | None]]:
    """Run the scheduler for token refreshes only; the (kind, channel) of what it queued."""
    with transaction(shop.sessions) as session:
        queued = schedule_channel_jobs(
            session, NoWaker(), kinds=TOKENS_ONLY, now=now, vault=shop.ctx.vault
        )
        return [(job.kind, job.channel_id) for job in queued]


def expiring_in(shop: Shop, minutes: float) -> TokenSet:
    """Make the stored access token run out ``minutes`` from now (as if issued earlier)."""
    with transaction(shop.sessions) as session:
        channel = channels.get_channel(session, shop.channel_id)
        tokens = channels.read_link(shop.ctx, channel).tokens
        assert tokens is not None
        soon = replace(tokens, access_expires_at=utcnow() + timedelta(minutes=minutes))
        channels.store_tokens(shop.ctx, channel, soon)
        return soon


def tokens_job(shop: Shop) -> SyncJob:
    with shop.sessions() as session:
        job = session.scalars(
            select(SyncJob).where(SyncJob.kind == JobKind.TOKENS).order_by(SyncJob.id.desc())
        ).first()
        assert job is not None
        session.expunge(job)
        return job


def run_tokens_job(shop: Shop) -> SyncJob:
    """Run the channel's newest tokens job in this thread; its row afterwards."""
    job_id = tokens_job(shop).id
    run_job(shop.sessions, default_handlers(shop.ctx), job_id, waker=NoWaker(),
            policy=FAST_RETRIES)  # fmt: skip
    return tokens_job(shop)


def test_a_token_expiring_within_the_margin_is_refreshed_stored_and_used(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamp_shop(sessions, shop, 1)
    old = expiring_in(lamps, minutes=8)

    assert schedule(lamps) == [(JobKind.TOKENS, lamps.channel_id)]
    assert schedule(lamps) == []  # queued: not twice
    done = run_tokens_job(lamps)

    assert (done.status, done.counts) == (JobStatus.SUCCEEDED, {"refreshed": 1}), done.error
    assert calls(shop)[REFRESH] == 1
    new = stored_tokens(lamps)
    assert new.access_token != old.access_token
    assert new.refresh_token == old.refresh_token  # eBay's refresh answers no new one
    assert new.access_expires_at > utcnow() + timedelta(hours=1, minutes=55)
    assert schedule(lamps) == []  # two hours to go: not due
    with sessions() as session:
        [log] = session.scalars(select(EcomChannelLog).where(EcomChannelLog.job_id == done.id))
        assert (log.operation, log.status) == (
            ChannelOperation.TOKEN_REFRESH,
            ChannelLogStatus.SUCCESS,
        )

    # The next push calls eBay with the stored token as it is: no second refresh.
    lamps.count({"LAMP-0": 3})
    assert lamps.run_push().status is JobStatus.SUCCEEDED
    assert calls(shop)[REFRESH] == 1
    assert quantities(shop) == {"LAMP-0": 3}


def test_a_job_is_queued_only_once_the_token_is_within_the_channels_margin(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    default = lamp_shop(sessions, shop, 1)
    patient = open_shop(sessions, default.ctx, ebay_link(shop, ["DESK-0"], 5),
                        {"DESK-0": 5}, currency="GBP",
                        sync={"token_refresh_margin_minutes": 30})  # fmt: skip
    expires = {lamps.channel_id: stored_tokens(lamps).access_expires_at for lamps in (default, patient)}  # fmt: skip  # noqa: E501
    first = min(expires.values())

    assert schedule(default) == []  # just connected: two hours to go
    assert schedule(default, now=first - timedelta(minutes=31)) == []
    assert schedule(default, now=first - timedelta(minutes=25)) == [
        (JobKind.TOKENS, patient.channel_id)
    ]
    assert schedule(default, now=expires[default.channel_id] - timedelta(minutes=10)) == [
        (JobKind.TOKENS, default.channel_id)
    ]
    assert calls(shop).get(REFRESH, 0) == 0  # deciding calls nobody


def test_a_revoked_grant_makes_the_channel_auth_required_and_stops_its_refreshes(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamp_shop(sessions, shop, 1)
    expiring_in(lamps, minutes=5)
    assert shop.http.post("/_sandbox/oauth/revoke").status_code == 200

    assert schedule(lamps) == [(JobKind.TOKENS, lamps.channel_id)]
    held = run_tokens_job(lamps)

    assert (held.status, held.attempts) == (JobStatus.QUEUED, 1)
    assert "invalid_grant" in (held.error or "")
    assert channel_status(lamps) is ChannelStatus.AUTH_REQUIRED
    assert calls(shop)[REFRESH] == 1
    assert schedule(lamps, now=utcnow() + timedelta(hours=3)) == []  # held, and not active
    with sessions() as session:
        [log] = session.scalars(select(EcomChannelLog).where(EcomChannelLog.job_id == held.id))
        assert log.status is ChannelLogStatus.AUTH_REQUIRED


def test_a_temporary_failure_of_the_token_endpoint_is_retried(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamp_shop(sessions, shop, 1)
    old = expiring_in(lamps, minutes=5)
    add_fault(shop, path_pattern="^/identity/v1/oauth2/token$", status=503, times=1)
    assert schedule(lamps) == [(JobKind.TOKENS, lamps.channel_id)]

    retrying = run_tokens_job(lamps)
    assert (retrying.status, retrying.attempts) == (JobStatus.QUEUED, 1)
    assert retrying.not_before is not None
    assert channel_status(lamps) is ChannelStatus.ACTIVE
    wait_for(lambda: utcnow() >= retrying.not_before, timeout=5)
    done = run_tokens_job(lamps)

    assert (done.status, done.attempts) == (JobStatus.SUCCEEDED, 2), done.error
    assert stored_tokens(lamps).access_token != old.access_token


def test_an_owner_who_reauthorises_during_a_refresh_keeps_the_new_grant(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamp_shop(sessions, shop, 1)
    old = expiring_in(lamps, minutes=5)
    # The refresh is held at eBay while the owner goes through OAuth again.
    add_fault(shop, path_pattern="^/identity/v1/oauth2/token$", latency_ms=3000, times=1)
    assert schedule(lamps) == [(JobKind.TOKENS, lamps.channel_id)]
    granted = TokenSet(access_token="v^1.1#new-grant", refresh_token="v^1.1#new-refresh",
                       access_expires_at=utcnow() + timedelta(hours=2))  # fmt: skip

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_tokens_job, lamps)
        wait_for(lambda: shop.http.get("/_sandbox/faults").json()[0]["hits"] == 1, timeout=30)
        with transaction(sessions) as session:
            channels.connect_tokens(session, lamps.ctx, lamps.channel_id, granted)
        done = running.result(timeout=60)

    assert (done.status, done.counts) == (JobStatus.SUCCEEDED, {"refreshed": 1}), done.error
    assert calls(shop)[REFRESH] == 1  # the old grant was refreshed, and that was dropped
    kept = stored_tokens(lamps)
    assert (kept.access_token, kept.refresh_token) == (granted.access_token, granted.refresh_token)
    assert kept.refresh_token != old.refresh_token
    assert channel_status(lamps) is ChannelStatus.ACTIVE


# --- Shopify: offline tokens never expire ---------------------------------------------


@pytest.fixture
def sandbox_config(contract_mode: Path | None) -> ShopifySandboxConfig:
    return ShopifySandboxConfig(access_tokens=TOKENS, **SHOPIFY_APP)


def installed_tokens(sandbox: RunningSandbox) -> TokenSet:
    """The owner installs the app: the OAuth flow on the sandbox, end to end."""
    app = ShopifyAdapter(
        ChannelConnection(channel_id=None, base_url=sandbox.url, credentials=SHOPIFY_APP)
    )
    redirect = "https://stock.example/oauth/shopify"
    start = app.start_oauth(redirect, "nonce")
    consent = sandbox.control.get(start.url, follow_redirects=False)
    assert consent.status_code == 302, consent.text
    query = dict(parse_qsl(urlsplit(consent.headers["location"]).query))
    return app.exchange_code(query, redirect)


def test_a_shopify_channel_never_gets_a_tokens_job(
    sessions: sessionmaker[Session], sandbox: RunningSandbox
) -> None:
    tokens = installed_tokens(sandbox)
    assert tokens.access_expires_at is None
    link = ChannelLink(None, "shopify", sandbox.url, SHOPIFY_APP, tokens)
    store = open_shop(sessions, channel_context(), link, {"SKU-1": 3}, currency="GBP")

    assert schedule(store) == []
    assert schedule(store, now=utcnow() + timedelta(days=400)) == []
    with sessions() as session:
        assert jobs.list_jobs(session, kind=JobKind.TOKENS, page=1, per_page=10)[1] == 0


def test_a_refresh_that_ended_without_a_new_token_is_tried_again_once_per_margin(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamp_shop(sessions, shop, 1)
    expiring_in(lamps, minutes=5)
    assert schedule(lamps) == [(JobKind.TOKENS, lamps.channel_id)]
    with transaction(sessions) as session:  # it failed, say, or was cancelled
        jobs.cancel_job(session, tokens_job(lamps).id)

    assert schedule(lamps) == []
    assert schedule(lamps, now=utcnow() + timedelta(minutes=9)) == []
    assert schedule(lamps, now=utcnow() + timedelta(minutes=10, seconds=1)) == [
        (JobKind.TOKENS, lamps.channel_id)
    ]
