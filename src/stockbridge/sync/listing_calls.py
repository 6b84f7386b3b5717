"""The marketplace side of a ``listings`` job: one batch of publications, through an adapter.

Given what each publication wants (:class:`ListingWork`), it looks up SKUs the channel
has never recorded (items listed before stockbridge are adopted, not listed twice),
upserts the listings that should be live in one call, publishes those not live yet,
and ends those that should not be live. It answers one :class:`ListingOutcome` per
publication and touches no database.

A refusal (``VALIDATION`` or ``NOT_FOUND``) is the outcome of the listing it names, so
one bad listing never blocks the batch; any other ``ChannelError`` (auth, rate limit,
outage) is raised, and the job fails with it: upserts are keyed by SKU, so running the
job again repeats nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from stockbridge.channels.base import ChannelAdapter, ListingPayload, ListingRef
from stockbridge.errors import ChannelError, ChannelErrorCategory

REFUSALS = (ChannelErrorCategory.VALIDATION, ChannelErrorCategory.NOT_FOUND)


class ListingAction(StrEnum):
    PUBLISHED = "published"  # now live, and was not before
    UPDATED = "updated"  # was live (on stockbridge's record or found so), content re-sent
    ENDED = "ended"
    FAILED = "failed"


@dataclass(frozen=True)
class ListingWork:
    """One publication as the job found it."""

    publication_id: int
    listing_id: int
    #: ``dirty_seq`` when read: a change made during the calls leaves the row dirty.
    seq: int
    payload: ListingPayload
    #: Should be on the marketplace (publication not unpublished, listing active).
    live: bool
    was_published: bool
    #: The channel already recorded this SKU's marketplace ids.
    known: bool

    @property
    def sku(self) -> str:
        return self.payload.sku


@dataclass(frozen=True)
class ListingOutcome:
    action: ListingAction
    ref: ListingRef | None = None
    error: str | None = None
    #: Found on the marketplace before stockbridge created it.
    adopted: bool = False


def sync_batch(adapter: ChannelAdapter, works: Sequence[ListingWork]) -> dict[int, ListingOutcome]:
    """Outcomes by publication id (network: call with no transaction open)."""
    outcomes = _make_live(adapter, [work for work in works if work.live])
    for work in works:
        if not work.live:
            outcomes[work.publication_id] = _end(adapter, work)
    return outcomes


def _refusal(error: ChannelError) -> bool:
    return error.category in REFUSALS


def _make_live(adapter: ChannelAdapter, works: Sequence[ListingWork]) -> dict[int, ListingOutcome]:
    if not works:
        return {}
    unknown = [work.sku for work in works if not work.known]
    found = adapter.find_listings(unknown) if unknown else {}
    refs, rejected = _upsert(adapter, [work.payload for work in works])
    outcomes: dict[int, ListingOutcome] = {}
    for work in works:
        adopted = work.sku in found
        ref = refs.get(work.sku)
        if work.sku in rejected or ref is None:
            why = rejected.get(work.sku, "the marketplace answered no listing for this SKU")
            failed = ListingOutcome(ListingAction.FAILED, found.get(work.sku), why, adopted)
            outcomes[work.publication_id] = failed
            continue
        if not ref.published:
            try:
                ref = adapter.publish(work.sku)
            except ChannelError as error:
                if not _refusal(error):
                    raise
                failed = ListingOutcome(ListingAction.FAILED, ref, error.detail, adopted)
                outcomes[work.publication_id] = failed
                continue
        before = found.get(work.sku)
        live_before = work.was_published or (before is not None and before.published)
        action = ListingAction.UPDATED if live_before else ListingAction.PUBLISHED
        outcomes[work.publication_id] = ListingOutcome(action, ref, adopted=adopted)
    return outcomes


def _upsert(
    adapter: ChannelAdapter, payloads: Sequence[ListingPayload]
) -> tuple[dict[str, ListingRef], dict[str, str]]:
    """Refs of the SKUs stored, and the reason for each refused one."""
    try:
        return {ref.sku: ref for ref in adapter.upsert_listings(payloads)}, {}
    except ChannelError as error:
        if not _refusal(error):
            raise
        rejected: Mapping[str, str] = error.extra.get("rejected") or {}
        if not rejected:
            if len(payloads) == 1:
                return {}, {payloads[0].sku: error.detail}
            # The refusal names no SKU: find the bad ones by sending each alone.
            return _upsert_each(adapter, payloads)
        # The adapter stored the others; their refs are looked up (from its cache).
        stored = [payload.sku for payload in payloads if payload.sku not in rejected]
        return dict(adapter.find_listings(stored)) if stored else {}, dict(rejected)


def _upsert_each(
    adapter: ChannelAdapter, payloads: Sequence[ListingPayload]
) -> tuple[dict[str, ListingRef], dict[str, str]]:
    refs: dict[str, ListingRef] = {}
    rejected: dict[str, str] = {}
    for payload in payloads:
        stored, refused = _upsert(adapter, [payload])
        refs.update(stored)
        rejected.update(refused)
    return refs, rejected


def _end(adapter: ChannelAdapter, work: ListingWork) -> ListingOutcome:
    # Asked even for a SKU never recorded: an earlier job may have listed it and died
    # before recording it.
    try:
        adapter.unpublish(work.sku)
    except ChannelError as error:
        if error.category is ChannelErrorCategory.NOT_FOUND:
            return ListingOutcome(ListingAction.ENDED)  # gone already
        if error.category is not ChannelErrorCategory.VALIDATION:
            raise
        return ListingOutcome(ListingAction.FAILED, error=error.detail)
    return ListingOutcome(ListingAction.ENDED)
