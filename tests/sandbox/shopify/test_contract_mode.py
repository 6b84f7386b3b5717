"""Contract mode: documents are checked against Shopify's official schema as well as ours."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate

from stockbridge.sandbox.shopify import ShopifySandboxConfig, create_app
from stockbridge.sandbox.shopify.config import CONTRACTS_ENV
from stockbridge.sandbox.shopify.graph import sandbox_schema
from tests.sandbox.servers import serve_in_thread
from tests.sandbox.shopify import contract
from tests.sandbox.shopify.contract import validate_against_official
from tests.sandbox.shopify.shop_client import TOKEN, FakeClock, ShopifyClient

NOT_SHOPIFY = "{ shop { name planName } }"
SHOPIFY_BUT_NOT_SERVED = "{ shop { plan { publicDisplayName } } }"


def test_a_document_shopify_would_reject_is_refused_and_recorded(shopify: ShopifyClient) -> None:
    assert validate(sandbox_schema(), parse(NOT_SHOPIFY)) != []
    assert validate_against_official(NOT_SHOPIFY) != []
    answer = shopify.run(NOT_SHOPIFY)
    assert "data" not in answer
    assert any("planName" in error["message"] for error in answer["errors"])
    listed = shopify.http.get("/_sandbox/contract-violations").json()
    assert [v["document"] for v in listed] == [NOT_SHOPIFY]
    taken = shopify.sandbox.contract_violations.take()
    assert [v.document for v in taken] == [NOT_SHOPIFY]


def test_a_real_shopify_field_the_sandbox_does_not_serve_is_an_error_not_a_violation(
    shopify: ShopifyClient,
) -> None:
    assert validate_against_official(SHOPIFY_BUT_NOT_SERVED) == []
    answer = shopify.run(SHOPIFY_BUT_NOT_SERVED)
    assert any("plan" in error["message"] for error in answer["errors"])
    assert shopify.sandbox.contract_violations.all() == []


@pytest.fixture
def plain_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    monkeypatch.delenv(CONTRACTS_ENV, raising=False)
    app = create_app(ShopifySandboxConfig(access_tokens=frozenset({TOKEN}), clock=FakeClock()))
    assert app.state.sandbox.engine.official is None
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url) as http:
        yield http


def test_without_the_contracts_directory_the_sandbox_runs_with_the_check_off(
    plain_sandbox: httpx.Client,
) -> None:
    headers = {"X-Shopify-Access-Token": TOKEN}
    url = "/admin/api/2025-10/graphql.json"
    ok = plain_sandbox.post(url, json={"query": "{ shop { name } }"}, headers=headers).json()
    assert ok["data"] == {"shop": {"name": "Stockbridge Sandbox"}}
    refused = plain_sandbox.post(url, json={"query": NOT_SHOPIFY}, headers=headers).json()
    assert any("planName" in error["message"] for error in refused["errors"])


def test_a_wrong_contracts_directory_fails_at_start_with_a_clear_message(tmp_path: Path) -> None:
    config = ShopifySandboxConfig(contracts_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="official Admin schema is not at"):
        create_app(config)


def test_without_the_official_file_contract_tests_fail_in_ci_and_skip_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(contract, "CONTRACTS_DIR", tmp_path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI must provide \.\./shared/ref"):
        contract.official_schema()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="not beside the repository"):
        contract.official_schema()
