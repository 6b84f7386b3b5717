"""The POS sale service on its own: a refused sale leaves nothing behind in the session."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockbridge.db.models import Order, PaymentMethod, StockLedgerEntry
from stockbridge.errors import InsufficientStock
from stockbridge.pos.sales import SaleCreate, record_pos_sale
from tests.factories import ACTOR, make_version


def test_short_sale_leaves_no_trace_even_if_the_caller_commits(session: Session) -> None:
    version = make_version(session, on_hand=1)
    product = version.product_code
    ledger_rows = session.scalar(select(func.count()).select_from(StockLedgerEntry))
    sale = SaleCreate.model_validate(
        {
            "branch_id": version.branch_id,
            "lines": [{"version_id": version.id, "quantity": 2}],
            "payments": [{"method": PaymentMethod.CASH, "amount_cents": 2 * product.price_cents}],
        }
    )
    with pytest.raises(InsufficientStock):
        record_pos_sale(session, sale, actor=ACTOR)
    session.commit()

    assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert session.scalar(select(func.count()).select_from(StockLedgerEntry)) == ledger_rows
