"""The eBay sandbox: a stateful simulator of the eBay REST APIs stockbridge uses.

``create_app(config)`` builds the ASGI app. So far it serves OAuth (authorize page and
token endpoint), the Sell Inventory, Sell Fulfillment, Sell Account (policy reads) and
Commerce Notification APIs with signed notification deliveries, and simulated buyers
under ``/_sandbox/buyers``; docs/sandbox.md lists what is covered.
"""

from stockbridge.sandbox.ebay.app import create_app
from stockbridge.sandbox.ebay.config import EbaySandboxConfig

__all__ = ["EbaySandboxConfig", "create_app"]
