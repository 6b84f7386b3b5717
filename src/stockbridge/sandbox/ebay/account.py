"""Sell Account API: reading the seller's fulfilment, payment and return policies.

Paths, parameters and bodies follow sell_account_v1_oas3.json (base path
``/sell/account/v1``). The policies are those in the state (seeded per marketplace,
see policies.py); publishOffer checks an offer's ``listingPolicies`` against them
(:func:`check_listing_policies`). Reads take ``sell.account`` or
``sell.account.readonly``. Errors are the file's: 20401 missing ``marketplace_id``,
20403 an invalid one or a malformed id, 404 with 20404 for a policy that is not there.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.oauth import SELL_ACCOUNT, SELL_ACCOUNT_READONLY, require_scope
from stockbridge.sandbox.ebay.policies import ID_FIELD

BASE_PATH = "/sell/account/v1"
READ = [Depends(require_scope(SELL_ACCOUNT, SELL_ACCOUNT_READONLY))]
#: The MarketplaceIdEnum values a seller can hold policies on (eBay's list).
MARKETPLACES = frozenset(
    {
        "EBAY_AT",
        "EBAY_AU",
        "EBAY_BE",
        "EBAY_CA",
        "EBAY_CH",
        "EBAY_DE",
        "EBAY_ES",
        "EBAY_FR",
        "EBAY_GB",
        "EBAY_HK",
        "EBAY_IE",
        "EBAY_IN",
        "EBAY_IT",
        "EBAY_MY",
        "EBAY_NL",
        "EBAY_PH",
        "EBAY_PL",
        "EBAY_SG",
        "EBAY_TW",
        "EBAY_US",
    }
)
#: Collection field of each kind's list answer (official names).
LIST_FIELD = {
    "fulfillment": "fulfillmentPolicies",
    "payment": "paymentPolicies",
    "return": "returnPolicies",
}

router = APIRouter(
    prefix=BASE_PATH, tags=["eBay Sell Account"], dependencies=[Depends(operation_from_route_name)]
)


def _policies(sandbox: EbaySandbox, kind: str, marketplace_id: str | None) -> JSONResponse:
    if not marketplace_id:
        raise errors.account_error(400, 20401, "Missing field marketplace_id.")
    if marketplace_id not in MARKETPLACES:
        raise errors.account_error(400, 20403, f"Invalid marketplace_id. {marketplace_id}")
    with sandbox.store.lock:
        chosen = [
            dict(policy)
            for policy in sandbox.store.state.policies.get(kind, {}).values()
            if policy.get("marketplaceId") == marketplace_id
        ]
    # eBay marks href/limit/next/offset/prev "for future use": only the list and total.
    return JSONResponse({LIST_FIELD[kind]: chosen, "total": len(chosen)})


def _policy(sandbox: EbaySandbox, kind: str, policy_id: str) -> JSONResponse:
    field = ID_FIELD[kind]
    if not policy_id.isdigit():
        raise errors.account_error(400, 20403, f"Invalid {field}.")
    with sandbox.store.lock:
        policy = sandbox.store.state.policies.get(kind, {}).get(policy_id)
        found = dict(policy) if policy is not None else None
    if found is None:
        raise errors.account_error(404, 20404, f"{field} not found.")
    return JSONResponse(found)


def check_listing_policies(sandbox: EbaySandbox, marketplace_id: str, policies: Any) -> None:
    """publishOffer: each of the offer's policy ids names a policy of that kind there.

    Call under the store lock. eBay answers 25035 for an id it has no policy for on the
    offer's marketplace, and 25036 when the id is a policy of another kind.
    """
    named = policies if isinstance(policies, dict) else {}
    for kind, field in ID_FIELD.items():
        policy_id = str(named.get(field) or "")
        policy = sandbox.store.state.policies.get(kind, {}).get(policy_id)
        if policy is not None and policy.get("marketplaceId") == marketplace_id:
            continue
        other_kind = next(
            (other for other, table in sandbox.store.state.policies.items() if policy_id in table),
            None,
        )
        if other_kind is not None and other_kind != kind:
            raise EbayError(
                400,
                25036,
                errors.INVENTORY,
                "REQUEST",
                f"The policy(ies) {policy_id} is not of type {kind.upper()}_POLICY",
                parameters=[("PolicyId", policy_id)],
            )
        raise EbayError(
            400,
            25035,
            errors.INVENTORY,
            "REQUEST",
            "The specified policy is not found for the market place",
            parameters=[(field, policy_id)],
        )


MarketplaceId = str | None


@router.get("/fulfillment_policy", name="getFulfillmentPolicies", dependencies=READ)
def get_fulfillment_policies(
    sandbox: SandboxDep, marketplace_id: MarketplaceId = None
) -> JSONResponse:
    return _policies(sandbox, "fulfillment", marketplace_id)


@router.get(
    "/fulfillment_policy/{fulfillmentPolicyId}", name="getFulfillmentPolicy", dependencies=READ
)
def get_fulfillment_policy(
    sandbox: SandboxDep, policy_id: Annotated[str, Path(alias="fulfillmentPolicyId")]
) -> JSONResponse:
    return _policy(sandbox, "fulfillment", policy_id)


@router.get("/payment_policy", name="getPaymentPolicies", dependencies=READ)
def get_payment_policies(sandbox: SandboxDep, marketplace_id: MarketplaceId = None) -> JSONResponse:
    return _policies(sandbox, "payment", marketplace_id)


@router.get("/payment_policy/{payment_policy_id}", name="getPaymentPolicy", dependencies=READ)
def get_payment_policy(
    sandbox: SandboxDep, policy_id: Annotated[str, Path(alias="payment_policy_id")]
) -> JSONResponse:
    return _policy(sandbox, "payment", policy_id)


@router.get("/return_policy", name="getReturnPolicies", dependencies=READ)
def get_return_policies(sandbox: SandboxDep, marketplace_id: MarketplaceId = None) -> JSONResponse:
    return _policies(sandbox, "return", marketplace_id)


@router.get("/return_policy/{return_policy_id}", name="getReturnPolicy", dependencies=READ)
def get_return_policy(
    sandbox: SandboxDep, policy_id: Annotated[str, Path(alias="return_policy_id")]
) -> JSONResponse:
    return _policy(sandbox, "return", policy_id)
