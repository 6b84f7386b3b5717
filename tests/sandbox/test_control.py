"""The shared sandbox control pieces, on a tiny app of their own, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from stockbridge.sandbox.control import (
    CallLog,
    CallRecord,
    FaultRule,
    Faults,
    SandboxControl,
    SandboxMiddleware,
    control_router,
    set_operation,
    token_expiry_forced,
)
from tests.sandbox.servers import serve_in_thread


def _error_body(status: int, message: str) -> Mapping[str, Any]:
    return {"problem": {"status": status, "message": message}}


@pytest.fixture
def toy() -> tuple[FastAPI, SandboxControl, dict[str, int]]:
    state = {"widgets": 0}

    def reset() -> None:
        state["widgets"] = 0

    control = SandboxControl(snapshot=lambda: dict(state), reset=reset, error_body=_error_body)
    app = FastAPI()
    app.add_middleware(SandboxMiddleware, control=control)
    app.include_router(control_router(control))

    @app.post("/widgets/{widget_id}")
    def add_widget(widget_id: str, request: Request) -> dict[str, Any]:
        set_operation(request, "addWidget")
        state["widgets"] += 1
        control.events.publish("widgets/create", {"id": widget_id})
        return {"id": widget_id, "expired": token_expiry_forced(request)}

    @app.get("/widgets/{widget_id}")
    def get_widget(widget_id: str, request: Request) -> dict[str, Any]:
        return {"id": widget_id, "expired": token_expiry_forced(request)}

    return app, control, state


@pytest.fixture
def client(toy: tuple[FastAPI, SandboxControl, dict[str, int]]) -> Iterator[httpx.Client]:
    with serve_in_thread(toy[0]) as base_url, httpx.Client(base_url=base_url) as http:
        yield http


def test_calls_are_counted_per_operation_named_or_derived(client: httpx.Client) -> None:
    client.post("/widgets/a")
    client.post("/widgets/b")
    client.get("/widgets/a")
    client.get("/nowhere")

    calls = client.get("/_sandbox/calls").json()

    assert calls["counts"] == {
        "addWidget": 2,
        "GET /widgets/{widget_id}": 1,
        "GET /nowhere": 1,
    }
    assert [(c["method"], c["path"], c["status"]) for c in calls["recent"]] == [
        ("POST", "/widgets/a", 200),
        ("POST", "/widgets/b", 200),
        ("GET", "/widgets/a", 200),
        ("GET", "/nowhere", 404),
    ]


def test_clearing_the_call_log(client: httpx.Client) -> None:
    client.post("/widgets/a")
    assert client.delete("/_sandbox/calls").status_code == 204
    assert client.get("/_sandbox/calls").json() == {"counts": {}, "recent": []}


def test_state_and_reset(client: httpx.Client) -> None:
    client.post("/widgets/a")
    client.post("/_sandbox/faults", json={"path_pattern": "^/never$", "status": 500})
    assert client.get("/_sandbox/state").json() == {"widgets": 1}

    assert client.post("/_sandbox/reset").status_code == 204

    assert client.get("/_sandbox/state").json() == {"widgets": 0}
    assert client.get("/_sandbox/calls").json()["counts"] == {}
    assert client.get("/_sandbox/faults").json() == []


def test_events_are_listed_in_order_filtered_by_topic_and_cleared_on_reset(
    client: httpx.Client,
) -> None:
    client.post("/widgets/a")
    client.post("/widgets/b")

    events = client.get("/_sandbox/events").json()
    assert [(e["id"], e["topic"], e["payload"]) for e in events] == [
        (1, "widgets/create", {"id": "a"}),
        (2, "widgets/create", {"id": "b"}),
    ]
    assert client.get("/_sandbox/events", params={"topic": "other"}).json() == []

    client.post("/_sandbox/reset")
    assert client.get("/_sandbox/events").json() == []


def test_a_failing_event_listener_does_not_fail_the_call(
    toy: tuple[FastAPI, SandboxControl, dict[str, int]], client: httpx.Client
) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("listener down")

    toy[1].events.listen(broken)

    assert client.post("/widgets/a").status_code == 200
    assert len(client.get("/_sandbox/events").json()) == 1


def test_fault_answers_in_the_marketplace_shape_until_cleared(
    client: httpx.Client, toy: tuple[FastAPI, SandboxControl, dict[str, int]]
) -> None:
    added = client.post(
        "/_sandbox/faults",
        json={"path_pattern": "^/widgets/", "method": "post", "status": 503, "message": "down"},
    )
    assert added.status_code == 201
    assert added.json()["id"] == 1
    assert added.json()["method"] == "POST"

    faulted = client.post("/widgets/a")
    assert faulted.status_code == 503
    assert faulted.json() == {"problem": {"status": 503, "message": "down"}}
    assert toy[2]["widgets"] == 0  # the fault answered; the sandbox never saw the call
    assert client.get("/widgets/a").status_code == 200  # other method: untouched

    assert client.delete("/_sandbox/faults").status_code == 204
    assert client.post("/widgets/a").status_code == 200
    statuses = [c["status"] for c in client.get("/_sandbox/calls").json()["recent"]]
    assert statuses == [503, 200, 200]


def test_a_rule_with_times_stops_after_that_many_hits(client: httpx.Client) -> None:
    client.post("/_sandbox/faults", json={"path_pattern": "^/widgets/", "status": 502, "times": 2})

    statuses = [client.get("/widgets/a").status_code for _ in range(4)]

    assert statuses == [502, 502, 200, 200]
    [rule] = client.get("/_sandbox/faults").json()
    assert (rule["times"], rule["hits"]) == (2, 2)


def test_a_rate_limit_fault_names_its_retry_after(client: httpx.Client) -> None:
    client.post(
        "/_sandbox/faults",
        json={"path_pattern": "^/widgets/", "status": 429, "retry_after": 3, "times": 1},
    )

    limited = client.get("/widgets/a")
    served = client.get("/widgets/a")

    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert served.status_code == 200
    assert "retry-after" not in served.headers


def test_forced_token_expiry_is_passed_to_the_sandbox(client: httpx.Client) -> None:
    client.post("/_sandbox/faults", json={"path_pattern": "/widgets/a$", "expire_token": True})
    assert client.get("/widgets/a").json()["expired"] is True
    assert client.get("/widgets/b").json()["expired"] is False


def test_latency_is_added(client: httpx.Client) -> None:
    client.post("/_sandbox/faults", json={"path_pattern": "^/widgets/", "latency_ms": 200})
    response = client.get("/widgets/a")
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.2


def test_hang_outlasts_the_client_timeout(client: httpx.Client) -> None:
    client.post(
        "/_sandbox/faults", json={"path_pattern": "^/widgets/", "hang": True, "hang_seconds": 2}
    )
    with pytest.raises(httpx.ReadTimeout):
        client.get("/widgets/a", timeout=0.3)


def test_bad_fault_rules_are_refused(client: httpx.Client) -> None:
    assert client.post("/_sandbox/faults", json={"path_pattern": "("}).status_code == 422
    assert client.post("/_sandbox/faults", json={"path_pattern": "x", "rate": 2}).status_code == 422
    assert client.post("/_sandbox/faults", json={"path_pattern": "x", "oops": 1}).status_code == 422


def test_rate_is_deterministic_for_a_seed() -> None:
    def draws(seed: int) -> list[bool]:
        faults = Faults()
        faults.add(FaultRule(path_pattern="^/x", status=500, rate=0.5, seed=seed))
        return [faults.match("GET", "/x").status == 500 for _ in range(200)]

    first = draws(7)
    assert first == draws(7)
    assert 60 < sum(first) < 140  # roughly half
    zero = Faults()
    zero.add(FaultRule(path_pattern="^/x", status=500, rate=0.0))
    assert all(zero.match("GET", "/x").status is None for _ in range(50))


def test_call_log_keeps_counts_beyond_the_recent_window() -> None:
    log = CallLog(keep=3)
    for number in range(5):
        log.record(
            CallRecord(
                operation="op",
                method="GET",
                path=f"/{number}",
                status=200,
                at=datetime.now(UTC),
                duration_ms=1.0,
            )
        )
    assert log.count("op") == 5
    assert [call.path for call in log.recent()] == ["/2", "/3", "/4"]
    assert [call.path for call in log.recent(1)] == ["/4"]
