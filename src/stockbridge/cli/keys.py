"""``stockbridge keys ...``: create, list and revoke API keys (``access/keys`` does the work)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from stockbridge.access import keys
from stockbridge.cli.database import open_session
from stockbridge.db.models import ApiKey, Role
from stockbridge.settings import get_settings

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key, e.g. till-1.")],
    role: Annotated[Role, typer.Option("--role", help="What the key may do.")],
) -> None:
    """Create a key and print it: this is the only time it is shown."""
    with open_session(get_settings()) as session:
        issued = keys.create_key(session, name=name, role=role)
        session.commit()
    key = issued.key
    typer.echo(f"Created API key {key.id} '{key.name}' ({key.role}), prefix {key.prefix}:")
    typer.echo(issued.secret)
    typer.echo("Store it now: it will not be shown again.")


@keys_app.command("list")
def list_() -> None:
    """Show every key (never the secret): id, name, prefix, role, when made, used, revoked."""
    with open_session(get_settings()) as session:
        api_keys = keys.list_keys(session)
    if not api_keys:
        typer.echo("No API keys yet: create one with `stockbridge keys create`.")
        return
    Console().print(keys_table(api_keys))


@keys_app.command("revoke")
def revoke(
    key: Annotated[str, typer.Argument(metavar="ID_OR_PREFIX", help="The key's id or prefix.")],
) -> None:
    """Revoke a key: it stops working at once, and stays listed as revoked."""
    with open_session(get_settings()) as session:
        revoked = keys.revoke_key(session, key.strip())
        session.commit()
    typer.echo(
        f"API key {revoked.id} '{revoked.name}' (prefix {revoked.prefix}) "
        f"is revoked since {_when(revoked.revoked_at)} UTC."
    )


def keys_table(api_keys: list[ApiKey]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.caption = "times in UTC"
    for column in ("id", "name", "prefix", "role", "created", "last used", "revoked"):
        table.add_column(column, no_wrap=column != "name")
    for key in api_keys:
        table.add_row(
            str(key.id),
            key.name,
            key.prefix,
            key.role.value,
            _when(key.created_at),
            _when(key.last_used_at, never="never"),
            _when(key.revoked_at, never="-"),
            style="dim" if key.revoked_at else None,
        )
    return table


def _when(moment: datetime | None, *, never: str = "-") -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else never
