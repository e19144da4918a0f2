"""Upstream API for the I/O-wait cases: answers after `delay_ms` (plus jitter).

Run like any server: `uvicorn apps.upstream:app`. The default delay and the
jitter come from UPSTREAM_DELAY_MS and UPSTREAM_JITTER_MS; a request may ask
for its own delay with `?delay_ms=N`. It records its own latency per request
(from handler start to response), so the suite can prove the upstream was not
the bottleneck: GET /__stats?since=EPOCH&until=EPOCH sums that up.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

DEFAULT_DELAY_MS = int(os.environ.get("UPSTREAM_DELAY_MS", "1000"))
JITTER_MS = int(os.environ.get("UPSTREAM_JITTER_MS", "0"))

# (finished at epoch s, requested ms, taken ms) per answered request
_log: list[tuple[float, float, float]] = []


def _params(scope: Scope) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}


def stats(since: float, until: float) -> dict[str, Any]:
    window = [(requested, taken) for end, requested, taken in _log if since <= end <= until]
    if not window:
        return {"requests": 0, "requested_ms_mean": None, "taken_ms_mean": None, "taken_ms_max": None, "ratio": None}
    requested = sum(r for r, _ in window)
    taken = sum(t for _, t in window)
    return {
        "requests": len(window),
        "requested_ms_mean": requested / len(window),
        "taken_ms_mean": taken / len(window),
        "taken_ms_max": max(t for _, t in window),
        "ratio": taken / requested if requested else None,
    }


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    params = _params(scope)
    if scope["path"] == "/__stats":
        since = float(params.get("since", 0))
        until = float(params.get("until", time.time() + 1))
        await _answer(send, 200, json.dumps(stats(since, until)).encode())
        return
    started = time.perf_counter()
    try:
        delay_ms = float(params.get("delay_ms", DEFAULT_DELAY_MS))
    except ValueError:
        await _answer(send, 400, b'{"error":"delay_ms must be a number"}')
        return
    jitter = random.uniform(-JITTER_MS, JITTER_MS) if JITTER_MS else 0.0
    await asyncio.sleep(max(0.0, delay_ms + jitter) / 1000)
    body = json.dumps({"delay_ms": delay_ms}).encode()
    await _answer(send, 200, body)
    _log.append((time.time(), delay_ms, (time.perf_counter() - started) * 1000))
