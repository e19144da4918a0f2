"""Every server kind started for real from its registry entry's argv: the same bytes from each."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from perfsuite.plan.format import ServerConfig
from perfsuite.plan.servers import build_argv
from perfsuite.run.process import ManagedProcess, free_port
from tests.conftest import REPO

EXPECTED = {
    "/fast": (200, b"fast\n"),
    "/slow?delay_ms=10": (200, b"slow 10 ms\n"),
    "/cpu?n=10": (200, b'{"n":10,"result":285}'),
    "/cpu?n=x": (400, b"bad request: n must be an integer\n"),
    "/nope": (404, b"not found\n"),
    "/stream?chunks=0": (400, b"bad request: chunks must be between 1 and 100000\n"),
}
STREAM = "/stream?chunks=4&interval_ms=50&bytes=3"
EVENT = re.compile(rb"id: (\d+)\ndata: (\d+) (\d+\.\d{6}) xxx")
KINDS = [
    ("gunicorn-sync", {"server": "gunicorn", "app": "apps.wsgi_app:app", "worker_class": "sync"}),
    ("gunicorn-gthread", {"server": "gunicorn", "app": "apps.wsgi_app:app", "worker_class": "gthread", "threads": 2}),
    ("gunicorn-gevent", {"server": "gunicorn", "app": "apps.wsgi_app:app", "worker_class": "gevent"}),
    ("gunicorn-uvicorn", {"server": "gunicorn", "app": "apps.asgi_app:app", "worker_class": "uvicorn"}),
    ("uvicorn", {"server": "uvicorn", "app": "apps.asgi_app:app"}),
    ("granian", {"server": "granian", "app": "apps.asgi_app:app"}),
    ("granian-wsgi", {"server": "granian", "app": "apps.wsgi_app:app", "interface": "wsgi"}),
    ("hypercorn", {"server": "hypercorn", "app": "apps.asgi_app:app"}),
]


# The ASGI kinds above, and gunicorn's own ASGI worker (its own WebSocket code).
WS_KINDS = [
    *((name, fields) for name, fields in KINDS if fields["app"] == "apps.asgi_app:app"),
    ("gunicorn-asgi", {"server": "gunicorn", "app": "apps.asgi_app:app", "worker_class": "asgi"}),
]
ROOM_MESSAGES = 20
RECV_S = 5.0


@contextmanager
def serving(tmp_path: Path, name: str, fields: dict[str, object]) -> Iterator[int]:
    """The kind started from its registry entry's argv, ready; yields its port."""
    port = free_port()
    cfg = ServerConfig.model_validate(fields)
    proc = ManagedProcess(name, build_argv(cfg, "127.0.0.1", port), log_path=tmp_path / "server.log",
                          env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)  # fmt: skip
    proc.start()
    try:
        proc.wait_ready(f"http://127.0.0.1:{port}/", timeout_s=30)
        yield port
    finally:
        proc.stop()


@pytest.mark.parametrize(("name", "fields"), KINDS, ids=[k[0] for k in KINDS])
def test_every_kind_serves_the_same_bytes(tmp_path, name: str, fields: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    with serving(tmp_path, name, fields) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for path, (status, body) in EXPECTED.items():
            response = client.get(path)
            assert (response.status_code, response.content) == (status, body), path
            assert "x-process-time" in response.headers  # the classic example's middleware
        json_doc = client.get("/json")
        assert json_doc.headers["content-type"] == "application/json"
        assert json_doc.json()["items"][3] == {"id": 3, "name": "item-3", "ok": False}
        check_stream(client)


@pytest.mark.parametrize(("name", "fields"), WS_KINDS, ids=[k[0] for k in WS_KINDS])
def test_asgi_kinds_serve_websockets(tmp_path: Path, name: str, fields: dict[str, object]) -> None:
    with serving(tmp_path, name, fields) as port:
        url = f"ws://127.0.0.1:{port}"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for path in ("/ws/echo", "/ws/room", "/ws/room?role=publisher"):  # not a WebSocket: no such page
                response = client.get(path)
                assert (response.status_code, response.content) == (404, b"not found\n"), path
        with pytest.raises(InvalidStatus) as refused, connect(f"{url}/ws/nope", open_timeout=RECV_S):
            pass  # closed before the accept: refused with HTTP 403
        assert refused.value.response.status_code == 403
        with connect(f"{url}/ws/echo", open_timeout=RECV_S) as echo:
            for message in ("héllo", b"\x00\xff bytes\n", "", "x" * 70_000):
                echo.send(message)
                assert echo.recv(timeout=RECV_S) == message  # text as text, bytes as bytes
        check_room(url)


def check_room(url: str) -> None:
    """3 subscribers each get the publisher's 20 messages, in order; one leaves, the other 2 get the next."""
    with ExitStack() as stack:
        subscribers = [stack.enter_context(connect(f"{url}/ws/room", open_timeout=RECV_S)) for _ in range(3)]
        publisher = stack.enter_context(connect(f"{url}/ws/room?role=publisher", open_timeout=RECV_S))
        # The app puts a subscriber in the room before it accepts it, but say hello until
        # each has heard one rather than trust that: a server may finish the handshake early.
        deadline = time.monotonic() + 10
        unheard = list(subscribers)
        while unheard:
            assert time.monotonic() < deadline, f"{len(unheard)} subscribers never heard hello"
            publisher.send("hello")
            for subscriber in list(unheard):
                try:
                    assert subscriber.recv(timeout=0.05) == "hello"
                except TimeoutError:
                    continue
                unheard.remove(subscriber)
        sent = [f"{i} {time.time()}" for i in range(ROOM_MESSAGES)]
        for message in sent:
            publisher.send(message)
        for subscriber in subscribers:
            assert received(subscriber, ROOM_MESSAGES) == sent
        subscribers.pop(0).close()
        publisher.send(last := f"{ROOM_MESSAGES} {time.time()}")
        for subscriber in subscribers:
            assert received(subscriber, 1) == [last]
        with pytest.raises(TimeoutError):  # nothing comes back to the publisher
            publisher.recv(timeout=0.1)


def received(subscriber: ClientConnection, count: int) -> list[str | bytes]:
    """The next `count` messages past any late hellos, each within RECV_S."""
    messages: list[str | bytes] = []
    while len(messages) < count:
        message = subscriber.recv(timeout=RECV_S)
        if message != "hello" or messages:
            messages.append(message)
    return messages


def check_stream(client: httpx.Client) -> None:
    """4 server-sent events, 50 ms apart when made and still apart when they arrive (not buffered)."""
    arrived: list[float] = []
    events: list[bytes] = []
    rest = b""
    with client.stream("GET", STREAM) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert "content-length" not in response.headers
        assert "x-process-time" in response.headers
        for chunk in response.iter_raw():
            rest += chunk
            *complete, rest = rest.split(b"\n\n")
            arrived += [time.perf_counter()] * len(complete)
            events += complete
    assert rest == b"" and len(events) == 4, events
    sent = []
    for i, event in enumerate(events):
        match = EVENT.fullmatch(event)
        assert match and int(match[1]) == int(match[2]) == i, event
        sent.append(float(match[3]))
    assert all(b - a >= 0.045 for a, b in pairwise(sent)), sent
    assert arrived[-1] - arrived[0] >= 0.14, (arrived, sent)
