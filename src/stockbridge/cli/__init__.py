"""The ``stockbridge`` command.

Sub-commands live one module per topic beside this one; here they are put together, and
:func:`main` turns errors into one line on stderr and an exit code:

- 0 success; 2 a usage error (Typer's message) or an invalid ``STOCKBRIDGE_*`` setting;
- 1 any other ``StockbridgeError`` (``error: <detail>``) or a database that cannot be used.
"""

from __future__ import annotations

from collections.abc import Sequence

import typer
from sqlalchemy.exc import DBAPIError

from stockbridge.cli.channels import channels_app
from stockbridge.cli.db import db_app
from stockbridge.cli.imports import import_app
from stockbridge.cli.keys import keys_app
from stockbridge.cli.orders import orders_app
from stockbridge.cli.sandbox import sandbox_app
from stockbridge.cli.server import demo, serve, worker
from stockbridge.cli.stock import stock_app
from stockbridge.cli.sync import sync_app
from stockbridge.errors import ConfigurationError, StockbridgeError

EXIT_ERROR = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="stockbridge",
    help="Connects a shop's multi-branch stock to online marketplaces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(import_app, name="import")
app.add_typer(stock_app, name="stock")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(channels_app, name="channels")
app.add_typer(sync_app, name="sync")
app.add_typer(orders_app, name="orders")
app.command()(serve)
app.command()(worker)
app.command()(demo)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``); returns the exit code."""
    try:
        app(args=argv, prog_name="stockbridge")
    except SystemExit as exit_:
        return _exit_code(exit_)
    except ConfigurationError as error:
        return _fail(error.detail, EXIT_USAGE)
    except StockbridgeError as error:
        return _fail(error.detail, EXIT_ERROR)
    except DBAPIError as error:
        return _fail(describe_database_error(error), EXIT_ERROR)
    return 0


def _exit_code(exit_: SystemExit) -> int:
    if exit_.code is None or isinstance(exit_.code, int):
        return exit_.code or 0
    typer.echo(exit_.code, err=True)
    return EXIT_ERROR


def _fail(message: str, code: int) -> int:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return code


def describe_database_error(error: DBAPIError) -> str:
    """The driver's first line, and what to do when the schema is simply missing."""
    lines = str(error.orig).strip().splitlines() or [type(error.orig).__name__]
    message = f"database: {lines[0]}"
    if any(sign in message for sign in ("no such table", "relation", "unable to open database")):
        message += " (has `stockbridge db upgrade` been run?)"
    return message
