"""Conflicts: what a marketplace showed otherwise than stockbridge offers, and their resolution.

The reconcile job (``sync/reconcile.py``) records every difference it finds as an
:class:`~stockbridge.db.models.EcomConflict` with what the channel's policy did; an open
one (``manual``) is listed by the API and resolved here by keeping one side:

- ``store``: the publication is marked dirty (a price also forgets the last price
  pushed), so the push that follows the commit sets stockbridge's value again;
- ``marketplace``: the marketplace's value the conflict recorded last (each reconcile
  that sees the difference again updates it; ``detected_at`` says when) is kept: a price
  becomes the publication's override price (``overrides["price_cents"]``), so later
  pushes keep it; a quantity stays on the marketplace, and reconciles leave it while both
  values are the ones resolved (the store's next stock change is pushed as usual).

An open conflict does not outlive its difference: a reconcile that finds the field as
stockbridge offers it closes it as ``gone`` (:func:`close_agreeing`), and one that decides
it by a policy no longer ``manual`` turns it into that finding (``repaired``, ``kept``), so
no later resolution applies a value the marketplace no longer shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stockbridge.db.models import (
    ConflictField,
    ConflictSide,
    ConflictSource,
    ConflictStatus,
    EcomConflict,
    EcomListingChannel,
)
from stockbridge.db.types import utcnow
from stockbridge.errors import Conflict, NotFound
from stockbridge.pos import outbox
from stockbridge.pos.catalog import Page, paginate
from stockbridge.statuses import ConflictPolicy


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference a reconcile found, and what its policy made of it."""

    publication_id: int
    listing_id: int
    sku: str
    field: ConflictField
    store_value: int
    marketplace_value: int | None
    policy: ConflictPolicy
    status: ConflictStatus


def latest_quantity_decisions(
    session: Session, publication_ids: Iterable[int]
) -> dict[int, tuple[int, int | None]]:
    """Publication -> (store, marketplace) quantities last left on the marketplace on
    purpose (kept, or resolved by keeping the marketplace's), where that is the latest
    quantity record of the publication."""
    ids = sorted(set(publication_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(EcomConflict)
        .where(EcomConflict.publication_id.in_(ids), EcomConflict.field == ConflictField.QUANTITY)
        .order_by(EcomConflict.publication_id, EcomConflict.id.desc())
    )
    latest: dict[int, EcomConflict] = {}
    for row in rows:
        latest.setdefault(row.publication_id, row)
    return {
        publication_id: (row.store_value, row.marketplace_value)
        for publication_id, row in latest.items()
        if row.status is ConflictStatus.KEPT or row.resolution is ConflictSide.MARKETPLACE
    }


def record_findings(
    session: Session, channel_id: int, findings: Sequence[Finding], source: ConflictSource
) -> None:
    """A row per finding; the publication's open row of its field takes the finding
    instead (an open one is seen again; a repaired or kept one closes it). A kept price
    becomes the publication's override price."""
    now = utcnow()
    for finding in findings:
        row = _open_conflict(session, finding.publication_id, finding.field)
        if row is not None and finding.status is not ConflictStatus.OPEN:
            row.resolved_at = now
        if row is None:
            row = EcomConflict(
                channel_id=channel_id,
                publication_id=finding.publication_id,
                listing_id=finding.listing_id,
                sku=finding.sku,
                field=finding.field,
            )
            session.add(row)
        row.store_value = finding.store_value
        row.marketplace_value = finding.marketplace_value
        row.policy = finding.policy
        row.status = finding.status
        row.source = source
        row.detected_at = now
        if finding.status is ConflictStatus.KEPT and finding.field is ConflictField.PRICE:
            _keep_marketplace_price(session, finding.publication_id, finding.marketplace_value)
    session.flush()


def close_agreeing(session: Session, agreeing: Iterable[tuple[int, ConflictField]]) -> int:
    """Close as ``gone`` the open conflicts of these (publication, field) pairs, whose
    field the marketplace now shows as stockbridge offers it; how many."""
    by_field: dict[ConflictField, set[int]] = {}
    for publication_id, field in agreeing:
        by_field.setdefault(field, set()).add(publication_id)
    closed = 0
    for field, ids in by_field.items():
        result = session.execute(
            update(EcomConflict)
            .where(
                EcomConflict.status == ConflictStatus.OPEN,
                EcomConflict.field == field,
                EcomConflict.publication_id.in_(sorted(ids)),
            )
            .values(status=ConflictStatus.GONE, resolved_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        closed += int(getattr(result, "rowcount", 0) or 0)
    return closed


def _open_conflict(
    session: Session, publication_id: int, field: ConflictField
) -> EcomConflict | None:
    return session.scalar(
        select(EcomConflict).where(
            EcomConflict.publication_id == publication_id,
            EcomConflict.field == field,
            EcomConflict.status == ConflictStatus.OPEN,
        )
    )


def _keep_marketplace_price(session: Session, publication_id: int, cents: int | None) -> None:
    publication = session.get(EcomListingChannel, publication_id)
    if publication is None or cents is None:
        return
    publication.overrides = {**(publication.overrides or {}), "price_cents": cents}
    publication.last_pushed_price_cents = cents


def search_conflicts(
    session: Session,
    *,
    channel_id: int | None,
    status: ConflictStatus | None,
    field: ConflictField | None,
    page: int,
    per_page: int,
) -> Page[EcomConflict]:
    query = select(EcomConflict).order_by(EcomConflict.id.desc())
    if channel_id is not None:
        query = query.where(EcomConflict.channel_id == channel_id)
    if status is not None:
        query = query.where(EcomConflict.status == status)
    if field is not None:
        query = query.where(EcomConflict.field == field)
    return paginate(session, query, page=page, per_page=per_page)


def resolve_conflict(
    session: Session, *, listing_id: int, channel_id: int, field: ConflictField, keep: ConflictSide
) -> EcomConflict:
    """Decide the open conflict of the listing's publication on the channel (see the
    module docstring: ``marketplace`` keeps the value recorded last, the conflict's
    ``marketplace_value``); 404 without the publication, 409 without an open conflict."""
    publication = session.scalar(
        select(EcomListingChannel).where(
            EcomListingChannel.listing_id == listing_id,
            EcomListingChannel.channel_id == channel_id,
        )
    )
    if publication is None:
        raise NotFound(f"listing {listing_id} is not on channel {channel_id}")
    conflict = _open_conflict(session, publication.id, field)
    if conflict is None:
        raise Conflict(
            f"listing {listing_id} has no open {field.value} conflict on channel {channel_id}"
        )
    if keep is ConflictSide.STORE:
        if field is ConflictField.PRICE:
            publication.last_pushed_price_cents = None
        session.flush()
        _mark_dirty(session, publication.id, channel_id)
    elif field is ConflictField.PRICE:
        _keep_marketplace_price(session, publication.id, conflict.marketplace_value)
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = keep
    conflict.resolved_at = utcnow()
    session.flush()
    return conflict


def _mark_dirty(session: Session, publication_id: int, channel_id: int) -> None:
    """Bump the publication's dirty marker; the push is queued after commit."""
    now = utcnow()
    session.execute(
        update(EcomListingChannel)
        .where(EcomListingChannel.id == publication_id)
        .values(
            dirty_seq=EcomListingChannel.dirty_seq + 1,
            dirty_at=now,
            updated_at=now,
        )
    )
    outbox.note_dirty_channels(session, [channel_id])
