"""``/api/ecom/channels``: connecting accounts, settings, secrets at rest, OAuth.

The provider here is a stand-in that answers from its credentials alone: these tests are
about what the API and the channel service do (validation, encryption, masking, status,
the OAuth state), not about a marketplace. The eBay and Shopify adapters are tested
against their sandboxes over HTTP in tests/channels/.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.api.app import create_app
from stockbridge.channels.base import Capabilities, ConnectionInfo, OAuthStart, TokenSet
from stockbridge.channels.registry import ChannelConnection, ProviderRegistry
from stockbridge.db.models import Branch, EcomChannel
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.settings import Settings
from tests.api.conftest import Headers

KEY = Fernet.generate_key().decode()


class StandInCredentials(BaseModel):
    shop: str
    access_token: SecretStr | None = None


class StandInAdapter:
    capabilities = Capabilities(
        max_quantities_per_call=10, max_prices_per_call=10, max_listings_per_call=1,
        pushes_orders=False,
    )  # fmt: skip

    def __init__(self, connection: ChannelConnection) -> None:
        self.connection = connection

    def test_connection(self) -> ConnectionInfo:
        tokens = self.connection.tokens
        if tokens is None or tokens.access_token != "good-token":
            raise ChannelError("token refused", category=ChannelErrorCategory.AUTH_FAILED)
        return ConnectionInfo(account_id="42", account_name=self.connection.credentials["shop"])

    def start_oauth(self, redirect_uri: str, state: str) -> OAuthStart:
        return OAuthStart(url=f"https://marketplace.test/authorize?state={state}", state=state)

    def exchange_code(self, query: Mapping[str, str], redirect_uri: str) -> TokenSet:
        if query.get("code") != "valid-code":
            raise ChannelError("code refused", category=ChannelErrorCategory.AUTH_FAILED)
        return TokenSet(access_token="good-token", refresh_token="refresh-me")


class StandInProvider:
    key = "standin"
    display_name = "Stand-in"
    capabilities = StandInAdapter.capabilities
    credentials_schema = StandInCredentials

    def connect(self, connection: ChannelConnection) -> Any:
        return StandInAdapter(connection)


@pytest.fixture
def app(sessions: sessionmaker[Session]) -> FastAPI:
    providers = ProviderRegistry()
    providers.register(StandInProvider())
    providers._discovered = True  # only the stand-in, no built-in or installed providers
    settings = Settings(encryption_key=KEY, _env_file=None)  # type: ignore[call-arg]
    return create_app(session_factory=sessions, settings=settings, providers=providers)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def branch_ids(sessions: sessionmaker[Session]) -> list[int]:
    with sessions.begin() as session:
        branches = [Branch(code=f"B{n}", name=f"Branch {n}") for n in range(3)]
        session.add_all(branches)
        session.flush()
        return [branch.id for branch in branches]


def _create(client: TestClient, headers: Headers, **fields: Any) -> Any:
    body = {
        "provider": "standin",
        "name": "My shop",
        "currency": "eur",
        "credentials": {"shop": "corner-shop", "access_token": "good-token"},
        **fields,
    }
    return client.post("/api/ecom/channels", json=body, headers=headers)


def test_a_channel_is_tested_saved_and_shown_with_its_secret_masked(
    client: TestClient, admin_headers: Headers, branch_ids: list[int], sessions: sessionmaker
) -> None:
    settings = {"branch_ids": [branch_ids[2], branch_ids[0]], "safety_buffer": 2}
    response = _create(client, admin_headers, settings=settings)

    assert response.status_code == 201, response.text
    channel = response.json()
    assert channel["status"] == "active"
    assert channel["currency"] == "EUR"
    assert channel["connected"] is True
    assert channel["credentials"] == {"shop": "corner-shop", "access_token": "go****en"}
    assert channel["settings"]["branch_ids"] == [branch_ids[2], branch_ids[0]]
    assert channel["settings"]["safety_buffer"] == 2
    assert client.get(f"/api/ecom/channels/{channel['id']}", headers=admin_headers).json() == (
        channel
    )
    with sessions() as session:
        stored = session.get(EcomChannel, channel["id"])
        assert stored is not None
        assert stored.credentials_encrypted
        assert "good-token" not in stored.credentials_encrypted
        assert [link.branch_id for link in stored.branches] == [branch_ids[2], branch_ids[0]]


def test_a_refused_connection_test_saves_nothing(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker
) -> None:
    response = _create(client, admin_headers, credentials={"shop": "x", "access_token": "bad"})

    assert response.status_code == 409
    assert "auth_failed" in response.json()["detail"]
    with sessions() as session:
        assert session.query(EcomChannel).count() == 0


def test_verify_false_saves_without_calling_the_marketplace(
    client: TestClient, admin_headers: Headers
) -> None:
    response = client.post(
        "/api/ecom/channels?verify=false",
        json={"provider": "standin", "name": "Later", "currency": "GBP",
              "credentials": {"shop": "s", "access_token": "bad"}},
        headers=admin_headers,
    )  # fmt: skip

    assert response.status_code == 201
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"provider": "nope"}, "provider"),
        ({"credentials": {"access_token": "good-token"}}, "shop"),
        ({"currency": "EURO"}, "currency"),
        ({"settings": {"safety_buffer": -1}}, "safety_buffer"),
        ({"settings": {"branch_ids": [1, 1]}}, "twice"),
        ({"settings": {"price_rule": {"mode": "percentage"}}}, "percentage"),
        ({"settings": {"branch_ids": [999_999]}}, "branch 999999 does not exist"),
        ({"base_url": "not a url"}, "base_url"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_saves_nothing(
    client: TestClient,
    admin_headers: Headers,
    sessions: sessionmaker,
    fields: dict[str, Any],
    where: str,
) -> None:
    response = _create(client, admin_headers, **fields)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert where in response.text
    with sessions() as session:
        assert session.query(EcomChannel).count() == 0


def test_list_update_test_and_soft_delete(
    client: TestClient, admin_headers: Headers, branch_ids: list[int]
) -> None:
    first = _create(client, admin_headers).json()
    _create(client, admin_headers, name="Second")

    listed = client.get("/api/ecom/channels", headers=admin_headers).json()
    assert (listed["total"], [c["name"] for c in listed["items"]]) == (2, ["My shop", "Second"])

    changed = client.patch(
        f"/api/ecom/channels/{first['id']}",
        json={"name": "Renamed", "settings": {"branch_ids": [branch_ids[1]],
              "price_rule": {"mode": "percentage", "percentage": "12.5"}}},
        headers=admin_headers,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Renamed"
    assert changed.json()["settings"]["price_rule"]["percentage"] == "12.5"

    tested = client.post(f"/api/ecom/channels/{first['id']}/test", headers=admin_headers)
    assert tested.json() == {"ok": True, "account_id": "42", "account_name": "corner-shop",
                             "currency": None}  # fmt: skip

    assert client.delete(f"/api/ecom/channels/{first['id']}", headers=admin_headers).status_code
    assert client.get(f"/api/ecom/channels/{first['id']}", headers=admin_headers).status_code == (
        404
    )
    assert client.get("/api/ecom/channels", headers=admin_headers).json()["total"] == 1


def test_new_credentials_that_fail_the_test_leave_the_old_ones(
    client: TestClient, admin_headers: Headers
) -> None:
    channel = _create(client, admin_headers).json()

    refused = client.patch(
        f"/api/ecom/channels/{channel['id']}",
        json={"credentials": {"shop": "other", "access_token": "bad"}},
        headers=admin_headers,
    )

    assert refused.status_code == 409
    kept = client.get(f"/api/ecom/channels/{channel['id']}", headers=admin_headers).json()
    assert kept["credentials"]["shop"] == "corner-shop"


def test_oauth_connects_a_channel_created_without_tokens(
    client: TestClient, admin_headers: Headers, readonly_headers: Headers
) -> None:
    channel = _create(client, admin_headers, credentials={"shop": "corner-shop"}).json()
    assert (channel["status"], channel["connected"]) == ("auth_required", False)
    start_url = f"/api/ecom/channels/{channel['id']}/oauth/start"
    assert client.get(start_url, headers=readonly_headers).status_code == 403

    started = client.get(start_url, headers=admin_headers).json()
    state = parse_qs(urlsplit(started["authorization_url"]).query)["state"][0]

    wrong_code = client.get(
        "/api/ecom/oauth/standin/callback", params={"code": "nope", "state": state}
    )
    assert wrong_code.status_code == 409
    other_provider = client.get(
        "/api/ecom/oauth/ebay/callback", params={"code": "valid-code", "state": state}
    )
    assert other_provider.status_code == 422

    done = client.get(
        "/api/ecom/oauth/standin/callback", params={"code": "valid-code", "state": state}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["connected"]) == ("active", True)
    assert client.post(f"/api/ecom/channels/{channel['id']}/test", headers=admin_headers).json()[
        "ok"
    ]


def test_without_an_encryption_key_no_channel_is_saved(
    sessions: sessionmaker, admin_headers: Headers
) -> None:
    providers = ProviderRegistry()
    providers.register(StandInProvider())
    providers._discovered = True
    settings = Settings(encryption_key=None, _env_file=None)  # type: ignore[call-arg]
    app = create_app(session_factory=sessions, settings=settings, providers=providers)

    with TestClient(app) as client:
        response = _create(client, admin_headers)

    assert response.status_code == 400
    assert "STOCKBRIDGE_ENCRYPTION_KEY is not set" in response.json()["detail"]
