"""The seller's business policies, read from the Sell Account API."""

from __future__ import annotations

from tests.channels.ebay.conftest import POLICIES, Connected, calls, connect
from tests.sandbox.ebay.conftest import EbayHarness


def test_each_kind_of_policy_on_the_marketplace_is_read(
    connected: Connected, shop: EbayHarness
) -> None:
    policies = connected.adapter.policies()

    assert set(policies) == {"fulfillment", "payment", "return"}
    for kind, policy_id in POLICIES.items():
        assert policy_id in {policy.policy_id for policy in policies[kind]}
    assert all(
        policy.marketplace_id == "EBAY_GB" and policy.name and policy.kind == kind
        for kind, found in policies.items()
        for policy in found
    )
    assert calls(shop)["getFulfillmentPolicies"] == 1


def test_another_marketplace_has_its_own_policies(shop: EbayHarness) -> None:
    gb = connect(shop).adapter.policies()
    us = connect(shop, marketplace_id="EBAY_US").adapter.policies()

    gb_ids = {p.policy_id for found in gb.values() for p in found}
    us_ids = {p.policy_id for found in us.values() for p in found}
    assert us_ids
    assert not gb_ids & us_ids
    assert all(p.marketplace_id == "EBAY_US" for found in us.values() for p in found)
