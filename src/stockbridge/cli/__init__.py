"""The ``stockbridge`` command.

Sub-commands live one module per topic beside this one; here they are put together, and
:func:`main` turns errors into one line on stderr and an exit code:

- 0 success; 2 a usage error (Typer's message) or an invalid ``STOCKBRIDGE_*`` setting;
- 1 any other ``StockbridgeError`` (``error: <detail>``) or a database that cannot be used.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import typer
import typer.core
import typer.main
from sqlalchemy.exc import DBAPIError

from stockbridge.errors import ConfigurationError, StockbridgeError

EXIT_ERROR = 1
EXIT_USAGE = 2

#: Each command: (module, attribute), a Typer app or a command function. A module is
#: imported only when its command runs or the help lists it, so ``stockbridge worker``
#: starts without the web server, the sandboxes and their OpenAPI validators.
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("stockbridge.cli.db", "db_app"),
    "keys": ("stockbridge.cli.keys", "keys_app"),
    "import": ("stockbridge.cli.imports", "import_app"),
    "stock": ("stockbridge.cli.stock", "stock_app"),
    "sandbox": ("stockbridge.cli.sandbox", "sandbox_app"),
    "channels": ("stockbridge.cli.channels", "channels_app"),
    "sync": ("stockbridge.cli.sync", "sync_app"),
    "orders": ("stockbridge.cli.orders", "orders_app"),
    "serve": ("stockbridge.cli.server", "serve"),
    "worker": ("stockbridge.cli.worker", "worker"),
    "demo": ("stockbridge.cli.server", "demo"),
}


class _Commands(typer.core.TyperGroup):
    """The commands of :data:`COMMANDS`, each built when it is first asked for."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, name: str) -> typer.core.TyperCommand | None:  # type: ignore[override]
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        target = getattr(importlib.import_module(module), attribute)
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
