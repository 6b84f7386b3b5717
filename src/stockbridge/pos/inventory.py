"""The only code that changes stock quantities.

Every operation here, inside the caller's transaction:

1. locks the versions it touches in primary-key order (``SELECT ... FOR UPDATE`` on
   PostgreSQL; SQLite transactions begin IMMEDIATE, which serialises writers),
2. checks the whole operation against the locked quantities and raises
   ``InsufficientStock`` / ``InvalidStockOperation`` *before* writing anything, so a
   failed operation leaves no trace,
3. changes quantities in SQL (``qty = qty + :delta``), writes one ledger row per version
   touched, and marks the product code's channel publications dirty.

The ``CHECK (0 <= qty_reserved <= qty_on_hand)`` constraint backs these checks up.
The caller owns the transaction: nothing here commits.

On PostgreSQL an operation on one version whose check is exactly that constraint
(reserve, release, ship, write off, receive, restock) does all three steps in one
statement (``stock_sql.MOVE_ONE``): its ``UPDATE`` takes the row lock and applies only if
the result keeps the constraint. Only when it changes nothing does the operation take the
steps above one by one, so that a refusal reports the figures read under the lock.

Allocation rule (``allocate``): among the versions of the product code in the requested
condition, in the branches the channel sells from, take the first branch in preference
order whose available quantity covers the whole line; if none does, the branch with the
most available (ties: preference order). With ``allow_partial`` that branch reserves what
it has; otherwise ``InsufficientStock`` reports the best single-branch availability.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from stockbridge.db.models import (
    Branch,
    Condition,
    LedgerReason,
    ProductCode,
    ProductCodeVersion,
)
from stockbridge.db.types import utcnow
from stockbridge.db.upsert import insert_unless_present
from stockbridge.errors import (
    InsufficientStock,
    InvalidInput,
    InvalidStockOperation,
    NotFound,
)
from stockbridge.pos import stock_sql
from stockbridge.pos.outbox import mark_listings_dirty, note_dirty_channels


@dataclass(frozen=True)
class Reference:
    """What a movement belongs to (an order item, a transfer, a count, ...)."""

    type: str
    id: str


@dataclass(frozen=True)
class Allocation:
    version_id: int
    branch_id: int
    quantity: int
    requested: int

    @property
    def complete(self) -> bool:
        return self.quantity == self.requested


@dataclass(frozen=True)
class SaleLine:
    version_id: int
    quantity: int


def _positive(quantity: int, what: str = "quantity") -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput(f"{what} must be a positive whole number, got {quantity!r}")


def _lock(session: Session, version_ids: Sequence[int]) -> dict[int, ProductCodeVersion]:
    ids = sorted(set(version_ids))
    rows = session.scalars(stock_sql.LOCK_VERSIONS, {"ids": ids}).all()
    found = {row.id: row for row in rows}
    missing = [version_id for version_id in ids if version_id not in found]
    if missing:
        raise NotFound(f"product code version {missing[0]} does not exist", version_id=missing[0])
    return found


def _lock_one(session: Session, version_id: int) -> ProductCodeVersion:
    return _lock(session, [version_id])[version_id]


@dataclass(frozen=True)
class _Movement:
    """One change of one version's quantities, and what its ledger row says about it."""

    on_hand: int
    reserved: int
    reason: LedgerReason
    actor: str
    reference: Reference | None = None
    note: str | None = None

    def parameters(self, version_id: int) -> dict[str, object]:
        """Parameters of ``stock_sql.MOVE_ONE``; the ledger's, with ``version_id`` and ``now``."""
        return {
            "version_id": version_id,
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            **self.described(),
            "now": utcnow(),
        }

    def described(self) -> dict[str, object]:
        """What the ledger says of the movement besides its deltas."""
        return {
            "reason": self.reason,
            "reference_type": self.reference.type if self.reference else None,
            "reference_id": self.reference.id if self.reference else None,
            "note": self.note,
            "actor": self.actor,
        }


def _move(session: Session, version: ProductCodeVersion, movement: _Movement) -> None:
    """Apply one checked movement to a locked version and write its ledger row."""
    values = movement.parameters(version.id)
    now = cast(datetime, values["now"])
    new_on_hand, new_reserved = session.execute(stock_sql.APPLY_MOVEMENT, values).one()
    set_committed_value(version, "qty_on_hand", new_on_hand)
    set_committed_value(version, "qty_reserved", new_reserved)
    set_committed_value(version, "updated_at", now)
    session.execute(stock_sql.WRITE_LEDGER, _ledger_row(version.id, movement, now))


def _ledger_row(version_id: int, movement: _Movement, now: datetime) -> dict[str, object]:
    """``stock_sql.WRITE_LEDGER`` parameters of one movement of one version."""
    return {
        "version_id": version_id,
        "delta_on_hand": movement.on_hand,
        "delta_reserved": movement.reserved,
        **movement.described(),
        "created_at": now,
    }


def _move_one(
    session: Session,
    version_id: int,
    movement: _Movement,
    check: Callable[[ProductCodeVersion], None],
) -> ProductCodeVersion:
    """Lock, check and move one version, write its ledger row and mark its listings dirty.

    ``check`` must pass exactly when the movement keeps ``0 <= reserved <= on_hand``: on
    PostgreSQL the movement is first tried as one guarded statement
    (``stock_sql.MOVE_ONE``); only when that changes nothing (a missing version, too little
    stock) does the locking path run, to raise the error ``check`` or ``_lock`` gives.
    """
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(stock_sql.MOVE_ONE, movement.parameters(version_id)).first()
        if row is not None:
            note_dirty_channels(session, row[1] or ())
            return cast(ProductCodeVersion, row[0])
    version = _lock_one(session, version_id)
    check(version)
    _move(session, version, movement)
    _finish(session, [version])
    return version


def _finish(session: Session, versions: Sequence[ProductCodeVersion]) -> None:
    mark_listings_dirty(session, (version.product_code_id for version in versions))


def _require_available(version: ProductCodeVersion, quantity: int, doing: str) -> None:
    if version.qty_available < quantity:
        raise InsufficientStock(
            f"cannot {doing} {quantity} of version {version.id}: "
            f"only {version.qty_available} available",
            available=version.qty_available,
            requested=quantity,
            version_id=version.id,
        )


def _require_reserved(version: ProductCodeVersion, quantity: int, doing: str) -> None:
    if version.qty_reserved < quantity:
        raise InvalidStockOperation(
            f"cannot {doing} {quantity} of version {version.id}: "
            f"only {version.qty_reserved} reserved",
            reserved=version.qty_reserved,
            requested=quantity,
            version_id=version.id,
        )


def ensure_version(
    session: Session, *, product_code_id: int, branch_id: int, condition: Condition
) -> int:
    """Id of the version for (product code, branch, condition), created empty if missing.

    Safe under concurrency: the insert does nothing if another transaction made it first.
    """
    if session.get(ProductCode, product_code_id) is None:
        raise NotFound(f"product code {product_code_id} does not exist")
    if session.get(Branch, branch_id) is None:
        raise NotFound(f"branch {branch_id} does not exist")
    now = utcnow()
    values = {
        "product_code_id": product_code_id,
        "branch_id": branch_id,
        "condition": Condition(condition).value,
        "qty_on_hand": 0,
        "qty_reserved": 0,
        "created_at": now,
        "updated_at": now,
    }
    session.execute(
        insert_unless_present(
            session,
            ProductCodeVersion,
            values,
            unique_on=("product_code_id", "branch_id", "condition"),
        )
    )
    return session.scalars(
        select(ProductCodeVersion.id).where(
            ProductCodeVersion.product_code_id == product_code_id,
            ProductCodeVersion.branch_id == branch_id,
            ProductCodeVersion.condition == condition,
        )
    ).one()


def receive(
    session: Session,
    version_id: int,
    quantity: int,
    *,
    actor: str,
    reference: Reference | None = None,
    note: str | None = None,
) -> ProductCodeVersion:
    """Goods arrive: on hand rises."""
    _positive(quantity)
    return _add_on_hand(session, version_id, quantity, LedgerReason.RECEIVE, actor, reference, note)


def _add_on_hand(
    session: Session,
    version_id: int,
    quantity: int,
    reason: LedgerReason,
    actor: str,
    reference: Reference | None,
    note: str | None,
) -> ProductCodeVersion:
    movement = _Movement(quantity, 0, reason, actor, reference, note)
    return _move_one(session, version_id, movement, check=lambda _version: None)


def receive_into(
    session: Session,
    *,
    product_code_id: int,
    branch_id: int,
    condition: Condition,
    quantity: int,
    actor: str,
    note: str | None = None,
) -> ProductCodeVersion:
    """Goods arrive for a product, branch and condition; the version is made if it is new."""
    _positive(quantity)
    version_id = ensure_version(
        session, product_code_id=product_code_id, branch_id=branch_id, condition=condition
    )
    return receive(session, version_id, quantity, actor=actor, note=note)


def adjust_to_count(
    session: Session, version_id: int, counted: int, *, reason: str, actor: str
) -> ProductCodeVersion:
    """A stock count: on hand becomes ``counted``; the difference is ledgered with the reason."""
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise InvalidInput(f"counted quantity must be a whole number >= 0, got {counted!r}")
    if not reason.strip():
        raise InvalidInput("an adjustment needs a reason")
    version = _lock_one(session, version_id)
    if counted < version.qty_reserved:
        raise InvalidStockOperation(
            f"cannot count {counted} for version {version.id}: {version.qty_reserved} are "
            "reserved for orders; release them first",
            reserved=version.qty_reserved,
            version_id=version.id,
        )
    delta = counted - version.qty_on_hand
    if delta != 0:
        _move(
            session, version, _Movement(delta, 0, LedgerReason.ADJUST, actor, note=reason.strip())
        )
        _finish(session, [version])
    return version


def sell(
    session: Session, lines: Sequence[SaleLine], *, actor: str, reference: Reference | None
) -> list[ProductCodeVersion]:
    """A POS sale: every line comes out of available stock, or none does."""
    if not lines:
        raise InvalidInput("a sale needs at least one line")
    totals: dict[int, int] = {}
    for line in lines:
        _positive(line.quantity)
        totals[line.version_id] = totals.get(line.version_id, 0) + line.quantity
    versions = _lock(session, list(totals))
    for version_id, quantity in totals.items():
        _require_available(versions[version_id], quantity, "sell")
    for version_id, quantity in sorted(totals.items()):
        movement = _Movement(-quantity, 0, LedgerReason.SALE, actor, reference)
        _move(session, versions[version_id], movement)
    _finish(session, list(versions.values()))
    return [versions[version_id] for version_id in sorted(totals)]


def reserve(
    session: Session, version_id: int, quantity: int, *, actor: str, reference: Reference | None
) -> ProductCodeVersion:
    """Hold available stock of one version for an order."""
    _positive(quantity)
    movement = _Movement(0, quantity, LedgerReason.RESERVE, actor, reference)
    return _move_one(
        session, version_id, movement, lambda v: _require_available(v, quantity, "reserve")
    )


@dataclass(frozen=True)
class AllocationRequest:
    """One line to allocate: ``quantity`` of a product code in a condition."""

    product_code_id: int
    quantity: int
    condition: Condition = Condition.NEW
    allow_partial: bool = False
    reference: Reference | None = None


def allocate(
    session: Session,
    *,
    product_code_id: int,
    quantity: int,
    condition: Condition = Condition.NEW,
    branch_ids: Sequence[int] = (),
    allow_partial: bool = False,
    actor: str,
    reference: Reference | None,
) -> Allocation:
    """Choose a branch and version by the module's allocation rule and reserve on it.

    ``branch_ids`` is the channel's branches in preference order; empty means every active
    branch (in id order).
    """
    request = AllocationRequest(product_code_id, quantity, condition, allow_partial, reference)
    result = allocate_many(session, [request], branch_ids=branch_ids, actor=actor)[0]
    if isinstance(result, InsufficientStock):
        raise result
    return result


def allocate_many(
    session: Session,
    requests: Sequence[AllocationRequest],
    *,
    branch_ids: Sequence[int] = (),
    actor: str,
) -> list[Allocation | InsufficientStock]:
    """Allocate each request in turn, exactly as ``allocate`` one after another would.

    Every candidate version of every request is locked at once, in primary-key order, so a
    page of orders takes its locks as one multi-line sale does; each version touched is
    updated once, with one ledger row per request. A request that cannot be allocated
    answers its ``InsufficientStock`` in its place in the list (nothing written for it).
    """
    for request in requests:
        _positive(request.quantity)
    if not requests:
        return []
    preference = list(dict.fromkeys(branch_ids)) or list(
        session.scalars(select(Branch.id).where(Branch.active).order_by(Branch.id))
    )
    pairs = sorted({(r.product_code_id, Condition(r.condition)) for r in requests})
    candidates: dict[tuple[int, str], dict[int, ProductCodeVersion]] = {}
    locked = session.scalars(stock_sql.LOCK_CANDIDATES, {"pairs": pairs, "branch_ids": preference})
    for version in locked:
        key = (version.product_code_id, version.condition)
        candidates.setdefault(key, {})[version.branch_id] = version
    available = {v.id: v.qty_available for found in candidates.values() for v in found.values()}
    results: list[Allocation | InsufficientStock] = []
    ledger: list[tuple[ProductCodeVersion, _Movement]] = []
    for request in requests:
        by_branch = candidates.get((request.product_code_id, request.condition), {})
        ranked = [by_branch[branch_id] for branch_id in preference if branch_id in by_branch]
        chosen = _choose(ranked, available, request)
        if isinstance(chosen, InsufficientStock):
            results.append(chosen)
            continue
        take = min(request.quantity, available[chosen.id])
        available[chosen.id] -= take
        movement = _Movement(0, take, LedgerReason.RESERVE, actor, request.reference, "allocated")
        ledger.append((chosen, movement))
        results.append(Allocation(chosen.id, chosen.branch_id, take, request.quantity))
    _reserve_all(session, ledger)
    return results


def _choose(
    ranked: Sequence[ProductCodeVersion], available: dict[int, int], request: AllocationRequest
) -> ProductCodeVersion | InsufficientStock:
    """The allocation rule (module doc) over what is still available in this call."""
    chosen = next((v for v in ranked if available[v.id] >= request.quantity), None)
    if chosen is not None:
        return chosen
    best = max(ranked, key=lambda v: available[v.id], default=None)
    best_available = available[best.id] if best else 0
    if best is None or best_available == 0 or not request.allow_partial:
        return InsufficientStock(
            f"cannot allocate {request.quantity} of product code {request.product_code_id} "
            f"({request.condition}): at most {best_available} available in one branch",
            available=best_available,
            requested=request.quantity,
            product_code_id=request.product_code_id,
        )
    return best


def _reserve_all(session: Session, ledger: Sequence[tuple[ProductCodeVersion, _Movement]]) -> None:
    """Apply checked reservations to locked versions: one update per version, one ledger
    statement for all their rows, one dirty marking for all their product codes."""
    if not ledger:
        return
    totals: dict[int, int] = {}
    versions: dict[int, ProductCodeVersion] = {}
    for version, movement in ledger:
        totals[version.id] = totals.get(version.id, 0) + movement.reserved
        versions[version.id] = version
    now = utcnow()
    for version_id in sorted(totals):
        version = versions[version_id]
        values = {"version_id": version_id, "on_hand": 0, "reserved": totals[version_id]}
        new_on_hand, new_reserved = session.execute(
            stock_sql.APPLY_MOVEMENT, {**values, "now": now}
        ).one()
        set_committed_value(version, "qty_on_hand", new_on_hand)
        set_committed_value(version, "qty_reserved", new_reserved)
        set_committed_value(version, "updated_at", now)
    session.execute(
        stock_sql.WRITE_LEDGER,
        [_ledger_row(version.id, movement, now) for version, movement in ledger],
    )
    _finish(session, list(versions.values()))


def release(
    session: Session, version_id: int, quantity: int, *, actor: str, reference: Reference | None
) -> ProductCodeVersion:
    """Give reserved stock back to available (an order line cancelled)."""
    _positive(quantity)
    movement = _Movement(0, -quantity, LedgerReason.RELEASE, actor, reference)
    return _move_one(
        session, version_id, movement, lambda v: _require_reserved(v, quantity, "release")
    )


def ship(
    session: Session, version_id: int, quantity: int, *, actor: str, reference: Reference | None
) -> ProductCodeVersion:
    """Reserved stock leaves the building: on hand and reserved both drop."""
    _positive(quantity)
    movement = _Movement(-quantity, -quantity, LedgerReason.SHIP, actor, reference)
    return _move_one(
        session, version_id, movement, lambda v: _require_reserved(v, quantity, "ship")
    )


def restock(
    session: Session,
    *,
    product_code_id: int,
    branch_id: int,
    condition: Condition,
    quantity: int,
    actor: str,
    reference: Reference | None,
    note: str | None = None,
) -> ProductCodeVersion:
    """A returned unit goes back on the shelf, as the version of the condition it came back in."""
    _positive(quantity)
    version_id = ensure_version(
        session, product_code_id=product_code_id, branch_id=branch_id, condition=condition
    )
    return _add_on_hand(session, version_id, quantity, LedgerReason.RETURN, actor, reference, note)


def write_off(
    session: Session, version_id: int, quantity: int, *, reason: str, actor: str
) -> ProductCodeVersion:
    """Stock lost, stolen or broken: only unreserved stock can be written off."""
    _positive(quantity)
    if not reason.strip():
        raise InvalidInput("a write-off needs a reason")
    movement = _Movement(-quantity, 0, LedgerReason.WRITE_OFF, actor, note=reason.strip())
    return _move_one(
        session, version_id, movement, lambda v: _require_available(v, quantity, "write off")
    )


def transfer(
    session: Session, version_id: int, to_branch_id: int, quantity: int, *, actor: str
) -> tuple[ProductCodeVersion, ProductCodeVersion]:
    """Move available stock to the same product code and condition in another branch."""
    _positive(quantity)
    source = session.get(ProductCodeVersion, version_id)
    if source is None:
        raise NotFound(f"product code version {version_id} does not exist")
    if source.branch_id == to_branch_id:
        raise InvalidInput("a transfer needs a different destination branch")
    # The target version may have to be created before both rows can be locked in key
    # order; a savepoint undoes that creation if the transfer is then refused.
    with session.begin_nested():
        target_id = ensure_version(
            session,
            product_code_id=source.product_code_id,
            branch_id=to_branch_id,
            condition=source.condition,
        )
        locked = _lock(session, [version_id, target_id])
        source, target = locked[version_id], locked[target_id]
        _require_available(source, quantity, "transfer")
    reference = Reference("transfer", uuid.uuid4().hex)
    _move(session, source, _Movement(-quantity, 0, LedgerReason.TRANSFER_OUT, actor, reference))
    _move(session, target, _Movement(quantity, 0, LedgerReason.TRANSFER_IN, actor, reference))
    _finish(session, [source, target])
    return source, target
