"""Access scopes: which a token holds, and Shopify's ``ACCESS_DENIED`` error when one lacks.

Tokens from the install flow (oauth.py) hold the scopes the merchant granted; the
configured custom-app tokens hold every scope (``ResolveContext.scopes`` is ``None``).
A ``write_`` scope implies its ``read_`` scope, as on Shopify.
"""

from __future__ import annotations

from graphql import GraphQLError

from stockbridge.sandbox.shopify.context import Info

DOCUMENTATION_URL = "https://shopify.dev/api/usage/access-scopes"

#: The scopes the install flow grants; anything else is an undefined scope.
KNOWN_SCOPES = frozenset(
    f"{access}_{resource}"
    for access in ("read", "write")
    for resource in (
        "assigned_fulfillment_orders",
        "customers",
        "fulfillments",
        "inventory",
        "locations",
        "merchant_managed_fulfillment_orders",
        "orders",
        "products",
        "returns",
    )
)


def implied(scopes: frozenset[str]) -> frozenset[str]:
    """The scopes held, with the ``read_`` scope of each ``write_`` scope added."""
    return scopes | {"read_" + s[len("write_") :] for s in scopes if s.startswith("write_")}


def require_scope(info: Info, *accepted: str) -> None:
    """Refuse the field unless the caller's token holds one of ``accepted``."""
    held = info.context.scopes
    if held is None or implied(held) & set(accepted):
        return
    required = f"`{accepted[0]}` access scope."
    raise GraphQLError(
        f"Access denied for {info.field_name} field. Required access: {required}",
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": DOCUMENTATION_URL,
            "requiredAccess": required,
        },
    )
