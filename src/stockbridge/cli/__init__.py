"""The ``stockbridge`` command.

Sub-commands live one module per topic beside this one; here they are put together, and
:func:`main` turns errors into one line on stderr and an exit code:

- 0 success; 2 a usage error (Typer's message) or an invalid ``STOCKBRIDGE_*`` setting;
- 1 any other ``StockbridgeError`` (``error: <detail>``) or a database that cannot be used.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import typer
import typer.core
import typer.main
from sqlalchemy.exc import DBAPIError

from stockbridge.errors import ConfigurationError, StockbridgeError

EXIT_ERROR = 1
EXIT_USAGE = 2

#: Each command: (module, attribute), a Typer app or a command function, and the line the
#: help lists it with. A module is imported only when its command runs or its own help is
#: asked for, so ``stockbridge worker`` starts without the web server, the sandboxes and
#: their OpenAPI validators, and ``stockbridge --help`` imports none of them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "db": ("stockbridge.cli.db", "db_app", "The database schema."),
    "keys": ("stockbridge.cli.keys", "keys_app", "API keys: create, list, revoke."),
    "import": ("stockbridge.cli.imports", "import_app", "Bring data in from files."),
    "stock": ("stockbridge.cli.stock", "stock_app", "Stock per branch and condition."),
    "sandbox": (
        "stockbridge.cli.sandbox",
        "sandbox_app",
        "Run a marketplace simulator (eBay, Shopify) over HTTP.",
    ),
    "channels": (
        "stockbridge.cli.channels",
        "channels_app",
        "Marketplace channels: list, rotate secrets.",
    ),
    "sync": (
        "stockbridge.cli.sync",
        "sync_app",
        "Sync jobs: run a channel's sync now, follow progress and outcome.",
    ),
    "orders": ("stockbridge.cli.orders", "orders_app", "Marketplace orders: import a date range."),
    "serve": (
        "stockbridge.cli.server",
        "serve",
        "Run the API server (uvicorn) with the configured database.",
    ),
    "worker": (
        "stockbridge.cli.worker",
        "worker",
        "Run jobs from the Redis queue (STOCKBRIDGE_REDIS_URL); start as many as needed.",
    ),
    "demo": (
        "stockbridge.cli.server",
        "demo",
        "Run the server on a sample shop in var/demo.db, with a new admin API key.",
    ),
}


class _Commands(typer.core.TyperGroup):
    """The commands of :data:`COMMANDS`, each built when it is first asked for; while the
    group's own help is written, each is listed by its line alone."""

    _listing = False

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(COMMANDS)

    def format_help(self, ctx: typer.Context, formatter: typer._click.HelpFormatter) -> None:  # type: ignore[override]
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: typer.Context, name: str) -> typer.core.TyperCommand | None:  # type: ignore[override]
        if name not in COMMANDS:
            return None
        module, attribute, summary = COMMANDS[name]
        if self._listing:
            return typer.core.TyperCommand(name, help=summary)
        return build_command(name, getattr(importlib.import_module(module), attribute))


def build_command(name: str, target: Any) -> typer.core.TyperCommand:
    """The Click command of a Typer app or of a command function, named ``name``."""
    if isinstance(target, typer.Typer):
        command: typer.core.TyperCommand | typer.core.TyperGroup = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name=name)(target)
        command = typer.main.get_command(single)  # type: ignore[assignment]
    command.name = name
    return command  # type: ignore[return-value]


app = typer.Typer(
    name="stockbridge",
    help="Connects a shop's multi-branch stock to online marketplaces.",
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _stockbridge() -> None:
    """Connects a shop's multi-branch stock to online marketplaces."""


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
