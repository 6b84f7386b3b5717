"""``stockbridge stock show SKU``: versions per branch and condition, with totals."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import Condition
from stockbridge.errors import NotFound
from stockbridge.pos import catalog, inventory
from stockbridge.pos.inventory import Reference
from stockbridge.pos.schemas import VersionUpdate
from tests.cli.conftest import Invoke
from tests.factories import ACTOR, make_branch, make_product, make_version


def row(output: str, *start: str) -> list[str]:
    """The cells (split on spaces) of the table line that begins with ``start``."""
    [line] = [
        line.split() for line in output.splitlines() if line.split()[: len(start)] == [*start]
    ]
    return line[len(start) :]


def test_show_lists_each_version_with_prices_and_totals(
    cli: Invoke, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        product = make_product(session, sku="CAM-1", price_cents=249900)
        amsterdam, utrecht = make_branch(session, "AMS"), make_branch(session, "UTR")
        new = make_version(session, product=product, branch=amsterdam, on_hand=5)
        make_version(session, product=product, branch=utrecht, on_hand=2)
        used = make_version(
            session, product=product, branch=amsterdam, condition=Condition.USED, on_hand=1
        )
        inventory.reserve(session, new.id, 2, actor=ACTOR, reference=Reference("test", "1"))
        catalog.update_version(session, used.id, VersionUpdate(price_cents=149900))
        session.commit()
        amsterdam_name, utrecht_name = amsterdam.name.split(), utrecht.name.split()

    result = cli("stock", "show", "CAM-1")

    assert result.exit_code == 0, result.output
    assert "CAM-1" in result.stdout
    assert row(result.stdout, "AMS", *amsterdam_name, "new") == ["5", "2", "3", "2499.00", "EUR"]
    assert row(result.stdout, "AMS", *amsterdam_name, "used") == [
        "1",
        "0",
        "1",
        "1499.00",
        "EUR",
        "*",
    ]
    assert row(result.stdout, "UTR", *utrecht_name, "new") == ["2", "0", "2", "2499.00", "EUR"]
    assert row(result.stdout, "total") == ["8", "2", "6"]


def test_show_a_product_without_stock(cli: Invoke, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        make_product(session, sku="NEW-1")
        session.commit()

    result = cli("stock", "show", "NEW-1")

    assert result.exit_code == 0, result.output
    assert "no stock recorded in any branch" in result.stdout


def test_an_unknown_sku_is_not_found(cli: Invoke) -> None:
    result = cli("stock", "show", "NOPE")

    assert result.exit_code == 1
    assert isinstance(result.exception, NotFound)
    assert result.exception.detail == "no product code with SKU 'NOPE'"
