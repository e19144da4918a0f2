"""Plain ASGI app under test: /fast, /slow, /cpu, /json, /io/{sequential,concurrent}.

Same bytes as apps.wsgi_app; waits are `asyncio.sleep` and one shared pooled
aiohttp session (created at lifespan startup, closed at shutdown), so one
event loop holds many waiting requests at once. aiohttp, not httpx's async
client: measured here at 0.25 ms of CPU per call against ~15 ms at 60 calls
in flight, which would make the event loop CPU-bound and turn the I/O-wait
comparison into a client-library comparison.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp

from apps import _shared as shared

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


_client: aiohttp.ClientSession | None = None


async def _call(url: str) -> None:
    if _client is None:
        raise shared.UpstreamError("no upstream client: the server did not run the lifespan startup")
    async with _client.get(url) as response:
        await response.read()
        if response.status != 200:
            raise shared.UpstreamError(f"upstream answered {response.status}")


async def io(mode: str, query: str) -> shared.Response:
    calls, delay_ms = shared.io_params(query)
    try:
        url = shared.upstream_url(delay_ms)
        if mode == "sequential":
            for _ in range(calls):
                await _call(url)
        else:
            await asyncio.gather(*(_call(url) for _ in range(calls)))
    except (aiohttp.ClientError, shared.UpstreamError) as error:
        return shared.upstream_failed(error)
    return shared.io_body(mode, calls)


async def route(path: str, query: str) -> shared.Response:
    try:
        if path == "/fast":
            return shared.fast()
        if path == "/slow":
            delay_ms = shared.int_param(query, "delay_ms", shared.DEFAULT_SLOW_MS, shared.MAX_DELAY_MS)
            await asyncio.sleep(delay_ms / 1000)
            return shared.slow_body(delay_ms)
        if path == "/cpu":
            return shared.cpu(shared.int_param(query, "n", shared.DEFAULT_CPU_N, shared.MAX_CPU_N))
        if path == "/json":
            return shared.json_doc()
        if path.startswith("/io/") and path[4:] in shared.IO_MODES:
            return await io(path[4:], query)
    except shared.BadRequest as error:
        return shared.bad_request(error)
    return shared.not_found()


async def lifespan(receive: Receive, send: Send) -> None:
    global _client
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=shared.UPSTREAM_MAX_CONNECTIONS),
                timeout=aiohttp.ClientTimeout(total=600.0),
            )
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _client is not None:
                await _client.close()
                _client = None
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    query = scope.get("query_string", b"").decode("latin-1")
    status, content_type, body = await route(scope["path"], query)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def process_time_header(app: ASGIApp) -> ASGIApp:
    """The classic example's middleware: add X-Process-Time to every response."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = time.perf_counter() - started
                message = {**message, "headers": [*message["headers"], (b"x-process-time", f"{elapsed:.6f}".encode())]}
            await send(message)

        await app(scope, receive, timed_send)

    return middleware


app = process_time_header(application)
