"""Every server kind started for real from its registry entry's argv: the same bytes from each."""

from __future__ import annotations

import os
import re
import time
from itertools import pairwise

import httpx
import pytest

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


@pytest.mark.parametrize(("name", "fields"), KINDS, ids=[k[0] for k in KINDS])
def test_every_kind_serves_the_same_bytes(tmp_path, name: str, fields: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    cfg = ServerConfig.model_validate(fields)
    proc = ManagedProcess(name, build_argv(cfg, "127.0.0.1", port), log_path=tmp_path / "server.log",
                          env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)  # fmt: skip
    proc.start()
    try:
        proc.wait_ready(f"http://127.0.0.1:{port}/", timeout_s=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for path, (status, body) in EXPECTED.items():
                response = client.get(path)
                assert (response.status_code, response.content) == (status, body), path
                assert "x-process-time" in response.headers  # the classic example's middleware
            json_doc = client.get("/json")
            assert json_doc.headers["content-type"] == "application/json"
            assert json_doc.json()["items"][3] == {"id": 3, "name": "item-3", "ok": False}
            check_stream(client)
    finally:
        proc.stop()


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
