"""``stockbridge sandbox ebay|shopify`` start the simulators as real HTTP servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

STARTUP_DEADLINE_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(*args: str) -> Iterator[str]:
    """Run ``stockbridge ARGS --port P`` until the block ends; yields its base URL."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if "STOCKBRIDGE" not in name}
    process = subprocess.Popen(
        [sys.executable, "-m", "stockbridge", *args, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                httpx.get(f"{base_url}/_sandbox/calls", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{args} did not answer within {STARTUP_DEADLINE_SECONDS} s")
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_ebay_sandbox_issues_application_tokens() -> None:
    with running("sandbox", "ebay") as base_url:
        response = httpx.post(
            f"{base_url}/identity/v1/oauth2/token",
            auth=("stockbridge-sandbox-client", "stockbridge-sandbox-secret"),
            data={
                "grant_type": "client_credentials",
                "scope": "https://api.ebay.com/oauth/api_scope",
            },
        )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


def test_the_shopify_sandbox_answers_graphql() -> None:
    with running("sandbox", "shopify") as base_url:
        response = httpx.post(
            f"{base_url}/admin/api/2025-10/graphql.json",
            headers={"X-Shopify-Access-Token": "shpat_sandbox"},
            json={"query": "{ shop { currencyCode } }"},
        )
    assert response.status_code == 200
    assert response.json()["data"] == {"shop": {"currencyCode": "GBP"}}
