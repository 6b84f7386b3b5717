"""Open-loop load generator: signed Shopify deliveries at a fixed rate, on keep-alive connections.

Run by ``bench.orders`` as a process of its own (so its CPU is not the server's), it
prints one JSON object with what it measured:

    .venv/bin/python -m bench.webhook_load --secret S --rate 500 --seconds 30 \\
        --url http://127.0.0.1:8765/api/ecom/webhooks/shopify/1

Request ``i`` is due at ``start + i / rate`` whatever happened to the others (open loop),
and its latency is measured from that due time, not from when it was written, so time a
request spends waiting for a free connection or for the generator counts against the
server instead of disappearing (coordinated omission). Each delivery has its own
``X-Shopify-Webhook-Id``. HTTP/1.1 is spoken on raw asyncio streams over a fixed pool of
keep-alive connections (``--connections``; default one per 25 requests a second, at
least 4), each used once by the warm-up before the clock starts. A request is queued at
its due time and written by the first connection that is free, in due order; so a
server that falls behind makes requests wait in that queue, which the latency counts,
rather than making the generator open a connection per waiting request (a run against a
collapsing server once opened 14,970). A connection that fails is closed and replaced.

The generator measures itself too: ``send_lag_ms`` is how late it wrote requests after
their due time (waiting for a free connection included: against the floor app it is the
generator's own lag), and ``cpu_percent`` its own CPU time over the run's wall time.

``--floor`` instead serves a minimal ASGI app answering 200 at once, with uvicorn on the
given port: the same generator against it measures the floor that generator, uvicorn and
the loopback put under every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from stockbridge.sandbox.shopify.webhook_delivery import shopify_hmac, webhook_body

TOPIC = "orders/updated"
TIMEOUT_SECONDS = 10.0


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    send_lag_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    delivery_ids: list[str] = field(default_factory=list)
    connections: int = 0


def delivery(n: int, host: str, path: str, secret: str) -> tuple[str, bytes]:
    """Delivery ``n``: its id and the whole HTTP request."""
    delivery_id = f"bench-{uuid.uuid4().hex}"
    body = webhook_body(
        {"id": 900_000_000 + n, "name": f"#B{n}", "updated_at": "2026-12-04T09:00:00Z"}
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Shopify-Topic: {TOPIC}\r\n"
        f"X-Shopify-Webhook-Id: {delivery_id}\r\n"
        f"X-Shopify-Hmac-Sha256: {shopify_hmac(secret, body)}\r\n"
        "X-Shopify-Shop-Domain: bench.myshopify.com\r\n\r\n"
    )
    return delivery_id, head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


def pool_size(rate: float) -> int:
    """Connections for ``rate``: enough for every request to be in flight for 40 ms."""
    return max(4, math.ceil(rate / 25))


async def connection_worker(
    host: str, port: int, queue: asyncio.Queue[tuple[float, bytes] | None], run: Run
) -> None:
    """One keep-alive connection sending the queued requests one after the other; a
    connection that fails is closed and the next request opens a new one."""
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while (item := await queue.get()) is not None:
        due, request = item
        try:
            if connection is None:
                run.connections += 1
                connection = await asyncio.open_connection(host, port)
            reader, writer = connection
            run.send_lag_ms.append((time.perf_counter() - due) * 1000)
            writer.write(request)
            status = await asyncio.wait_for(read_response(reader), TIMEOUT_SECONDS)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
            run.errors.append(repr(error))
            if connection is not None:
                connection[1].close()
            connection = None
            continue
        run.latencies_ms.append((time.perf_counter() - due) * 1000)
        run.statuses[str(status)] = run.statuses.get(str(status), 0) + 1
    if connection is not None:
        connection[1].close()


async def send_all(
    host: str, port: int, requests: list[tuple[float, bytes]], connections: int, run: Run
) -> None:
    """Each request queued at its due time (``time.perf_counter``), sent by the first of
    ``connections`` that is free: in due order, late only when every one is busy."""
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    workers = [
        asyncio.create_task(connection_worker(host, port, queue, run)) for _ in range(connections)
    ]
    for due, request in requests:
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        queue.put_nowait((due, request))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)


async def load(
    url: str, secret: str, rate: float, seconds: float, warmup: int, connections: int
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    count = int(rate * seconds)
    warm = Run()
    # Not measured: code paths warm, and every connection used once.
    now = time.perf_counter()
    warm_requests = [(now, delivery(-1 - n, host, parts.path, secret)[1]) for n in range(warmup)]
    await send_all(host, port, warm_requests, connections, warm)
    run = Run()
    deliveries = [delivery(n, host, parts.path, secret) for n in range(count)]
    run.delivery_ids = [delivery_id for delivery_id, _ in deliveries]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter() + 0.05
    due = [(start + n / rate, request) for n, (_id, request) in enumerate(deliveries)]
    await send_all(host, port, due, connections, run)
    wall = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "offered_rate": rate,
        "seconds": seconds,
        "sent": count,
        "answered": len(run.latencies_ms),
        "achieved_rate": round(len(run.latencies_ms) / wall, 1),
        "statuses": run.statuses,
        "errors": len(run.errors),
        "error_samples": run.errors[:5],
        "latency_ms": summary(run.latencies_ms),
        "generator": {
            "send_lag_ms": summary(run.send_lag_ms),
            "cpu_percent": round(100 * cpu / wall, 1),
            "connections": connections,
            "connections_opened": run.connections,
        },
        "delivery_ids": run.delivery_ids,
    }


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 0.50), 2),
        "p99": round(percentile(values, 0.99), 2),
        "max": round(max(values), 2),
    }


async def _floor_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"received":true,"duplicate":false}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--secret", default="")
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument(
        "--connections", type=int, help="keep-alive connections [default: rate / 25, at least 4]"
    )
    parser.add_argument("--floor", type=int, metavar="PORT", help="serve the floor app instead")
    args = parser.parse_args(argv)
    if args.floor:
        uvicorn.run(_floor_app, host="127.0.0.1", port=args.floor, log_level="warning")
        return 0
    connections = args.connections or pool_size(args.rate)
    found = asyncio.run(
        load(args.url, args.secret, args.rate, args.seconds, args.warmup, connections)
    )
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
