"""``stockbridge sandbox ebay|shopify``: run a marketplace simulator over HTTP.

The simulators stand in for eBay and Shopify wherever the real ones cannot be reached:
in tests, in the demo, and on a shop owner's machine before any marketplace account
exists. ``docs/sandbox.md`` shows how to drive them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from stockbridge.sandbox.ebay.app import create_app as create_ebay_app
from stockbridge.sandbox.ebay.config import EbaySandboxConfig
from stockbridge.sandbox.shopify.app import create_app as create_shopify_app
from stockbridge.sandbox.shopify.config import ShopifySandboxConfig

sandbox_app = typer.Typer(
    help="Run a marketplace simulator (eBay, Shopify) over HTTP.", no_args_is_help=True
)

Host = Annotated[str, typer.Option(help="Address to listen on.")]
State = Annotated[
    Path | None,
    typer.Option(
        "--state", help="JSON file the sandbox loads at start and saves after each change."
    ),
]
Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
BuyersPerMinute = Annotated[
    float,
    typer.Option(min=0, help="Simulated buyers: random small orders a minute on live listings."),
]
BuyersSeed = Annotated[int, typer.Option(help="Seed of the simulated buyers' choices.")]


TimeScale = Annotated[
    float,
    typer.Option(min=0.0, help="Multiplies eBay's notification retry delays (0.01: 100x faster)."),
]


@sandbox_app.command("ebay")
def ebay(
    port: Port = 8101,
    host: Host = "127.0.0.1",
    state: State = None,
    notification_time_scale: TimeScale = 1.0,
    buyers_per_minute: BuyersPerMinute = 0.0,
    buyers_seed: BuyersSeed = 0,
) -> None:
    """The eBay sandbox: OAuth, Sell Inventory, Fulfillment, Account, Notification; buyers."""
    config = replace(
        EbaySandboxConfig(),
        state_file=state,
        notification_time_scale=notification_time_scale,
        buyers_per_minute=buyers_per_minute,
        buyers_seed=buyers_seed,
    )
    console = Console()
    console.print(f"eBay sandbox on http://{host}:{port}")
    console.print(f"  OAuth client id / secret: {config.client_id} / {config.client_secret}")
    uvicorn.run(create_ebay_app(config), host=host, port=port)


ComplianceUrl = Annotated[
    str | None,
    typer.Option(
        "--compliance-url",
        help="Where customers/data_request, customers/redact and shop/redact are sent.",
    ),
]
WebhookTimeScale = Annotated[
    float,
    typer.Option(
        "--webhook-time-scale",
        min=0.0,
        help="Multiplies webhook retry delays (Shopify's 4 hours: 0.001 for 14 s).",
    ),
]


@sandbox_app.command("shopify")
def shopify(
    port: Port = 8102,
    host: Host = "127.0.0.1",
    state: State = None,
    compliance_url: ComplianceUrl = None,
    webhook_time_scale: WebhookTimeScale = 1.0,
) -> None:
    """The Shopify sandbox: the GraphQL Admin API (2025-10) of one shop."""
    config = replace(
        ShopifySandboxConfig(),
        state_file=state,
        compliance_webhook_url=compliance_url,
        webhook_time_scale=webhook_time_scale,
    )
    console = Console()
    console.print(f"Shopify sandbox on http://{host}:{port}/admin/api/2025-10/graphql.json")
    console.print(f"  X-Shopify-Access-Token: {', '.join(sorted(config.access_tokens))}")
    console.print(f"  webhooks signed with client secret: {config.client_secret}")
    uvicorn.run(create_shopify_app(config), host=host, port=port)
