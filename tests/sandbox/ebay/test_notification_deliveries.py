"""Signed notification deliveries, checked by a receiver that verifies like eBay's SDKs."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from stockbridge.sandbox.ebay.publisher import RETRY_DELAYS, encode
from stockbridge.sandbox.ebay.signing import new_signing_key, signature_header
from tests.sandbox.contracts import CONTRACTS_DIR, require_contracts
from tests.sandbox.ebay.conftest import StartSandbox
from tests.sandbox.ebay.notify_client import ACCOUNT_DELETION, Notify, app_token, wait_until
from tests.sandbox.ebay.notify_receiver import Receiver, check_signature, running_receiver

NOTIFICATIONS_DIR = CONTRACTS_DIR / "ebay" / "notifications"
ASYNCAPI = NOTIFICATIONS_DIR / "marketplace_account_deletion_asyncapi.yaml"
SAMPLE = NOTIFICATIONS_DIR / "marketplace_account_deletion_sample_message.json"


@pytest.fixture
def notify(start_sandbox: StartSandbox) -> Notify:
    ebay = start_sandbox(notification_time_scale=0.0001)
    notify = Notify(ebay, app_token(ebay))
    notify.configure()
    return notify


@pytest.fixture(scope="module")
def served_receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(notify: Notify, served_receiver: Receiver) -> Receiver:
    """The module's receiver, fresh, checking this test's sandbox."""
    return served_receiver.rebind(notify.ebay.base_url, notify.app_token)


@pytest.fixture
def subscribed(notify: Notify, receiver: Receiver) -> str:
    """A destination at the receiver and an enabled account-deletion subscription."""
    return notify.subscribe(notify.destination(receiver.url))


def delivered(notify: Notify, count: int = 1) -> list[dict[str, Any]]:
    wait_until(
        lambda: sum(d["status"] != "pending" for d in notify.deliveries()) >= count, timeout=10
    )
    return notify.deliveries()


@pytest.mark.usefixtures("subscribed")
def test_a_deletion_reaches_the_receiver_signed_and_verified(
    notify: Notify, receiver: Receiver
) -> None:
    announced = notify.announce_deletion(username="jo_smith", userId="u1", eiasToken="e1")

    (delivery,) = delivered(notify)
    assert delivery["status"] == "delivered"
    assert delivery["event_id"] == announced["event"]["id"]
    assert [a["status_code"] for a in delivery["attempts"]] == [204]
    (got,) = receiver.received
    assert got.verified
    assert got.headers["content-type"] == "application/json"
    message = got.message
    assert message["metadata"] == {
        "topic": ACCOUNT_DELETION,
        "schemaVersion": "1.0",
        "deprecated": False,
    }
    assert message["notification"]["data"] == {
        "username": "jo_smith",
        "userId": "u1",
        "eiasToken": "e1",
    }
    assert message["notification"]["publishAttemptCount"] == 1


@pytest.mark.usefixtures("subscribed")
def test_the_signature_header_is_base64_json_naming_key_and_digest(
    notify: Notify, receiver: Receiver
) -> None:
    notify.announce_deletion()
    delivered(notify)

    header = json.loads(base64.b64decode(receiver.received[0].headers["x-ebay-signature"]))
    assert set(header) == {"alg", "kid", "signature", "digest"}
    assert (header["alg"], header["digest"]) == ("ecdsa", "SHA1")
    served = notify.call("GET", f"/public_key/{header['kid']}").json()
    assert served["key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "\n" not in served["key"]  # one line, as eBay serves it


@pytest.mark.usefixtures("subscribed")
def test_the_receiver_fetches_each_key_once(notify: Notify, receiver: Receiver) -> None:
    notify.announce_deletion()
    notify.announce_deletion()
    delivered(notify, 2)

    assert [r.verified for r in receiver.received] == [True, True]
    assert receiver.key_fetches == 1


@pytest.mark.usefixtures("subscribed")
def test_a_tampered_body_or_a_wrong_kid_is_rejected(notify: Notify, receiver: Receiver) -> None:
    notify.announce_deletion(username="real_user")
    delivered(notify)
    original = receiver.received[0]
    header = original.headers["x-ebay-signature"]

    tampered = original.body.replace(b"real_user", b"someone_else")
    answer = httpx.post(receiver.url, content=tampered, headers={"X-EBAY-SIGNATURE": header})
    assert answer.status_code == 412

    fields = json.loads(base64.b64decode(header)) | {"kid": "0" * 32}
    wrong_kid = base64.b64encode(json.dumps(fields).encode()).decode()
    answer = httpx.post(
        receiver.url, content=original.body, headers={"X-EBAY-SIGNATURE": wrong_kid}
    )
    assert answer.status_code == 412
    unknown = notify.call("GET", "/public_key/" + "0" * 32)
    assert (unknown.status_code, unknown.json()["errors"][0]["errorId"]) == (404, 195001)

    answer = httpx.post(receiver.url, content=original.body, headers={"X-EBAY-SIGNATURE": header})
    assert answer.status_code == 204  # the untouched original still verifies


@pytest.mark.usefixtures("subscribed")
def test_retries_keep_the_id_and_count_the_attempts(notify: Notify, receiver: Receiver) -> None:
    receiver.fail_next = 2
    notify.announce_deletion()

    (delivery,) = delivered(notify)
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 204]
    notifications = [m["notification"] for m in receiver.messages()]
    assert len({n["notificationId"] for n in notifications}) == 1
    assert [n["publishAttemptCount"] for n in notifications] == [1, 2, 3]
    assert all(r.verified for r in receiver.received)  # each retry signed anew


@pytest.mark.usefixtures("subscribed")
def test_after_the_last_retry_the_delivery_fails(notify: Notify, receiver: Receiver) -> None:
    receiver.fail_next = 100
    notify.announce_deletion()

    (delivery,) = delivered(notify)
    assert delivery["status"] == "failed"
    assert len(delivery["attempts"]) == 1 + len(RETRY_DELAYS)


def test_only_enabled_subscriptions_to_enabled_destinations_get_notified(
    notify: Notify, receiver: Receiver
) -> None:
    destination_id = notify.destination(receiver.url)
    subscription_id = notify.subscribe(destination_id)
    assert notify.call("POST", f"/subscription/{subscription_id}/disable").status_code == 204
    notify.announce_deletion()
    notify.ebay.http.post("/_sandbox/deliveries/drain")
    assert notify.deliveries() == []

    assert notify.call("POST", f"/subscription/{subscription_id}/enable").status_code == 204
    notify.announce_deletion()
    assert len(delivered(notify)) == 1


def test_test_subscription_sends_one_mocked_notification(
    notify: Notify, receiver: Receiver
) -> None:
    subscription_id = notify.subscribe(notify.destination(receiver.url))
    notify.call("POST", f"/subscription/{subscription_id}/disable")

    answer = notify.call("POST", f"/subscription/{subscription_id}/test")

    assert answer.status_code == 202
    (delivery,) = delivered(notify)
    assert delivery["event_id"] == 0
    assert receiver.received[0].verified
    assert receiver.messages()[0]["metadata"]["topic"] == ACCOUNT_DELETION


def closed(schema: Any, schemas: dict[str, Any]) -> Any:
    """The AsyncAPI schema with refs inlined, every property required, nothing extra."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return closed(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
        out = {k: closed(v, schemas) for k, v in schema.items() if k != "default"}
        if schema.get("type") == "object" and "properties" in schema:
            out["required"] = sorted(schema["properties"])
            out["additionalProperties"] = False
        return out
    return schema


@pytest.mark.usefixtures("subscribed")
def test_the_body_matches_the_official_asyncapi_payload_and_sample(
    notify: Notify, receiver: Receiver
) -> None:
    require_contracts(ASYNCAPI)
    contract = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    payload = contract["components"]["messages"]["message"]["payload"]
    schema = closed(payload, contract["components"]["schemas"])
    notify.announce_deletion()
    delivered(notify)

    message = receiver.messages()[0]
    jsonschema.Draft7Validator(schema).validate(message)
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert key_shape(message) == key_shape(sample)
    assert message["notification"]["eventDate"].endswith("Z")


def key_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: key_shape(inner) for key, inner in value.items()}
    return type(value).__name__


def test_the_signing_key_survives_a_restart(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    state_file = tmp_path / "ebay.json"
    first = start_sandbox(state_file=state_file)
    kid = first.app.state.ebay_notifications.signing_key().key_id
    assert "private_key_pem" not in json.dumps(first.get_state())

    second = start_sandbox(state_file=state_file)
    notify = Notify(second, app_token(second))
    answer = notify.call("GET", f"/public_key/{kid}")
    assert answer.status_code == 200
    assert answer.json()["algorithm"] == "ECDSA"


def test_reset_forgets_deliveries_and_subscriptions(notify: Notify, receiver: Receiver) -> None:
    notify.subscribe(notify.destination(receiver.url))
    notify.announce_deletion()
    delivered(notify)

    assert notify.ebay.http.post("/_sandbox/reset").status_code == 204

    assert notify.deliveries() == []
    assert notify.ebay.get_state()["notification"]["subscriptions"] == {}


def test_account_deletion_control_refuses_unknown_fields(notify: Notify) -> None:
    answer = notify.ebay.http.post("/_sandbox/notifications/account-deletion", json={"user": "x"})
    assert answer.status_code == 400


KEY = new_signing_key()
PUBLIC = serialization.load_pem_public_key(KEY.public_key_pem.encode())
assert isinstance(PUBLIC, ec.EllipticCurvePublicKey)


@settings(max_examples=50, deadline=None)
@given(st.text(), st.text(max_size=20), st.integers(min_value=1, max_value=4))
def test_any_message_verifies_as_the_sdks_check_it(username: str, user_id: str, count: int) -> None:
    """Whatever the data (non-ASCII, quotes, slashes), the SDKs' re-serialisation of the
    parsed body gives back the signed bytes, so the signature holds; one changed byte
    breaks it."""
    message = {
        "metadata": {"topic": ACCOUNT_DELETION, "schemaVersion": "1.0", "deprecated": False},
        "notification": {
            "publishAttemptCount": count,
            "data": {"username": username, "userId": user_id},
        },
    }
    body = encode(message)
    header = signature_header(KEY, body)

    assert check_signature(lambda kid: PUBLIC if kid == KEY.key_id else None, header, body)
    changed = encode(message | {"metadata": {**message["metadata"], "deprecated": True}})
    assert not check_signature(lambda kid: PUBLIC, header, changed)
