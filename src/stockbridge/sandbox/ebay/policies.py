"""The business policies a fresh eBay sandbox seller has: fulfilment, payment, return.

A real seller opted in to business policies has a few of each per marketplace; listings
name one of each (``listingPolicies`` on the offer). The sandbox seeds the same for
EBAY_US, EBAY_GB and EBAY_DE: a free standard and a paid express fulfilment policy, one
payment policy (immediate payment, eBay-managed methods), and a 30-day and a no-returns
return policy. Bodies are the official ``FulfillmentPolicy`` / ``PaymentPolicy`` /
``ReturnPolicy`` JSON (sell_account_v1_oas3.json), kept as JSON in the state. Ids are
fixed so that examples and tests can name them.
"""

from __future__ import annotations

from typing import Any, Literal

PolicyKind = Literal["fulfillment", "payment", "return"]
#: kind -> policy id -> policy JSON.
PolicyTable = dict[str, dict[str, dict[str, Any]]]
#: The field holding a policy's id, per kind (official names).
ID_FIELD: dict[str, str] = {
    "fulfillment": "fulfillmentPolicyId",
    "payment": "paymentPolicyId",
    "return": "returnPolicyId",
}

_GOODS = [{"name": "ALL_EXCLUDING_MOTORS_VEHICLES"}]


def _money(currency: str, value: str) -> dict[str, str]:
    return {"currency": currency, "value": value}


#: marketplace -> (currency, country, first id digits, standard and express services).
_MARKETS: dict[str, tuple[str, str, int, tuple[str, str, str], tuple[str, str, str]]] = {
    "EBAY_US": (
        "USD",
        "US",
        6196940000,
        ("USPS", "USPSPriority", "0.00"),
        ("USPS", "USPSPriorityMailExpress", "24.95"),
    ),
    "EBAY_GB": (
        "GBP",
        "GB",
        6196930000,
        ("RoyalMail", "UK_RoyalMailSecondClassStandard", "0.00"),
        ("RoyalMail", "UK_RoyalMailSpecialDeliveryNextDay", "7.95"),
    ),
    "EBAY_DE": (
        "EUR",
        "DE",
        6196950000,
        ("DHL", "DE_DHLPaket", "0.00"),
        ("DHL", "DE_DHLExpress", "9.90"),
    ),
}

#: The currency buyers pay in on each seeded marketplace.
CURRENCY_BY_MARKETPLACE = {market: facts[0] for market, facts in _MARKETS.items()}


def _fulfillment(
    policy_id: str, market: str, name: str, service: tuple[str, str, str], days: int
) -> dict[str, Any]:
    currency, country = _MARKETS[market][0], _MARKETS[market][1]
    carrier, code, cost = service
    return {
        "fulfillmentPolicyId": policy_id,
        "name": name,
        "description": f"{name} delivery within {country}",
        "marketplaceId": market,
        "categoryTypes": _GOODS,
        "handlingTime": {"unit": "DAY", "value": days},
        "freightShipping": False,
        "localPickup": False,
        "pickupDropOff": False,
        "globalShipping": False,
        "shippingOptions": [
            {
                "optionType": "DOMESTIC",
                "costType": "FLAT_RATE",
                "shippingServices": [
                    {
                        "sortOrder": 1,
                        "shippingCarrierCode": carrier,
                        "shippingServiceCode": code,
                        "shippingCost": _money(currency, cost),
                        "freeShipping": cost == "0.00",
                        "buyerResponsibleForShipping": False,
                        "buyerResponsibleForPickup": False,
                    }
                ],
            }
        ],
        "shipToLocations": {"regionIncluded": [{"regionName": country, "regionType": "COUNTRY"}]},
    }


def _return(policy_id: str, market: str, accepted: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "returnPolicyId": policy_id,
        "name": "30-day returns" if accepted else "No returns",
        "marketplaceId": market,
        "categoryTypes": _GOODS,
        "returnsAccepted": accepted,
    }
    if accepted:
        body |= {
            "description": "Returns accepted within 30 days, buyer pays return postage",
            "returnPeriod": {"unit": "DAY", "value": 30},
            "returnShippingCostPayer": "BUYER",
            "refundMethod": "MONEY_BACK",
        }
    return body


def default_policies() -> PolicyTable:
    """Every seeded policy, by kind and id (a new table each call: state mutates it)."""
    table: PolicyTable = {"fulfillment": {}, "payment": {}, "return": {}}
    for market, (_, _, base, standard, express) in _MARKETS.items():
        ids = [str(base + offset) for offset in (0, 1, 2000, 3000, 3001)]
        table["fulfillment"][ids[0]] = _fulfillment(ids[0], market, "Standard", standard, 1)
        table["fulfillment"][ids[1]] = _fulfillment(ids[1], market, "Express", express, 0)
        table["payment"][ids[2]] = {
            "paymentPolicyId": ids[2],
            "name": "Immediate payment",
            "description": "Payment through eBay, due at purchase",
            "marketplaceId": market,
            "categoryTypes": _GOODS,
            "immediatePay": True,
            "paymentMethods": [],
        }
        table["return"][ids[3]] = _return(ids[3], market, accepted=True)
        table["return"][ids[4]] = _return(ids[4], market, accepted=False)
    return table
