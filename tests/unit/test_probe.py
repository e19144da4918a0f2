"""The service-time probe against a real HTTP server (the standard library's,
in a thread): timing, failures, redirects, encodings and answers that never end;
and the rate with 1, 2, 4, ... requests inside, on waits that overlap and on a
section that serializes them."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from perfsuite.plan.format import MixEntry
from perfsuite.run import probe as probe_module
from perfsuite.run.probe import _counts, _weighted, inner_rates, probe, wait_until_idle


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str]] = []
    gate: ClassVar[threading.Lock] = threading.Lock()

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
        elif self.path == "/gate":  # 10 ms that one request at a time may hold: 100 a second at most
            with Handler.gate:
                time.sleep(0.01)
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


@pytest.fixture()
def short_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each count settled for 0.1 s and counted for 0.4 s (2.25 s a count in a run)."""
    monkeypatch.setattr(probe_module, "INNER_SETTLE_S", 0.1)
    monkeypatch.setattr(probe_module, "INNER_WINDOW_S", 0.4)


@pytest.mark.usefixtures("short_counts")
def test_the_rate_inside_grows_with_overlapping_waits(url: str) -> None:
    """30 ms waits that overlap: j inside answer j / 30 ms a second (Little's law)."""
    points = inner_rates(url, [MixEntry(path="/wait")], 0.03, users=(3, 5), to_flat=False, levels=(1, 2, 4, 8))
    assert [p.inside for p in points] == [1, 2, 3, 4, 5]  # a closed loop's users among them, none above the most
    for point in points:
        assert point.failed == 0 and point.answered >= 8 * point.inside
        assert point.rps == pytest.approx(point.inside / 0.03, rel=0.15), point


@pytest.mark.usefixtures("short_counts")
def test_a_section_one_request_holds_at_a_time_bounds_the_rate_and_ends_the_ladder(url: str) -> None:
    """What a one-at-a-time probe cannot see: 10 ms that requests must take in turn. The rate
    stays near 100/s however many are inside, and two counts that add nothing end the ladder."""
    points = inner_rates(url, [MixEntry(path="/gate")], 0.01, levels=(1, 2, 4, 8, 16, 32))
    assert points[-1].inside <= 16  # two counts that add under 3% end it: never 32
    assert all(60 <= p.rps <= 105 for p in points), points
    assert points[-1].rps < 1.03 * max(p.rps for p in points[:-1])


@pytest.mark.usefixtures("short_counts")
def test_the_ladder_keeps_to_its_budget_and_a_failing_count_ends_it(url: str) -> None:
    started = time.monotonic()
    points = inner_rates(url, [MixEntry(path="/wait")], 0.03, levels=(1, 2, 4, 8), budget_s=1.2)
    assert time.monotonic() - started < 1.5 and [p.inside for p in points] == [1, 2]
    broken = inner_rates(url, [MixEntry(path="/broken", expect_status=200)], 0.01, levels=(1, 2))
    assert len(broken) == 1 and broken[0].answered == 0 and broken[0].failed > 0 and broken[0].rps == 0


def test_the_mix_is_sent_as_its_weights_say() -> None:
    a, b, never = MixEntry(path="/a", weight=3), MixEntry(path="/b"), MixEntry(path="/c", weight=0)
    assert _weighted([a, b, never]) == ([a, b], [3, 1])


@pytest.mark.usefixtures("short_counts")
def test_every_client_sends_the_whole_mix_and_failures_are_not_answers(url: str) -> None:
    """Two entries of 1:1 at 2 inside: each client draws from both (a client per entry would
    answer the fast one many times over); and a count whose requests fail ends the ladder,
    its failures counted and never taken as answers."""
    mix = [MixEntry(path="/wait/a"), MixEntry(path="/gate", weight=1)]  # 30 ms overlapping, 10 ms in turn
    point = inner_rates(url, mix, 0.02, users=(2,), to_flat=False, levels=(1, 2))[-1]
    assert point.inside == 2 and point.rps == pytest.approx(2 / 0.02, rel=0.25), point  # a mean of 20 ms each
    half = [MixEntry(path="/wait/b"), MixEntry(path="/broken")]
    points = inner_rates(url, half, 0.02, levels=(1, 2, 4))
    assert len(points) == 1 and not points[0].usable() and points[0].failed > 0
    assert points[0].rps == pytest.approx(points[0].answered / 0.4, rel=0.25)  # answers per second, not requests


def test_the_counts_put_the_users_first_where_the_budget_is_short() -> None:
    ladder = (1, 2, 4, 8, 16, 32, 64, 128, 256)
    assert _counts(ladder, [4, 12, 32], False, 20) == [1, 2, 4, 8, 12, 16, 32]
    assert _counts(ladder, [4, 12, 32], True, 20) == [1, 2, 4, 8, 12, 16, 32, 64, 128, 256]
    assert _counts(ladder, [4, 12, 32], False, 5) == [1, 2, 4, 12, 32]  # the users, then the ladder from the bottom
    assert _counts(ladder, [], True, 4) == [1, 2, 4, 8]
    assert _counts(ladder, [5000], False, 30) == [1, 2, 4, 8, 16, 32, 64, 128, 256]  # at most 256 threads


def test_the_probe_waits_for_a_server_still_starting_to_go_idle() -> None:
    """A server answers once one worker is up; another may still be importing the app. The probe
    starts once the process tree is idle, and waits no longer than its deadline for that."""
    starting = subprocess.Popen(  # burns a core for 0.6 s, then idles
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\ntime.sleep(30)",
        ]
    )
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        started = time.monotonic()
        assert wait_until_idle(starting.pid, 10.0)
        assert 0.4 <= time.monotonic() - started < 5.0
        started = time.monotonic()
        assert not wait_until_idle(busy.pid, 0.5)
        assert time.monotonic() - started < 1.0
        assert not wait_until_idle(2**22 + 12345, 0.5)  # no such process: nothing to wait for
    finally:
        for process in (starting, busy):
            process.kill()
            process.wait()
