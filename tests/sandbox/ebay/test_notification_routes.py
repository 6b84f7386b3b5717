"""Commerce Notification API routes: topics, keys, config, destinations, subscriptions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from stockbridge.sandbox.ebay.oauth import SELL_INVENTORY
from stockbridge.sandbox.ebay.topics import SUBSCRIPTION_READONLY_SCOPE
from tests.sandbox.contracts import CONTRACTS_DIR, contracts_present
from tests.sandbox.ebay.conftest import FakeClock, StartSandbox, running_sandbox
from tests.sandbox.ebay.notify_client import (
    ACCOUNT_DELETION,
    Notify,
    app_token,
    destination_body,
    subscription_body,
)
from tests.sandbox.ebay.notify_receiver import Receiver, running_receiver

USER_TOPIC = "ORDER_CONFIRMATION"


@pytest.fixture
def notify(start_sandbox: StartSandbox) -> Notify:
    ebay = start_sandbox()
    return Notify(ebay, app_token(ebay))


@pytest.fixture(scope="module")
def served_receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(notify: Notify, served_receiver: Receiver) -> Receiver:
    """The module's receiver, fresh, checking this test's sandbox."""
    return served_receiver.rebind(notify.ebay.base_url, notify.app_token)


@dataclass
class Shared:
    """One configured sandbox with a destination, for tests that only get refused."""

    notify: Notify
    receiver: Receiver
    destination_id: str


@pytest.fixture(scope="module")
def shared() -> Iterator[Shared]:
    # Refusals change nothing, so these tests share one sandbox and save a server start
    # per case; the contract check at exit still covers every call they made.
    with running_sandbox(
        FakeClock(), contracts_dir=CONTRACTS_DIR if contracts_present() else None
    ) as ebay:
        notify = Notify(ebay, app_token(ebay))
        notify.configure()
        with running_receiver(ebay.base_url, notify.app_token) as receiver:
            yield Shared(notify, receiver, notify.destination(receiver.url))


def without_nones(body: dict[str, Any]) -> dict[str, Any]:
    """A field set to None here is left out of the request (null breaks the contract)."""
    return {key: value for key, value in body.items() if value is not None}


def error_of(answer: httpx.Response) -> tuple[int, int]:
    error: dict[str, Any] = answer.json()["errors"][0]
    assert error["domain"] in {"API_NOTIFICATION", "OAuth", "ACCESS"}, error
    return answer.status_code, int(error["errorId"])


# --- topics, keys, auth ---------------------------------------------------------------


def test_topics_list_and_one_topic(notify: Notify) -> None:
    listed = notify.call("GET", "/topic", params={"limit": "10"}).json()
    ids = [topic["topicId"] for topic in listed["topics"]]
    assert ACCOUNT_DELETION in ids
    assert listed["total"] == len(ids)
    assert "next" not in listed

    topic = notify.call("GET", f"/topic/{ACCOUNT_DELETION}").json()
    assert topic["scope"] == "APPLICATION"
    assert topic["supportedPayloads"][0] == {
        "schemaVersion": "1.0",
        "format": ["JSON"],
        "deliveryProtocol": "HTTPS",
        "deprecated": False,
    }
    assert error_of(notify.call("GET", "/topic/NO_SUCH_TOPIC")) == (404, 195002)


@pytest.mark.parametrize(
    ("params", "error_id"),
    [
        ({"limit": "9"}, 195004),
        ({"limit": "101"}, 195004),
        ({"limit": "x"}, 195004),
        ({"continuation_token": "garbage!"}, 195005),
    ],
)
def test_bad_paging_is_refused(shared: Shared, params: dict[str, str], error_id: int) -> None:
    for path in ("/topic", "/destination", "/subscription"):
        assert error_of(shared.notify.call("GET", path, params=params)) == (400, error_id)


def test_tokens_are_checked(notify: Notify) -> None:
    assert error_of(notify.call("GET", "/topic", token="not-a-token")) == (401, 1001)
    assert notify.ebay.http.get("/commerce/notification/v1/topic").status_code == 401
    inventory_only = notify.ebay.user_token([SELL_INVENTORY])
    assert error_of(notify.call("GET", "/topic", token=inventory_only)) == (403, 1100)
    assert error_of(notify.call("GET", "/subscription", token=inventory_only)) == (403, 1100)


def test_public_key_is_served_by_id(notify: Notify) -> None:
    kid = notify.ebay.app.state.ebay_notifications.signing_key().key_id
    served = notify.call("GET", f"/public_key/{kid}").json()
    assert set(served) == {"algorithm", "digest", "key"}
    assert served["key"].endswith("-----END PUBLIC KEY-----")
    assert error_of(notify.call("GET", "/public_key/unknown")) == (404, 195001)


# --- config -------------------------------------------------------------------------


def test_config_holds_the_alert_email(notify: Notify) -> None:
    assert error_of(notify.call("GET", "/config")) == (404, 195026)
    for bad in ({}, {"alertEmail": "not an address"}, {"alertEmail": "<b>@x.y"}):
        assert error_of(notify.call("PUT", "/config", json=bad)) == (400, 195025)

    notify.configure("ops@shop.example")

    assert notify.call("GET", "/config").json() == {"alertEmail": "ops@shop.example"}


# --- destinations -------------------------------------------------------------------


def test_destinations_need_the_config_first(notify: Notify, receiver: Receiver) -> None:
    assert error_of(notify.create_destination(receiver.url)) == (409, 195003)
    assert receiver.challenges == 0


def test_a_right_challenge_answer_creates_the_destination(
    notify: Notify, receiver: Receiver
) -> None:
    notify.configure()

    answer = notify.create_destination(receiver.url)

    assert answer.status_code == 201
    assert receiver.challenges == 1
    destination_id = answer.headers["Location"].rsplit("/", 1)[-1]
    assert answer.headers["Location"].endswith(
        f"/commerce/notification/v1/destination/{destination_id}"
    )
    got = notify.call("GET", f"/destination/{destination_id}").json()
    assert got == {"destinationId": destination_id, **destination_body(receiver.url)}
    listed = notify.call("GET", "/destination").json()
    assert [d["destinationId"] for d in listed["destinations"]] == [destination_id]


def test_a_wrong_challenge_answer_saves_nothing(notify: Notify, receiver: Receiver) -> None:
    notify.configure()
    receiver.wrong_challenge = True

    assert error_of(notify.create_destination(receiver.url)) == (409, 195020)

    assert receiver.challenges == 1
    assert notify.call("GET", "/destination").json()["total"] == 0


def test_an_unreachable_endpoint_fails_the_challenge(notify: Notify) -> None:
    notify.configure()
    answer = notify.create_destination("http://127.0.0.1:9/nothing-listens-here")
    assert error_of(answer) == (409, 195020)


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"name": "x" * 65}, 195016),
        ({"name": "<script>"}, 195016),
        ({"name": None}, 195016),
        ({"status": "MARKED_DOWN"}, 195018),
        ({"status": None}, 195018),
        ({"deliveryConfig": {"verificationToken": "a" * 40}}, 195017),
        ({"deliveryConfig": {"endpoint": "ftp://x", "verificationToken": "a" * 40}}, 195017),
        (
            {"deliveryConfig": {"endpoint": "https://x.example", "verificationToken": "short"}},
            195019,
        ),
        (
            {"deliveryConfig": {"endpoint": "https://x.example", "verificationToken": "a b" * 20}},
            195019,
        ),
    ],
)
def test_invalid_destinations_are_refused(
    shared: Shared, change: dict[str, Any], error_id: int
) -> None:
    notify, challenges = shared.notify, shared.receiver.challenges
    body = without_nones(destination_body(shared.receiver.url + "?new=1") | change)
    assert error_of(notify.call("POST", "/destination", json=body)) == (400, error_id)
    assert shared.receiver.challenges == challenges
    assert notify.call("GET", "/destination").json()["total"] == 1


def test_one_destination_per_endpoint(notify: Notify, receiver: Receiver) -> None:
    notify.configure()
    notify.destination(receiver.url)
    assert error_of(notify.create_destination(receiver.url)) == (409, 195021)


def test_destinations_page_with_a_continuation_token(notify: Notify, receiver: Receiver) -> None:
    notify.configure()
    for n in range(12):
        notify.destination(f"{receiver.url}?shop={n}")

    first = notify.call("GET", "/destination", params={"limit": "10"}).json()
    assert (first["total"], len(first["destinations"])) == (12, 10)
    second = notify.ebay.http.get(
        first["next"], headers={"Authorization": f"Bearer {notify.app_token}"}
    ).json()
    assert len(second["destinations"]) == 2
    assert "next" not in second
    seen = {d["destinationId"] for d in first["destinations"] + second["destinations"]}
    assert len(seen) == 12


def test_update_challenges_again_and_keeps_the_old_on_failure(
    notify: Notify, receiver: Receiver
) -> None:
    notify.configure()
    destination_id = notify.destination(receiver.url)
    renamed = destination_body(receiver.url) | {"name": "Renamed", "status": "DISABLED"}

    assert notify.call("PUT", f"/destination/{destination_id}", json=renamed).status_code == 204
    assert receiver.challenges == 2
    assert notify.call("GET", f"/destination/{destination_id}").json()["name"] == "Renamed"

    receiver.wrong_challenge = True
    again = renamed | {"name": "Never"}
    answer = notify.call("PUT", f"/destination/{destination_id}", json=again)
    assert error_of(answer) == (409, 195020)
    assert notify.call("GET", f"/destination/{destination_id}").json()["name"] == "Renamed"
    assert error_of(notify.call("PUT", "/destination/404", json=renamed)) == (404, 195022)


def test_only_an_unused_disabled_destination_can_be_deleted(
    notify: Notify, receiver: Receiver
) -> None:
    notify.configure()
    destination_id = notify.destination(receiver.url)
    subscription_id = notify.subscribe(destination_id)
    path = f"/destination/{destination_id}"

    assert error_of(notify.call("DELETE", path)) == (409, 195024)  # enabled
    disabled = destination_body(receiver.url) | {"status": "DISABLED"}
    notify.call(
        "PUT",
        f"/subscription/{subscription_id}",
        json=subscription_body(destination_id) | {"status": "DISABLED"},
    )
    assert notify.call("PUT", path, json=disabled).status_code == 204
    assert error_of(notify.call("DELETE", path)) == (409, 195024)  # still named

    assert notify.call("DELETE", f"/subscription/{subscription_id}").status_code == 204
    assert notify.call("DELETE", path).status_code == 204
    assert error_of(notify.call("GET", path)) == (404, 195022)
    assert error_of(notify.call("DELETE", path)) == (404, 195022)


# --- subscriptions ------------------------------------------------------------------


@pytest.fixture
def destination_id(notify: Notify, receiver: Receiver) -> str:
    notify.configure()
    return notify.destination(receiver.url)


def test_subscription_round_trip(notify: Notify, destination_id: str) -> None:
    subscription_id = notify.subscribe(destination_id)
    path = f"/subscription/{subscription_id}"

    got = notify.call("GET", path).json()
    assert got["topicId"] == ACCOUNT_DELETION
    assert got["status"] == "ENABLED"
    assert got["destinationId"] == destination_id
    assert got["creationDate"].endswith("Z")
    assert notify.call("GET", "/subscription").json()["subscriptions"] == [got]

    assert notify.call("POST", f"{path}/disable").status_code == 204
    assert notify.call("GET", path).json()["status"] == "DISABLED"
    assert notify.call("POST", f"{path}/enable").status_code == 204
    assert notify.call("DELETE", path).status_code == 204
    for method, suffix in [("GET", ""), ("DELETE", ""), ("POST", "/enable"), ("POST", "/test")]:
        assert error_of(notify.call(method, path + suffix)) == (404, 195013)


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"topicId": "NO_SUCH_TOPIC"}, 195027),
        ({"topicId": None}, 195027),
        ({"status": "PAUSED"}, 195006),
        (
            {"payload": {"format": "JSON", "schemaVersion": "9.9", "deliveryProtocol": "HTTPS"}},
            195008,
        ),
        ({"payload": None}, 195008),
        (
            {"payload": {"format": "XML", "schemaVersion": "1.0", "deliveryProtocol": "HTTPS"}},
            195009,
        ),
        (
            {"payload": {"format": "JSON", "schemaVersion": "1.0", "deliveryProtocol": "SQS"}},
            195010,
        ),
        ({"destinationId": "404"}, 195007),
        ({"destinationId": None}, 195007),
    ],
)
def test_invalid_subscriptions_are_refused(
    shared: Shared, change: dict[str, Any], error_id: int
) -> None:
    notify = shared.notify
    body = without_nones(subscription_body(shared.destination_id) | change)
    answer = notify.call("POST", "/subscription", json=body)
    assert error_of(answer) == (400, error_id)
    assert notify.call("GET", "/subscription").json()["total"] == 0


def test_one_subscription_per_topic_and_schema_version(notify: Notify, destination_id: str) -> None:
    notify.subscribe(destination_id)
    answer = notify.call("POST", "/subscription", json=subscription_body(destination_id))
    assert error_of(answer) == (409, 195012)


def test_an_enabled_subscription_needs_an_enabled_destination(
    notify: Notify, receiver: Receiver, destination_id: str
) -> None:
    disabled = destination_body(receiver.url) | {"status": "DISABLED"}
    notify.call("PUT", f"/destination/{destination_id}", json=disabled)

    answer = notify.call("POST", "/subscription", json=subscription_body(destination_id))
    assert error_of(answer) == (409, 195015)
    paused = subscription_body(destination_id) | {"status": "DISABLED"}
    created = notify.call("POST", "/subscription", json=paused)
    assert created.status_code == 201
    subscription_id = created.headers["Location"].rsplit("/", 1)[-1]
    assert error_of(notify.call("POST", f"/subscription/{subscription_id}/enable")) == (409, 195015)


def test_the_topic_scope_decides_which_token_subscribes(
    notify: Notify, destination_id: str
) -> None:
    user = notify.user_token()
    deletion = subscription_body(destination_id)
    orders = subscription_body(destination_id, USER_TOPIC)

    assert error_of(notify.call("POST", "/subscription", token=user, json=deletion)) == (
        403,
        195011,
    )
    assert error_of(notify.call("POST", "/subscription", json=orders)) == (403, 195011)
    assert notify.call("POST", "/subscription", token=user, json=orders).status_code == 201
    assert notify.call("POST", "/subscription", json=deletion).status_code == 201


def test_a_readonly_token_reads_but_does_not_write(notify: Notify, destination_id: str) -> None:
    notify.subscribe(destination_id)
    readonly = notify.ebay.user_token([SUBSCRIPTION_READONLY_SCOPE])

    assert notify.call("GET", "/subscription", token=readonly).json()["total"] == 1
    body = subscription_body(destination_id, USER_TOPIC)
    answer = notify.call("POST", "/subscription", token=readonly, json=body)
    assert error_of(answer) == (403, 1100)


def test_update_subscription_changes_status_and_destination(
    notify: Notify, receiver: Receiver, destination_id: str
) -> None:
    subscription_id = notify.subscribe(destination_id)
    other = notify.destination(f"{receiver.url}?second=1")
    body = subscription_body(other) | {"status": "DISABLED"}
    path = f"/subscription/{subscription_id}"

    assert notify.call("PUT", path, json=body).status_code == 204

    got = notify.call("GET", path).json()
    assert (got["destinationId"], got["status"]) == (other, "DISABLED")
    assert error_of(notify.call("PUT", path, json=body | {"status": "x"})) == (400, 195006)
    assert error_of(notify.call("PUT", "/subscription/404", json=body)) == (404, 195013)


def test_filters_are_not_served(notify: Notify) -> None:
    answer = notify.call("POST", "/subscription/1/filter", json={"filterSchema": {}})
    assert answer.status_code == 501


# --- contract mode ------------------------------------------------------------------


@pytest.mark.usefixtures("official_contracts")
def test_a_request_the_official_file_forbids_is_recorded(notify: Notify) -> None:
    answer = notify.call("PUT", "/config", json={"alertEmail": 5})

    assert answer.status_code == 400
    (violation,) = notify.ebay.violations.take()
    assert violation.startswith("request PUT /commerce/notification/v1/config")


def test_without_contracts_the_sandbox_answers_itself(start_sandbox: StartSandbox) -> None:
    ebay = start_sandbox(contracts_dir=None)
    notify = Notify(ebay, app_token(ebay))

    answer = notify.call("PUT", "/config", json={"alertEmail": 5})

    assert error_of(answer) == (400, 195025)
    assert ebay.violations.peek() == []
