"""Channel settings: conflict policies per field, and stored configs from before them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stockbridge.commerce.channel_schemas import ChannelSettings, ConflictPolicies
from stockbridge.statuses import ConflictPolicy


def test_a_new_channel_lets_the_store_win_and_reconciles_every_quarter_hour() -> None:
    settings = ChannelSettings()
    assert settings.conflicts.quantity is ConflictPolicy.STORE_WINS
    assert settings.conflicts.price is ConflictPolicy.STORE_WINS
    assert settings.sync.inventory_reconcile_minutes == 15


@pytest.mark.parametrize("price", ["store_wins", "marketplace_wins"])
def test_a_config_stored_before_quantity_policies_still_reads(price: str) -> None:
    stored = {"price": price, "oversell": "cancel_order"}
    policies = ConflictPolicies.model_validate(stored)
    assert policies.price == price
    assert policies.quantity is ConflictPolicy.STORE_WINS


def test_manual_is_a_policy_and_an_unknown_one_is_refused() -> None:
    assert ConflictPolicies(quantity=ConflictPolicy.MANUAL).quantity == "manual"
    with pytest.raises(ValidationError):
        ConflictPolicies.model_validate({"quantity": "coin_toss"})
