"""Invariants of what a subscription does to a payload: ``includeFields`` only ever keeps
fields (never invents or changes one) and the signature holds for exactly the bytes sent."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockbridge.sandbox.shopify.webhook_delivery import shopify_hmac, webhook_body
from stockbridge.sandbox.shopify.webhook_filter import filter_matches, include_fields
from tests.sandbox.shopify.webhook_receiver import verify_shopify_hmac

KEYS = st.sampled_from(["id", "sku", "available", "line_items", "updated_at", "note"])
SCALARS = st.none() | st.booleans() | st.integers() | st.text("abc-é", max_size=4)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)
PAYLOADS = st.dictionaries(KEYS, VALUES, max_size=4)
#: Few, small examples: the suite stays fast on a busy machine.
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(PAYLOADS, st.lists(KEYS, max_size=4))
def test_top_level_include_fields_keep_exactly_the_named_fields(
    payload: dict[str, Any], fields: list[str]
) -> None:
    kept = include_fields(payload, fields)
    if not fields:
        assert kept == payload
    else:
        assert kept == {key: payload[key] for key in payload if key in fields}


@FAST
@given(PAYLOADS, KEYS, KEYS)
def test_nested_include_fields_never_add_a_field(
    payload: dict[str, Any], outer: str, inner: str
) -> None:
    kept = include_fields(payload, [f"{outer}.{inner}"])
    assert set(kept) <= {outer}
    if outer in kept and isinstance(payload[outer], dict):
        assert set(kept[outer]) <= {inner}


@FAST
@given(PAYLOADS, st.text("ks3!", min_size=1, max_size=8))
def test_the_signature_verifies_the_body_and_nothing_else(
    payload: dict[str, Any], secret: str
) -> None:
    body = webhook_body(payload)
    signature = shopify_hmac(secret, body)
    assert verify_shopify_hmac(secret, body, signature)
    assert not verify_shopify_hmac(secret, body + b" ", signature)


@FAST
@given(st.integers(min_value=-1000, max_value=1000), st.integers(min_value=-1000, max_value=1000))
def test_a_numeric_filter_agrees_with_arithmetic(available: int, bound: int) -> None:
    payload = {"available": available}
    assert filter_matches(f"available:<={bound}", payload) == (available <= bound)
    assert filter_matches(f"available:>{bound}", payload) == (available > bound)
    assert filter_matches(f"-available:{bound}", payload) == (available != bound)
