"""``stockbridge stock ...``: what a product code has in stock, per branch and condition."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from stockbridge.cli.database import open_session
from stockbridge.db.models import Condition, ProductCode, ProductCodeVersion
from stockbridge.money import format_minor_units
from stockbridge.pos import catalog
from stockbridge.settings import get_settings

stock_app = typer.Typer(help="Stock per branch and condition.", no_args_is_help=True)

_CONDITION_ORDER = {condition: position for position, condition in enumerate(Condition)}


@stock_app.command("show")
def show(sku: Annotated[str, typer.Argument(help="The product code's SKU.")]) -> None:
    """Stock of one SKU: on hand, reserved, available and price per version, with totals."""
    with open_session(get_settings()) as session:
        product = catalog.get_product_code_by_sku(session, sku.strip())
        table = stock_table(product)
    Console().print(table)


def stock_table(product: ProductCode) -> Table:
    versions = sorted(
        product.versions, key=lambda v: (v.branch.code, _CONDITION_ORDER[v.condition])
    )
    table = Table(
        title=f"{product.sku}  {product.name}",
        caption=_caption(product, versions),
        show_footer=bool(versions),
        box=box.SIMPLE,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("branch", footer="total")
    table.add_column("condition", no_wrap=True)
    for label, amount in _totals(versions).items():
        table.add_column(label, footer=str(amount), justify="right", no_wrap=True)
    table.add_column("price", justify="right", no_wrap=True)
    for version in versions:
        table.add_row(
            f"{version.branch.code} {version.branch.name}",
            version.condition.value,
            str(version.qty_on_hand),
            str(version.qty_reserved),
            str(version.qty_available),
            _price(version, product),
        )
    return table


def _totals(versions: list[ProductCodeVersion]) -> dict[str, int]:
    return {
        "on hand": sum(version.qty_on_hand for version in versions),
        "reserved": sum(version.qty_reserved for version in versions),
        "available": sum(version.qty_available for version in versions),
    }


def _price(version: ProductCodeVersion, product: ProductCode) -> str:
    cents = product.price_cents if version.price_cents is None else version.price_cents
    marker = "" if version.price_cents is None else " *"
    return f"{format_minor_units(cents, product.currency)} {product.currency}{marker}"


def _caption(product: ProductCode, versions: list[ProductCodeVersion]) -> str:
    price = f"{format_minor_units(product.price_cents, product.currency)} {product.currency}"
    parts = [f"price {price}"]
    if any(version.price_cents is not None for version in versions):
        parts.append("* = own price of that version")
    if not versions:
        parts.append("no stock recorded in any branch")
    if not product.active:
        parts.append("inactive")
    return "; ".join(parts)
