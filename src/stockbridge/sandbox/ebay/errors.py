"""eBay's error shapes and the error ids the sandbox answers with.

REST API errors are ``{"errors": [{"errorId", "domain", "category", "message", ...}]}``
(the ``Error`` schema of the official OpenAPI files); the OAuth token endpoint answers
RFC 6749 errors instead (``{"error", "error_description"}``). Error ids come from the
``x-response-codes`` of the official files (sell_inventory, sell_fulfillment and
sell_account ``_v1_oas3.json``), and for the ids those files do not list (1001
invalid token, 1100 access denied, 2001 too many requests) from eBay's "Handling
errors" documentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INVENTORY = "API_INVENTORY"
FULFILLMENT = "API_FULFILLMENT"
ACCOUNT = "API_ACCOUNT"
#: Answers that are the sandbox's own, not eBay's (control API, calls not served).
SANDBOX = "SANDBOX"


@dataclass
class EbayError(Exception):
    """An answer in eBay's REST error shape; raised anywhere, rendered by the app."""

    status: int
    error_id: int
    domain: str
    category: str
    message: str
    long_message: str | None = None
    parameters: list[tuple[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "errorId": self.error_id,
            "domain": self.domain,
            "category": self.category,
            "message": self.message,
        }
        if self.long_message:
            error["longMessage"] = self.long_message
        if self.parameters:
            error["parameters"] = [{"name": n, "value": v} for n, v in self.parameters]
        return {"errors": [error]}


@dataclass
class OAuthError(Exception):
    """An answer of the token endpoint: RFC 6749 section 5.2, as eBay sends it."""

    status: int
    error: str
    description: str

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


# --- identity and access (eBay "Handling errors" page) ---------------------------------


def invalid_token() -> EbayError:
    return EbayError(
        401,
        1001,
        "OAuth",
        "REQUEST",
        "Invalid access token",
        "Invalid access token. Check the value of the Authorization HTTP request header.",
    )


def insufficient_scope() -> EbayError:
    return EbayError(
        403,
        1100,
        "ACCESS",
        "REQUEST",
        "Access denied",
        "Insufficient permissions to fulfill the request.",
    )


def too_many_requests() -> EbayError:
    return EbayError(
        429,
        2001,
        "ACCESS",
        "REQUEST",
        "Too many requests. The request limit has been reached for the resource.",
    )


# --- Sell Inventory (x-response-codes of the official file) ---------------------------


def system_error(info: str = "", status: int = 500) -> EbayError:
    return EbayError(
        status, 25001, INVENTORY, "APPLICATION", f"A system error has occurred. {info}"
    )


def user_error(info: str) -> EbayError:
    return EbayError(400, 25002, INVENTORY, "REQUEST", f"A user error has occurred. {info}")


def invalid_value(field_name: str, info: str = "") -> EbayError:
    message = f"Invalid value for {field_name}. {info}".strip()
    return EbayError(400, 25709, INVENTORY, "REQUEST", message, parameters=[("0", field_name)])


def not_found(status: int = 404) -> EbayError:
    return EbayError(
        status,
        25710,
        INVENTORY,
        "REQUEST",
        "We didn't find the resource/entity you are requesting. Please verify the request",
    )


def sku_not_available(sku: str) -> EbayError:
    return EbayError(400, 25702, INVENTORY, "REQUEST", f"SKU {sku} is not available in the system")


def offer_not_available(offer_id: str, status: int = 404) -> EbayError:
    return EbayError(
        status, 25713, INVENTORY, "REQUEST", f"This Offer is not available : {offer_id}."
    )


def too_many_items(limit: int) -> EbayError:
    return EbayError(
        400,
        25727,
        INVENTORY,
        "REQUEST",
        f"The number of InventoryItems in the request cannot exceed {limit}",
    )


def too_many_offers(limit: int) -> EbayError:
    return EbayError(
        400,
        25730,
        INVENTORY,
        "REQUEST",
        f"The number of offers in the request cannot exceed {limit}",
    )


def duplicate_offer() -> EbayError:
    return EbayError(
        400,
        25729,
        INVENTORY,
        "REQUEST",
        "The combination of SKU, marketplaceId and format should be unique.",
    )


def invalid_location(info: str) -> EbayError:
    return EbayError(400, 25012, INVENTORY, "REQUEST", f"Invalid inventory location. {info}")


def location_not_found() -> EbayError:
    return EbayError(404, 25805, INVENTORY, "REQUEST", "merchantLocationKey Not Found.")


def location_exists() -> EbayError:
    return EbayError(409, 25803, INVENTORY, "REQUEST", "merchantLocationKey already exists.")


def missing_field(field_name: str) -> EbayError:
    return EbayError(400, 25801, INVENTORY, "REQUEST", f"Missing field {field_name}.")


# --- Sell Fulfillment and Sell Account (x-response-codes of their official files) -----


def fulfillment_error(
    status: int, error_id: int, message: str, parameters: list[tuple[str, str]] | None = None
) -> EbayError:
    return EbayError(status, error_id, FULFILLMENT, "REQUEST", message, None, parameters or [])


def account_error(status: int, error_id: int, message: str) -> EbayError:
    return EbayError(status, error_id, ACCOUNT, "REQUEST", message)


def invalid_request_for(path: str, reason: str) -> EbayError:
    """A request the contract or the sandbox's models refuse, in the error of its API."""
    if path.startswith("/sell/fulfillment/"):
        return fulfillment_error(400, 32600, f"Invalid input data. {reason}".strip())
    if path.startswith("/sell/account/"):
        return account_error(400, 20403, f"Invalid request. {reason}".strip())
    if path.startswith("/commerce/notification/"):
        # The Notification file lists no error for a malformed request: eBay's common one.
        return EbayError(400, 2004, "ACCESS", "REQUEST", f"Invalid request. {reason}".strip())
    if path.startswith("/_sandbox/"):
        return sandbox_refusal(400, f"Invalid request. {reason}".strip())
    return invalid_value("request", reason)


def system_error_for(path: str, reason: str) -> EbayError:
    """A 500 in the error of the API the call went to (a sandbox answer broke the contract)."""
    if path.startswith("/sell/fulfillment/"):
        return EbayError(500, 30500, FULFILLMENT, "APPLICATION", f"System error. {reason}")
    if path.startswith("/sell/account/"):
        return EbayError(500, 20500, ACCOUNT, "APPLICATION", f"System error. {reason}")
    if path.startswith("/commerce/notification/"):
        return EbayError(500, 195000, "API_NOTIFICATION", "APPLICATION", f"System error. {reason}")
    return system_error(reason)


def sandbox_refusal(status: int, message: str) -> EbayError:
    """A control API call (buyers, ...) the sandbox refuses; errorId 0: not an eBay error."""
    return EbayError(status, 0, SANDBOX, "REQUEST", message)


def not_implemented(call: str) -> EbayError:
    """A call the sandbox does not serve (yet); not an eBay answer, so no eBay errorId."""
    return EbayError(
        501,
        0,
        SANDBOX,
        "APPLICATION",
        f"The stockbridge eBay sandbox does not implement {call}. See docs/sandbox.md.",
    )


def fault_body(status: int, message: str) -> Mapping[str, Any]:
    """The body of an injected fault, shaped as eBay answers that status."""
    if status == 429:
        return too_many_requests().body()
    if status == 401:
        return invalid_token().body()
    if status >= 500:
        return system_error(message, status).body()
    return user_error(message).body()
