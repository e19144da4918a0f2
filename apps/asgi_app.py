"""Plain ASGI app under test: /fast, /slow, /cpu, /json, /io/{sequential,concurrent},
/stream (server-sent events), and two WebSocket routes: /ws/echo and /ws/room.

Same bytes as apps.wsgi_app; waits are `asyncio.sleep` and one shared pooled
aiohttp session (created at lifespan startup, closed at shutdown), so one
event loop holds many waiting requests at once. aiohttp, not httpx's async
client: measured here at 0.25 ms of CPU per call against ~15 ms at 60 calls
in flight, which would make the event loop CPU-bound and turn the I/O-wait
comparison into a client-library comparison. /stream sends one body message
per event with `asyncio.sleep` between them, and stops quietly when the
client leaves.

/ws/echo sends every message back unchanged (text as text, bytes as bytes).
/ws/room is a fan-out room: a connection with `?role=publisher` publishes, any
other connection subscribes, and every message a publisher sends goes, unchanged,
to every subscriber connected at that moment (not back to the publisher). The room
is per process: with several workers each has its own room, and a publisher only
reaches the subscribers of its own worker (fanning out across them would need a
broker). Each subscriber has its own bounded queue and sender task, so a slow one
stalls neither the others nor the publisher: what does not fit in its queue is
dropped for it (counted in `room_dropped`; clients see the gap in the sequence
numbers they put in their payloads, which the app never reads). Any other
WebSocket path is refused before the handshake completes (HTTP 403).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

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


# What a send raises once the client has gone: ASGI 2.4 says an OSError; servers before it
# (and gunicorn's asgi worker, whose uvloop transport raises when closed under a send) a RuntimeError.
GONE = (OSError, RuntimeError)
ROOM_QUEUE_SIZE = 1024  # messages waiting for one subscriber before it starts losing them
_room: set[asyncio.Queue[Message]] = set()  # one queue per subscriber connected to this process
room_dropped = 0  # messages dropped for a subscriber whose queue was full (this process)


async def _ws_receive(receive: Receive) -> Message:
    """The next message; a receive that fails means the client has gone, as a disconnect would."""
    try:
        return await receive()
    except Exception:
        return {"type": "websocket.disconnect", "code": 1006}


def _ws_send(message: Message) -> Message:
    """The websocket.send carrying a received message's payload as it came: text as text, bytes as bytes."""
    if message.get("text") is not None:
        return {"type": "websocket.send", "text": message["text"]}
    return {"type": "websocket.send", "bytes": message.get("bytes") or b""}


async def _ws_accept(send: Send) -> bool:
    """Accepts the connection; False: the client went before."""
    try:
        await send({"type": "websocket.accept"})
    except GONE:
        return False
    return True


async def ws_echo(receive: Receive, send: Send) -> None:
    if not await _ws_accept(send):
        return
    while (message := await _ws_receive(receive))["type"] != "websocket.disconnect":
        if message["type"] == "websocket.receive":
            try:
                await send(_ws_send(message))
            except GONE:
                return


async def ws_publish(receive: Receive) -> None:
    """Every message received put in every subscriber's queue, without waiting for any."""
    global room_dropped
    while (message := await _ws_receive(receive))["type"] != "websocket.disconnect":
        if message["type"] != "websocket.receive":
            continue
        out = _ws_send(message)  # one message for all: servers only read it
        for queue in _room:
            try:
                queue.put_nowait(out)
            except asyncio.QueueFull:
                room_dropped += 1
        # Let the senders run between two messages: a server whose receive() returns what it has
        # buffered without yielding (uvicorn) would otherwise let a burst fill every queue at once.
        await asyncio.sleep(0)


async def _ws_drain(queue: asyncio.Queue[Message], send: Send) -> None:
    while True:
        await send(await queue.get())


async def _ws_gone(receive: Receive) -> None:
    """Returns once the client has gone; what a subscriber sends is ignored."""
    while (await _ws_receive(receive))["type"] != "websocket.disconnect":
        pass


async def ws_subscribe(receive: Receive, send: Send) -> None:
    """In the room until the client leaves (or its sender fails); then out, tasks ended."""
    queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=ROOM_QUEUE_SIZE)
    _room.add(queue)  # before the accept: a client whose handshake is done is in the room already
    try:
        if not await _ws_accept(send):
            return
        sender = asyncio.create_task(_ws_drain(queue, send))
        gone = asyncio.create_task(_ws_gone(receive))
        try:
            await asyncio.wait({sender, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sender.cancel()
            gone.cancel()
            await asyncio.wait({sender, gone})  # never raises their errors; our CancelledError still propagates
    finally:
        _room.discard(queue)
    error = None if sender.cancelled() else sender.exception()
    if error is not None and not isinstance(error, GONE):
        raise error


async def websocket(scope: Scope, receive: Receive, send: Send) -> None:
    if (await _ws_receive(receive))["type"] != "websocket.connect":
        return
    path, query = scope["path"], scope.get("query_string", b"").decode("latin-1")
    if path == "/ws/echo":
        await ws_echo(receive, send)
    elif path == "/ws/room" and parse_qs(query).get("role") == ["publisher"]:
        if await _ws_accept(send):
            await ws_publish(receive)
    elif path == "/ws/room":
        await ws_subscribe(receive, send)
    else:
        await send({"type": "websocket.close", "code": 1008})  # before accept: the server answers 403


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
    if scope["type"] == "websocket":
        await websocket(scope, receive, send)
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
