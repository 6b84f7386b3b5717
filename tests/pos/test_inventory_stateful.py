"""Random sequences of every inventory operation, checked against a model after each step.

The world is small on purpose (three branches, two product codes with a publication each,
two conditions) so that operations collide: the same versions are reserved, sold,
shipped and transferred again and again. Each operation runs in its own transaction, as a
real caller's would: committed on success, rolled back on the expected refusals
(``InsufficientStock``, ``InvalidStockOperation``, ``InvalidInput``). The model predicts
which refusal (if any) each operation must raise, and after every step the database must
equal the model:

- stored quantities per version (and the set of versions) equal the model's,
- for every version the ledger sums equal ``qty_on_hand`` / ``qty_reserved``,
- ``0 <= qty_reserved <= qty_on_hand``,
- the ledger holds exactly the expected rows (version, reason, deltas): one per version
  touched by each successful operation, none for a refused one,
- each publication's dirty counter rose once per successful operation on its product,
- a refused operation leaves no trace, checked *inside* its transaction before the
  rollback (the module promises to check before writing), and again after it.

Isolation between examples: hypothesis runs many examples inside one test function, while
the ``sessions`` fixture empties the tables once per test. So every example starts by
deleting all rows (children first) and building its world anew. Deleting was chosen over
one outer transaction with a savepoint per operation because the operations must really
commit, one transaction each, and because a row lock or ``BEGIN IMMEDIATE`` behaves
differently inside a long outer transaction; it was chosen over a fresh database per
example because migrating one costs far more than emptying it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import (
    Base,
    Condition,
    EcomListing,
    EcomListingChannel,
    LedgerReason,
    ProductCodeVersion,
    StockLedgerEntry,
)
from stockbridge.errors import InsufficientStock, InvalidInput, InvalidStockOperation
from stockbridge.pos import inventory
from stockbridge.pos.inventory import Allocation, Reference, SaleLine
from tests.factories import ACTOR, make_branch, make_product, make_publication

BRANCHES = 3
PRODUCTS = 2
CONDITIONS = (Condition.NEW, Condition.USED)
# (product index, branch index, condition); other versions appear through restock/transfer.
INITIAL_VERSIONS = (
    (0, 0, Condition.NEW),
    (0, 1, Condition.NEW),
    (0, 2, Condition.USED),
    (1, 0, Condition.NEW),
    (1, 1, Condition.NEW),
)
REFUSALS = (InsufficientStock, InvalidStockOperation, InvalidInput)
REF = Reference("order_item", "1")

Key = tuple[int, int, Condition]

# 0 must be refused with InvalidInput (other bad values: test_inventory.py).
quantities = st.integers(min_value=0, max_value=3)
reasons = st.sampled_from(["cycle count", "broken", "found in the back", "   "])


@dataclass
class Stock:
    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def _delete_all_rows(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


class InventoryMachine(RuleBasedStateMachine):
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__()
        self.sessions = sessions
        _delete_all_rows(sessions)
        with sessions.begin() as session:
            self.branch_ids = [make_branch(session).id for _ in range(BRANCHES)]
            products = [make_product(session) for _ in range(PRODUCTS)]
            self.product_ids = [product.id for product in products]
            self.dirty = [make_publication(session, product).dirty_seq for product in products]
            self.ids: dict[Key, int] = {
                key: inventory.ensure_version(
                    session,
                    product_code_id=self.product_ids[key[0]],
                    branch_id=self.branch_ids[key[1]],
                    condition=key[2],
                )
                for key in INITIAL_VERSIONS
            }
        self.stock = {key: Stock() for key in self.ids}
        self.ledger: Counter[tuple[Key, LedgerReason, int, int]] = Counter()

    # -- model bookkeeping -------------------------------------------------------------

    def _key_of(self, version_id: int) -> Key:
        return next(key for key, known_id in self.ids.items() if known_id == version_id)

    def _pick(self, data: st.DataObject, label: str = "version", *, reserved: bool = False) -> Key:
        """A known version; with ``reserved``, one holding reservations if there is any."""
        keys = sorted(self.ids)
        if reserved:
            keys = [key for key in keys if self.stock[key].reserved] or keys
        return data.draw(st.sampled_from(keys), label=label)

    def _has_reservations(self) -> bool:
        return any(stock.reserved for stock in self.stock.values())

    def _up_to(self, data: st.DataObject, limit: int, label: str = "quantity") -> int:
        """1 .. limit, limit + 1 (one unit too many) or 0 (refused as invalid), evenly."""
        quantity: int = data.draw(st.sampled_from([*range(1, limit + 2), 0]), label=label)
        return quantity

    def _moved(
        self, key: Key, reason: LedgerReason, *, on_hand: int = 0, reserved: int = 0
    ) -> None:
        self.stock[key].on_hand += on_hand
        self.stock[key].reserved += reserved
        self.ledger[(key, reason, on_hand, reserved)] += 1

    def _marked(self, *products: int) -> None:
        for product in set(products):
            self.dirty[product] += 1

    def _created(self, key: Key, version_id: int) -> None:
        if key not in self.ids:
            self.ids[key] = version_id
            self.stock[key] = Stock()
        assert self.ids[key] == version_id

    # -- running one operation ---------------------------------------------------------

    def _run(self, operation: Callable[[Session], Any], *, refused: type[Exception] | None) -> Any:
        """Run one operation in a transaction of its own; returns its result or its refusal.

        ``refused`` is the refusal the model predicts (``None``: it must succeed).
        """
        session = self.sessions()
        try:
            try:
                result = operation(session)
            except REFUSALS as error:
                refusal: Exception | None = error
            else:
                refusal = None
            if refusal is None:
                assert refused is None, f"expected {refused.__name__}, the operation succeeded"
                session.commit()
                return result
            assert refused is not None, f"model expected success, got {refusal!r}"
            assert type(refusal) is refused, f"expected {refused.__name__}, got {refusal!r}"
            self._assert_matches_model(session)  # no trace, even before the rollback
            session.rollback()
            return refusal
        finally:
            session.close()

    # -- rules -------------------------------------------------------------------------

    @initialize(
        stock=st.lists(
            st.integers(0, 3), min_size=len(INITIAL_VERSIONS), max_size=len(INITIAL_VERSIONS)
        )
    )
    def receive_initial_stock(self, stock: list[int]) -> None:
        with self.sessions.begin() as session:
            for key, quantity in zip(INITIAL_VERSIONS, stock, strict=True):
                if quantity:
                    inventory.receive(session, self.ids[key], quantity, actor=ACTOR)
        for key, quantity in zip(INITIAL_VERSIONS, stock, strict=True):
            if quantity:
                self._moved(key, LedgerReason.RECEIVE, on_hand=quantity)
                self._marked(key[0])

    @rule(data=st.data(), quantity=quantities)
    def receive(self, data: st.DataObject, quantity: int) -> None:
        key = self._pick(data)
        refused = InvalidInput if quantity <= 0 else None
        self._run(
            lambda s: inventory.receive(s, self.ids[key], quantity, actor=ACTOR), refused=refused
        )
        if refused is None:
            self._moved(key, LedgerReason.RECEIVE, on_hand=quantity)
            self._marked(key[0])

    @rule(data=st.data(), reason=reasons)
    def adjust_to_count(self, data: st.DataObject, reason: str) -> None:
        # Half the counts hit a version with reservations (the count must not go below them).
        key = self._pick(data, reserved=data.draw(st.booleans(), label="reserved"))
        stock = self.stock[key]
        counted = data.draw(st.integers(-1, stock.on_hand + 2), label="counted")
        refused: type[Exception] | None = None
        if counted < 0 or not reason.strip():
            refused = InvalidInput
        elif counted < stock.reserved:
            refused = InvalidStockOperation
        self._run(
            lambda s: inventory.adjust_to_count(
                s, self.ids[key], counted, reason=reason, actor=ACTOR
            ),
            refused=refused,
        )
        if refused is None and counted != stock.on_hand:
            self._moved(key, LedgerReason.ADJUST, on_hand=counted - stock.on_hand)
            self._marked(key[0])

    @rule(data=st.data())
    def sell(self, data: st.DataObject) -> None:
        # An empty sale is refused (zero quantities are left to the other rules); a
        # version may appear on several lines, which then count together.
        size = data.draw(st.sampled_from([1, 2, 3, 0]), label="lines")
        lines: list[tuple[Key, int]] = []
        for _ in range(size):
            key = self._pick(data, "line")
            quantity = data.draw(st.integers(1, self.stock[key].available + 1), label="quantity")
            lines.append((key, quantity))
        totals: dict[Key, int] = {}
        for key, quantity in lines:
            totals[key] = totals.get(key, 0) + quantity
        short = {key for key, total in totals.items() if self.stock[key].available < total}
        refused: type[Exception] | None = None
        if not lines:
            refused = InvalidInput
        elif short:
            refused = InsufficientStock
        outcome = self._run(
            lambda s: inventory.sell(
                s,
                [SaleLine(self.ids[key], quantity) for key, quantity in lines],
                actor=ACTOR,
                reference=REF,
            ),
            refused=refused,
        )
        if isinstance(outcome, InsufficientStock):
            # Any short line may be the one reported; its numbers must be right.
            reported = self._key_of(outcome.extra["version_id"])
            assert reported in short
            assert outcome.available == self.stock[reported].available
            assert outcome.requested == totals[reported]
        if refused is None:
            for key, total in totals.items():
                self._moved(key, LedgerReason.SALE, on_hand=-total)
            self._marked(*(key[0] for key in totals))

    @rule(data=st.data())
    def reserve(self, data: st.DataObject) -> None:
        key = self._pick(data)
        quantity = self._up_to(data, self.stock[key].available)
        refused: type[Exception] | None = None
        if quantity <= 0:
            refused = InvalidInput
        elif self.stock[key].available < quantity:
            refused = InsufficientStock
        outcome = self._run(
            lambda s: inventory.reserve(s, self.ids[key], quantity, actor=ACTOR, reference=REF),
            refused=refused,
        )
        if isinstance(outcome, InsufficientStock):
            assert (outcome.available, outcome.requested) == (self.stock[key].available, quantity)
        if refused is None:
            self._moved(key, LedgerReason.RESERVE, reserved=quantity)
            self._marked(key[0])

    @rule(
        data=st.data(),
        product=st.integers(0, PRODUCTS - 1),
        condition=st.sampled_from(CONDITIONS),
        preference=st.lists(st.integers(0, BRANCHES - 1), max_size=4),
        allow_partial=st.booleans(),
    )
    def allocate(
        self,
        data: st.DataObject,
        product: int,
        condition: Condition,
        preference: list[int],
        allow_partial: bool,
    ) -> None:
        # The documented rule, restated on the model: first branch in preference order
        # covering the line, else the most available (ties: preference order).
        order = list(dict.fromkeys(preference)) or list(range(BRANCHES))
        ranked = [
            (b, self.stock[(product, b, condition)])
            for b in order
            if (product, b, condition) in self.ids
        ]
        best_available = max((stock.available for _, stock in ranked), default=0)
        quantity = self._up_to(data, best_available + 1)
        covering = [b for b, stock in ranked if stock.available >= quantity]
        refused: type[Exception] | None = None
        chosen = None
        if quantity <= 0:
            refused = InvalidInput
        elif covering:
            chosen = covering[0]
        elif allow_partial and best_available > 0:
            chosen = next(b for b, stock in ranked if stock.available == best_available)
        else:
            refused = InsufficientStock
        outcome = self._run(
            lambda s: inventory.allocate(
                s,
                product_code_id=self.product_ids[product],
                quantity=quantity,
                condition=condition,
                branch_ids=[self.branch_ids[b] for b in preference],
                allow_partial=allow_partial,
                actor=ACTOR,
                reference=REF,
            ),
            refused=refused,
        )
        if isinstance(outcome, InsufficientStock):
            assert (outcome.available, outcome.requested) == (best_available, quantity)
        if chosen is not None:
            key = (product, chosen, condition)
            take = min(quantity, self.stock[key].available)
            assert outcome == Allocation(self.ids[key], self.branch_ids[chosen], take, quantity)
            self._moved(key, LedgerReason.RESERVE, reserved=take)
            self._marked(product)

    @precondition(_has_reservations)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        self._take_reserved(data, ship=False)

    @precondition(_has_reservations)
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        self._take_reserved(data, ship=True)

    def _take_reserved(self, data: st.DataObject, *, ship: bool) -> None:
        # Up to one unit more than the version holds (a quantity of 0 is refused by the
        # same check as in the other rules).
        key = self._pick(data, reserved=True)
        quantity = data.draw(st.integers(1, self.stock[key].reserved + 1), label="quantity")
        refused = InvalidStockOperation if self.stock[key].reserved < quantity else None
        operation = inventory.ship if ship else inventory.release
        self._run(
            lambda s: operation(s, self.ids[key], quantity, actor=ACTOR, reference=REF),
            refused=refused,
        )
        if refused is None:
            if ship:
                self._moved(key, LedgerReason.SHIP, on_hand=-quantity, reserved=-quantity)
            else:
                self._moved(key, LedgerReason.RELEASE, reserved=-quantity)
            self._marked(key[0])

    @rule(
        product=st.integers(0, PRODUCTS - 1),
        branch=st.integers(0, BRANCHES - 1),
        condition=st.sampled_from(CONDITIONS),
        quantity=quantities,
    )
    def restock(self, product: int, branch: int, condition: Condition, quantity: int) -> None:
        refused = InvalidInput if quantity <= 0 else None
        version_id = self._run(
            lambda s: (
                inventory.restock(
                    s,
                    product_code_id=self.product_ids[product],
                    branch_id=self.branch_ids[branch],
                    condition=condition,
                    quantity=quantity,
                    actor=ACTOR,
                    reference=REF,
                ).id
            ),
            refused=refused,
        )
        if refused is None:
            key = (product, branch, condition)
            self._created(key, version_id)
            self._moved(key, LedgerReason.RETURN, on_hand=quantity)
            self._marked(product)

    @rule(data=st.data(), reason=reasons)
    def write_off(self, data: st.DataObject, reason: str) -> None:
        key = self._pick(data)
        quantity = self._up_to(data, self.stock[key].available)
        refused: type[Exception] | None = None
        if quantity <= 0 or not reason.strip():
            refused = InvalidInput
        elif self.stock[key].available < quantity:
            refused = InsufficientStock
        outcome = self._run(
            lambda s: inventory.write_off(s, self.ids[key], quantity, reason=reason, actor=ACTOR),
            refused=refused,
        )
        if isinstance(outcome, InsufficientStock):
            assert (outcome.available, outcome.requested) == (self.stock[key].available, quantity)
        if refused is None:
            self._moved(key, LedgerReason.WRITE_OFF, on_hand=-quantity)
            self._marked(key[0])

    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        key = self._pick(data)
        quantity = self._up_to(data, self.stock[key].available)
        product, branch, condition = key
        # Another branch first; the version's own branch (refused) last.
        to_branch = data.draw(
            st.sampled_from([b for b in range(BRANCHES) if b != branch] + [branch]), label="to"
        )
        refused: type[Exception] | None = None
        if quantity <= 0 or branch == to_branch:
            refused = InvalidInput
        elif self.stock[key].available < quantity:
            refused = InsufficientStock

        def operation(session: Session) -> tuple[int, int]:
            source, target = inventory.transfer(
                session, self.ids[key], self.branch_ids[to_branch], quantity, actor=ACTOR
            )
            return source.id, target.id

        outcome = self._run(operation, refused=refused)
        if isinstance(outcome, InsufficientStock):
            assert (outcome.available, outcome.requested) == (self.stock[key].available, quantity)
        if refused is None:
            target = (product, to_branch, condition)
            self._created(target, outcome[1])
            self._moved(key, LedgerReason.TRANSFER_OUT, on_hand=-quantity)
            self._moved(target, LedgerReason.TRANSFER_IN, on_hand=quantity)
            self._marked(product)

    # -- invariants --------------------------------------------------------------------

    @invariant()
    def database_matches_model(self) -> None:
        with self.sessions() as session:
            self._assert_matches_model(session)

    def _assert_matches_model(self, session: Session) -> None:
        V, L = ProductCodeVersion, StockLedgerEntry  # noqa: N806
        rows = session.execute(
            select(V.id, V.product_code_id, V.branch_id, V.condition, V.qty_on_hand, V.qty_reserved)
        ).all()
        stored = {
            (
                self.product_ids.index(row.product_code_id),
                self.branch_ids.index(row.branch_id),
                row.condition,
            ): row
            for row in rows
        }
        assert {key: row.id for key, row in stored.items()} == self.ids
        assert {key: (row.qty_on_hand, row.qty_reserved) for key, row in stored.items()} == {
            key: (stock.on_hand, stock.reserved) for key, stock in self.stock.items()
        }
        sums = {
            version_id: (on_hand, reserved)
            for version_id, on_hand, reserved in session.execute(
                select(
                    L.version_id, func.sum(L.delta_on_hand), func.sum(L.delta_reserved)
                ).group_by(L.version_id)
            )
        }
        for row in rows:
            assert 0 <= row.qty_reserved <= row.qty_on_hand
            assert sums.get(row.id, (0, 0)) == (row.qty_on_hand, row.qty_reserved)
        ledger = session.execute(select(L.version_id, L.reason, L.delta_on_hand, L.delta_reserved))
        assert self.ledger == Counter(
            (self._key_of(version_id), reason, on_hand, reserved)
            for version_id, reason, on_hand, reserved in ledger
        )
        published = select(EcomListing.product_code_id, EcomListingChannel.dirty_seq).join(
            EcomListing, EcomListing.id == EcomListingChannel.listing_id
        )
        dirty = {product_id: seq for product_id, seq in session.execute(published)}
        assert [dirty[product_id] for product_id in self.product_ids] == self.dirty


def test_inventory_operations_keep_every_invariant(sessions: sessionmaker[Session]) -> None:
    run_state_machine_as_test(
        lambda: InventoryMachine(sessions),
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
