"""``stockbridge channels ...``: the connected marketplace accounts, and their secrets' key."""

from __future__ import annotations

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from stockbridge.cli.database import open_session
from stockbridge.commerce import channels
from stockbridge.settings import get_settings
from stockbridge.vault import Vault

channels_app = typer.Typer(help="Marketplace channels: list, rotate secrets.", no_args_is_help=True)


@channels_app.command("list")
def list_() -> None:
    """Show every channel: id, provider, name, status, last sync, last error."""
    with open_session(get_settings()) as session:
        rows, _ = channels.list_channels(session, page=1, per_page=1_000)
    if not rows:
        typer.echo("No channels yet: connect one with POST /api/ecom/channels.")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for heading in ("id", "provider", "name", "status", "last sync", "last error"):
        table.add_column(heading)
    for channel in rows:
        synced = channel.last_sync_at.strftime("%Y-%m-%d %H:%M") if channel.last_sync_at else "-"
        table.add_row(
            str(channel.id), channel.provider, channel.name, channel.status.value, synced,
            channel.last_error or "",
        )  # fmt: skip
    Console().print(table)


@channels_app.command("rotate-secrets")
def rotate_secrets() -> None:
    """Re-encrypt every channel's credentials with the first STOCKBRIDGE_ENCRYPTION_KEY.

    Put the new key first, run this, then remove the old key.
    """
    settings = get_settings()
    with open_session(settings) as session:
        rotated = channels.rotate_secrets(session, Vault(settings.encryption_key))
        session.commit()
    typer.echo(f"Re-encrypted the secrets of {rotated} channel(s) with the newest key.")
