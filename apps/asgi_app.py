"""Plain ASGI app under test: /fast, /slow, /cpu, /json; 404 otherwise.

Same bytes as apps.wsgi_app; waits are `asyncio.sleep`, so one event loop holds
many waiting requests at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from apps import _shared as shared

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


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
    except shared.BadRequest as error:
        return shared.bad_request(error)
    return shared.not_found()


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
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
