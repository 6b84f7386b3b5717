"""Sell Account: the seeded business policies, and publishOffer checking an offer's policies."""

from __future__ import annotations

import pytest

from stockbridge.sandbox.ebay.config import ACCOUNT_SPEC
from stockbridge.sandbox.ebay.oauth import SELL_ACCOUNT_READONLY, SELL_FULFILLMENT
from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness, StartSandbox
from tests.sandbox.ebay.official import unknown_fields
from tests.sandbox.ebay.shop import ACCOUNT, api, error_id, seller_token

KINDS = [
    (
        "fulfillment_policy",
        "fulfillmentPolicies",
        "fulfillmentPolicyId",
        "FulfillmentPolicyResponse",
    ),
    ("payment_policy", "paymentPolicies", "paymentPolicyId", "PaymentPolicyResponse"),
    ("return_policy", "returnPolicies", "returnPolicyId", "ReturnPolicyResponse"),
]


@pytest.mark.parametrize(("path", "field", "id_field", "schema"), KINDS)
@pytest.mark.parametrize("marketplace", ["EBAY_US", "EBAY_GB", "EBAY_DE"])
def test_each_marketplace_has_policies_of_each_kind(
    ebay: EbayHarness, path: str, field: str, id_field: str, schema: str, marketplace: str
) -> None:
    readonly = ebay.user_token([SELL_ACCOUNT_READONLY])

    listed = api(
        ebay, "GET", f"{ACCOUNT}/{path}", token=readonly, params={"marketplace_id": marketplace}
    )

    assert listed.status_code == 200, listed.text
    policies = listed.json()[field]
    assert policies
    assert listed.json()["total"] == len(policies)
    assert {policy["marketplaceId"] for policy in policies} == {marketplace}
    one = api(ebay, "GET", f"{ACCOUNT}/{path}/{policies[0][id_field]}", token=readonly)
    assert one.json() == policies[0]
    if ebay.sandbox.config.contracts_dir is not None:
        assert unknown_fields(ACCOUNT_SPEC, schema, listed.json()) == []


def test_the_offer_payload_names_the_seeded_gb_policies(ebay: EbayHarness) -> None:
    named = payloads.offer("LAMP-1")["listingPolicies"]
    for path, _, id_field, _ in KINDS:
        answer = api(ebay, "GET", f"{ACCOUNT}/{path}/{named[id_field]}")
        assert answer.json()["marketplaceId"] == "EBAY_GB"


def test_unknown_policy_marketplace_and_scope(ebay: EbayHarness) -> None:
    missing = api(ebay, "GET", f"{ACCOUNT}/return_policy/1234")
    malformed = api(ebay, "GET", f"{ACCOUNT}/payment_policy/abc")
    bad_market = api(ebay, "GET", f"{ACCOUNT}/payment_policy", params={"marketplace_id": "EBAY_XX"})
    no_scope = api(
        ebay,
        "GET",
        f"{ACCOUNT}/payment_policy",
        token=ebay.user_token([SELL_FULFILLMENT]),
        params={"marketplace_id": "EBAY_GB"},
    )

    assert (missing.status_code, error_id(missing)) == (404, 20404)
    assert (malformed.status_code, error_id(malformed)) == (400, 20403)
    assert (bad_market.status_code, error_id(bad_market)) == (400, 20403)
    assert (no_scope.status_code, error_id(no_scope)) == (403, 1100)


def test_missing_marketplace_id(start_sandbox: StartSandbox) -> None:
    plain = start_sandbox(contracts_dir=None)
    answer = api(plain, "GET", f"{ACCOUNT}/fulfillment_policy")
    assert (answer.status_code, error_id(answer)) == (400, 20401)


@pytest.mark.usefixtures("official_contracts")
def test_contract_mode_refuses_a_call_without_the_required_parameter(ebay: EbayHarness) -> None:
    answer = api(ebay, "GET", f"{ACCOUNT}/fulfillment_policy")

    assert (answer.status_code, error_id(answer)) == (400, 20403)
    assert answer.json()["errors"][0]["domain"] == "API_ACCOUNT"
    [violation] = ebay.violations.take()
    assert "marketplace_id" in violation


@pytest.mark.parametrize(
    ("policies", "expected"),
    [
        ({"fulfillmentPolicyId": "999"}, 25035),
        ({"returnPolicyId": "6196943000"}, 25035),  # an EBAY_US policy on an EBAY_GB offer
        ({"paymentPolicyId": "6196930000"}, 25036),  # a fulfilment policy in the payment slot
    ],
)
def test_publish_checks_the_offer_policies(
    ebay: EbayHarness, policies: dict[str, str], expected: int
) -> None:
    token = seller_token(ebay)
    ebay.call("POST", f"/location/{payloads.LOCATION_KEY}", token=token, json=payloads.location())
    ebay.call("PUT", "/inventory_item/LAMP-1", token=token, json=payloads.inventory_item())
    body = payloads.offer("LAMP-1")
    body["listingPolicies"] |= policies
    offer_id = ebay.call("POST", "/offer", token=token, json=body).json()["offerId"]

    answer = ebay.call("POST", f"/offer/{offer_id}/publish", token=token)

    assert (answer.status_code, error_id(answer)) == (400, expected), answer.text
    assert ebay.get_state()["listings"] == {}
