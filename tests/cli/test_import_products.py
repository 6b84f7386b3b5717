"""``stockbridge import products FILE.csv`` against the database: what is written, and when
nothing is."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import ProductCode
from stockbridge.errors import InvalidInput
from tests.cli.conftest import Invoke

GOOD = (
    "sku,name,brand,category,barcode,price,currency,weight_grams,active,attr:colour\n"
    "HP-1,Studio Headphones,Acme,Audio > Headphones,8712345678906,169.00,EUR,285,yes,Black\n"
    "CAM-1,Instant Camera,Fotoco,Cameras,,12800,JPY,,,\n"
    "PED-1,Fuzz Pedal,Pedalco,,,99.5,EUR,,no,\n"
)
WITH_BAD_LINES = (
    "sku,name,price,currency\n"
    "GOOD-1,Widget,1.00,EUR\n"
    "BAD-1,Widget,12.505,EUR\n"
    "GOOD-2,Gadget,2.00,EUR\n"
    "BAD-2,,2.00,EUR\n"
)


def write(tmp_path: Path, text: str, name: str = "products.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def products(sessions: sessionmaker[Session]) -> dict[str, ProductCode]:
    with sessions() as session:
        return {product.sku: product for product in session.scalars(select(ProductCode))}


def test_a_good_file_imports_every_product(
    cli: Invoke, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    result = cli("import", "products", str(write(tmp_path, GOOD)))

    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged" in result.stdout
    stored = products(sessions)
    assert sorted(stored) == ["CAM-1", "HP-1", "PED-1"]
    headphones = stored["HP-1"]
    assert (headphones.price_cents, headphones.currency) == (16900, "EUR")
    assert (headphones.brand, headphones.category) == ("Acme", "Audio > Headphones")
    assert (headphones.barcode, headphones.weight_grams) == ("8712345678906", 285)
    assert headphones.attributes == {"colour": "Black"}
    assert (stored["CAM-1"].price_cents, stored["CAM-1"].currency) == (12800, "JPY")
    assert (stored["PED-1"].price_cents, stored["PED-1"].active) == (9950, False)


def test_a_re_import_updates_by_sku_and_never_duplicates(
    cli: Invoke, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    cli("import", "products", str(write(tmp_path, GOOD)))
    changed = GOOD.replace("169.00", "159.00").replace("Fuzz Pedal", "Big Fuzz Pedal")

    result = cli("import", "products", str(write(tmp_path, changed, "again.csv")))

    assert result.exit_code == 0, result.output
    assert "0 created, 2 updated, 1 unchanged" in result.stdout
    stored = products(sessions)
    assert len(stored) == 3
    assert stored["HP-1"].price_cents == 15900
    assert stored["PED-1"].name == "Big Fuzz Pedal"
    with sessions() as session:
        assert session.scalar(select(func.count(ProductCode.id))) == 3


def test_bad_lines_are_reported_by_line_number_and_nothing_is_written(
    cli: Invoke, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    result = cli("import", "products", str(write(tmp_path, WITH_BAD_LINES)))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "line 3 (SKU BAD-1): price: 12.505 has more than 2 decimal places for EUR",
        "line 5 (SKU BAD-2): name is required",
    ]
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.detail.startswith("2 of 4 product lines are invalid; nothing was")
    assert products(sessions) == {}


def test_skip_invalid_imports_the_good_lines_and_reports_the_skipped(
    cli: Invoke, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    result = cli("import", "products", str(write(tmp_path, WITH_BAD_LINES)), "--skip-invalid")

    assert result.exit_code == 0, result.output
    assert "skipped line 3 (SKU BAD-1): price: 12.505" in result.stderr
    assert "skipped line 5 (SKU BAD-2): name is required" in result.stderr
    assert "2 created" in result.stdout
    assert "Skipped 2 invalid line(s)" in result.stdout
    assert sorted(products(sessions)) == ["GOOD-1", "GOOD-2"]


def test_skip_invalid_with_no_good_line_left_fails(
    cli: Invoke, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(tmp_path, "sku,name,price,currency\nA,Widget,x,EUR\n")

    result = cli("import", "products", str(path), "--skip-invalid")

    assert result.exit_code == 1
    assert isinstance(result.exception, InvalidInput)
    assert products(sessions) == {}


def test_dry_run_counts_what_would_change_and_writes_nothing(
    cli: Invoke, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    cli(
        "import",
        "products",
        str(write(tmp_path, GOOD.splitlines()[0] + "\n" + GOOD.splitlines()[1])),
    )
    changed = write(tmp_path, GOOD.replace("169.00", "159.00"), "changed.csv")

    result = cli("import", "products", str(changed), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "would create 2, update 1, leave 0 unchanged. Nothing was written." in result.stdout
    stored = products(sessions)
    assert list(stored) == ["HP-1"]
    assert stored["HP-1"].price_cents == 16900


def test_an_unknown_column_is_named_and_nothing_is_written(
    cli: Invoke, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(tmp_path, "sku,name,price,currency,colour\nA,Widget,1,EUR,red\n")

    result = cli("import", "products", str(path))

    assert result.exit_code == 1
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.detail.startswith(f"{path}: unknown column(s): colour (known: sku,")
    assert products(sessions) == {}


def test_a_sku_twice_in_the_file_is_an_error_on_the_later_line(
    cli: Invoke, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(tmp_path, "sku,name,price,currency\nA,Widget,1,EUR\nB,Gadget,1,EUR\nA,Dup,1,EUR\n")

    result = cli("import", "products", str(path))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["line 4 (SKU A): SKU A already appears on line 2"]
    assert products(sessions) == {}


def test_a_file_that_is_not_utf8_csv_is_one_error(cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_bytes(b"sku,name,price,currency\nA,Caf\xe9,1,EUR\n")

    result = cli("import", "products", str(path))

    assert result.exit_code == 1
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.detail == (
        f"{path}: not UTF-8 text: byte 0xe9 on line 2 (save the file as 'CSV UTF-8')"
    )


def test_a_missing_file_is_a_usage_error(cli: Invoke, tmp_path: Path) -> None:
    assert cli("import", "products", str(tmp_path / "missing.csv")).exit_code == 2
