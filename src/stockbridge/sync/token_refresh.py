"""The ``tokens`` job: refresh a channel's access token before it runs out, and store it.

Queued by the scheduler (``sync/schedules.py``) for a channel whose stored access token
expires within its ``token_refresh_margin_minutes``, so a channel with no other work
(no sale, no poll due) still holds a usable token, and the job that next calls the
marketplace does not spend its first call on a refresh. A provider whose tokens do not
expire (Shopify's offline and custom-app tokens) never gets one.

The job refreshes whatever it finds: it was due when it was queued, and a refresh more
than needed costs one call. A refused grant (``invalid_grant``: revoked, or the refresh
token ran out) is an ``AUTH_FAILED`` error, which the runner turns into an
``auth_required`` channel like any other job's; a temporary error is retried.
"""

from __future__ import annotations

from stockbridge.channels.base import TokenSet
from stockbridge.commerce import channels
from stockbridge.commerce.channels import ChannelContext
from stockbridge.db.engine import transaction
from stockbridge.errors import InvalidInput
from stockbridge.sync.context import JobRun

REFRESHED = "refreshed"


class TokenRefresh:
    """The ``tokens`` handler, bound to what it needs to reach a channel's marketplace."""

    def __init__(self, ctx: ChannelContext) -> None:
        self._ctx = ctx

    def __call__(self, run: JobRun) -> dict[str, int]:
        if run.channel_id is None:
            raise InvalidInput("a tokens job needs a channel")
        with transaction(run.sessions) as session:
            link = channels.read_link(self._ctx, channels.get_channel(session, run.channel_id))
        refreshed: list[TokenSet] = []
        channels.link_adapter(self._ctx, link, refreshed).refresh()
        run.count(REFRESHED, len(refreshed[-1:]))
        with transaction(run.sessions) as session:
            channels.keep_refreshed(
                session, self._ctx, run.channel_id, refreshed, started=link.tokens
            )
        return run.counts
