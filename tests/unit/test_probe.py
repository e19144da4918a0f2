"""The service-time probe against a real HTTP server (the standard library's,
in a thread): timing, failures, redirects, encodings and answers that never end."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from perfsuite.plan.format import MixEntry
from perfsuite.run import probe as probe_module
from perfsuite.run.probe import probe


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str]] = []

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # headers and body: no Nagle wait

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"ok", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        Handler.seen.append(self.path)
        if self.path.startswith("/wait"):
            time.sleep(0.03)
            self._answer(200)
        elif self.path == "/old":
            self._answer(307, b"", {"Location": "/wait?from=old"})
        elif self.path == "/broken":
            self._answer(500)
        elif self.path == "/stream":  # an answer that never ends
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while True:
                try:
                    self.wfile.write(b"1\r\nx\r\n")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.01)
        else:
            self._answer(200 if self.path.startswith("/caf%C3%A9") else 404)


@pytest.fixture()
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_each_entry_is_timed_by_its_median(url: str) -> None:
    result = probe(url, [MixEntry(name="wait", path="/wait")], None)
    entry = result.entries["wait"]
    assert 30.0 <= entry.service_ms < 45.0 and entry.samples >= 3 and entry.failures == 0
    assert entry.spread_ms[0] <= entry.service_ms <= entry.spread_ms[1]


def test_failures_redirects_and_paths_outside_ascii(url: str) -> None:
    entries = [
        MixEntry(name="broken", path="/broken"),
        MixEntry(name="moved", path="/old"),
        MixEntry(name="cafe", path="/café?x=1"),
    ]
    result = probe(url, entries, None)
    assert result.entries["broken"].samples == 0 and result.entries["broken"].failures == 8
    assert result.entries["moved"].samples >= 3 and result.entries["moved"].service_ms >= 30.0  # followed, as Locust
    assert "/wait?from=old" in Handler.seen
    assert result.entries["cafe"].samples >= 3 and "/caf%C3%A9?x=1" in Handler.seen


def test_an_answer_that_never_ends_is_bounded(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe_module, "REQUEST_TIMEOUT_S", 0.5)
    started = time.monotonic()
    result = probe(url, [MixEntry(name="stream", path="/stream"), MixEntry(name="wait", path="/wait")], None, 2.0)
    assert time.monotonic() - started < 6.0
    assert result.entries["stream"].samples == 0 and result.entries["stream"].failures >= 1
