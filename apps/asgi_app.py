"""Plain ASGI app under test: /fast, /slow, /cpu, /json, /io/{sequential,concurrent},
/stream (server-sent events).

Same bytes as apps.wsgi_app; waits are `asyncio.sleep` and one shared pooled
aiohttp session (created at lifespan startup, closed at shutdown), so one
event loop holds many waiting requests at once. aiohttp, not httpx's async
client: measured here at 0.25 ms of CPU per call against ~15 ms at 60 calls
in flight, which would make the event loop CPU-bound and turn the I/O-wait
comparison into a client-library comparison. /stream sends one body message
per event with `asyncio.sleep` between them, and stops quietly when the
client leaves.
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


async def _disconnected(receive: Receive) -> None:
    """Returns once the client has gone (or the server can no longer tell us anything)."""
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    except Exception:  # a server whose receive fails has lost the client too
        return


async def stream(params: shared.Stream, receive: Receive, send: Send) -> None:
    """One body message per event, the first at once; stops quietly when the client leaves.

    Watching receive for `http.disconnect` is what stops it under uvicorn, hypercorn and
    granian: their send drops messages for a client that has gone, without raising, so a
    stream that only sent would run to its end. Spec 2.4 servers raise OSError from send."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(name.lower().encode(), value.encode()) for name, value in shared.STREAM_HEADERS],
        }
    )
    gone = asyncio.create_task(_disconnected(receive))
    try:
        for i in range(params.chunks):
            if i:
                await asyncio.wait({gone}, timeout=params.interval_s)
            if gone.done():
                return
            event = shared.stream_event(i, params.size)
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:  # the client has gone, said by send
        return
    finally:
        gone.cancel()
        await asyncio.wait({gone})  # never raises gone's CancelledError; ours still propagates


async def route(path: str, query: str) -> shared.Response | shared.Stream:
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
        if path == "/stream":
            return shared.stream_params(query)
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
    answer = await route(scope["path"], query)
    if isinstance(answer, shared.Stream):
        await stream(answer, receive, send)
        return
    status, content_type, body = answer
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
    """The classic example's middleware: add X-Process-Time to every response
    (for /stream: the time to its headers, which go before the first event)."""

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
