"""The service-time probe: each mix entry sent to the idle server one request
at a time, before the load starts, for the model (perfsuite.judge.expectation).

Per entry: one untimed request (imports, caches, connection), then timed
requests until PROBE_SAMPLES or the entry's time budget is spent (never
fewer than MIN_SAMPLES that answered); the median is the entry's service
time. The server's CPU time over the timed requests (psutil, its whole
process tree) gives its CPU per request. A request answering another status
than the entry expects is a failure and is not timed. The whole probe is
bounded by PROBE_BUDGET_S; an entry not reached is left out (the model then
says it has no service time for it).
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from urllib.parse import urlsplit

import psutil

from perfsuite.record.results import ProbeEntry, ProbeResult
from perfsuite.spec.format import MixEntry

PROBE_SAMPLES = 15
MIN_SAMPLES = 3
ENTRY_BUDGET_S = 1.5
PROBE_BUDGET_S = 20.0
REQUEST_TIMEOUT_S = 10.0


def _cpu_s(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total
    except psutil.Error:
        return None


class _Client:
    """One kept-alive HTTP/1.1 connection (http.client: its own cost per request
    is a small fraction of a millisecond, which the median then holds)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection: http.client.HTTPConnection | None = None

    def send(self, entry: MixEntry) -> tuple[float, bool]:
        body = None if entry.body is None else json.dumps(entry.body).encode()
        headers = dict(entry.headers)
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        start = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
            self.connection.request(entry.method, entry.path, body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
            ok = response.status == entry.expect_status
            if response.will_close:
                self.close()
        except (OSError, http.client.HTTPException):
            ok = False
            self.close()
        return time.perf_counter() - start, ok

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def probe(url: str, entries: list[MixEntry], server_pid: int | None, budget_s: float = PROBE_BUDGET_S) -> ProbeResult:
    """Service times of `entries` on the server at `url` (whose process tree is `server_pid`)."""
    found: dict[str, ProbeEntry] = {}
    deadline = time.monotonic() + budget_s
    sent = 0
    cpu_start = _cpu_s(server_pid)
    client = _Client(url)
    try:
        for entry in entries:
            if time.monotonic() >= deadline:
                break
            client.send(entry)  # untimed: the first request pays for imports and connections
            sent += 1
            samples: list[float] = []
            failures = 0
            entry_end = time.monotonic() + ENTRY_BUDGET_S
            while len(samples) + failures < PROBE_SAMPLES and time.monotonic() < deadline:
                if time.monotonic() >= entry_end and len(samples) >= MIN_SAMPLES:
                    break
                if failures >= PROBE_SAMPLES // 2 + 1 and not samples:
                    break
                seconds, ok = client.send(entry)
                sent += 1
                if ok:
                    samples.append(seconds)
                else:
                    failures += 1
            found[entry.name] = ProbeEntry(
                service_ms=round(1000 * statistics.median(samples), 3) if samples else 0.0,
                samples=len(samples),
                spread_ms=[round(1000 * min(samples), 3), round(1000 * max(samples), 3)] if samples else [],
                failures=failures,
            )
    finally:
        client.close()
    cpu_end = _cpu_s(server_pid)
    cpu = None
    if cpu_start is not None and cpu_end is not None and sent:
        cpu = round(1000 * max(cpu_end - cpu_start, 0.0) / sent, 4)
    return ProbeResult(entries=found, cpu_ms_per_request=cpu)
