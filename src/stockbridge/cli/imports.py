"""``stockbridge import ...``: bring product codes in from a CSV file.

The format and its validation live in ``pos/csv_import``; this module reads the file,
reports each bad line, decides whether anything may be written, and shows progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from stockbridge.cli.database import open_session
from stockbridge.errors import InvalidInput
from stockbridge.pos.catalog import UpsertCounts
from stockbridge.pos.csv_import import ParsedCsv, import_products, parse_products_csv
from stockbridge.pos.schemas import ProductCodeCreate
from stockbridge.settings import get_settings

import_app = typer.Typer(help="Bring data in from files.", no_args_is_help=True)


@import_app.command("products")
def products(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file."),
    ],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid lines, skip the bad ones.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count what would change; write nothing.")
    ] = False,
) -> None:
    """Create or update product codes by SKU from a CSV file (see docs/csv-import.md).

    Every line is checked first; if any is bad, nothing is imported unless --skip-invalid.
    """
    settings = get_settings()
    try:
        parsed = parse_products_csv(file.read_bytes())
    except InvalidInput as error:
        raise InvalidInput(f"{file}: {error.detail}") from None
    _report_bad_lines(parsed, skip_invalid=skip_invalid)
    rows = [row.product for row in parsed.rows]
    with open_session(settings) as session:
        counts = _write_with_progress(session, rows, "Checking" if dry_run else "Importing")
        if not dry_run:
            session.commit()
    _report_outcome(file, counts, skipped=len(parsed.errors), dry_run=dry_run)


def _report_bad_lines(parsed: ParsedCsv, *, skip_invalid: bool) -> None:
    """Print every bad line; refuse the import unless skipping them leaves something to do."""
    prefix = "skipped " if skip_invalid else ""
    for error in parsed.errors:
        typer.echo(f"{prefix}{error}", err=True)
    if not parsed.errors or (skip_invalid and parsed.rows):
        return
    hint = "" if skip_invalid else " (fix them, or use --skip-invalid to import the valid ones)"
    raise InvalidInput(
        f"{len(parsed.errors)} of {parsed.total} product lines are invalid; "
        f"nothing was imported{hint}"
    )


def _write_with_progress(
    session: Session, rows: list[ProductCodeCreate], doing: str
) -> UpsertCounts:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    progress = Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True))
    with progress:
        task = progress.add_task(f"{doing} products", total=len(rows))
        return import_products(session, rows, on_batch=lambda n: progress.advance(task, n))


def _report_outcome(file: Path, counts: UpsertCounts, *, skipped: int, dry_run: bool) -> None:
    if dry_run:
        typer.echo(
            f"Dry run of {file}: would create {counts.created}, update {counts.updated}, "
            f"leave {counts.unchanged} unchanged. Nothing was written."
        )
    else:
        typer.echo(
            f"Imported {file}: {counts.created} created, {counts.updated} updated, "
            f"{counts.unchanged} unchanged."
        )
    if skipped:
        typer.echo(f"Skipped {skipped} invalid line(s), listed above.")
