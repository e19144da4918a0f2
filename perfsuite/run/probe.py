"""The service-time probe: each mix entry sent to the idle server one request
at a time, before the load starts, for the model (perfsuite.judge.expectation).
Idle: the probe waits (up to IDLE_WAIT_S) until the server's process tree uses
under 5% of a core, since it answers once one worker is up while others may
still be starting.

Per entry: one untimed request (imports, caches, connection), then timed
requests until PROBE_SAMPLES or the entry's time budget is spent (never
fewer than MIN_SAMPLES that answered); the median is the entry's service
time. The server's CPU time over the timed requests (psutil, its whole
process tree) gives its CPU per request. A request answering another status
than the entry expects is a failure and is not timed; redirects are followed
as Locust follows them. Every request ends by its deadline (a streaming or
trickling answer too), the whole probe by PROBE_BUDGET_S, and a stop asked
for (Ctrl-C) is honoured between requests; an entry not reached is left out
(the model then says it has no service time for it).

Where the model cannot derive a config's rate from its CPU and waits (a
kind or framework that hands each request between threads: Django under
ASGI), `inner_rates` then measures it: the mix sent by 1, 2, 4, 8, ... clients
at once, none pausing, so that exactly that many requests are inside the
server; the answers per second at each count are its flow-equivalent
station (Lazowska et al., ch. 8: measured rather than solved). Each count
runs INNER_SETTLE_S, then is counted for its window; the counts double, with
a closed loop's users among them, up to its most users (open runs and a
target: until the rate stops growing), until a count fails or INNER_BUDGET_S
is spent (the users' counts first). Its clients run on the load generator's
cores, where the plan pins one.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import statistics
import threading
import time
from collections.abc import Sequence
from urllib.parse import quote, urljoin, urlsplit

import psutil

from perfsuite.plan.format import MixEntry
from perfsuite.record.results import InnerRate, ProbeEntry, ProbeResult
from perfsuite.run.lifecycle import STOP

PROBE_SAMPLES = 15
MIN_SAMPLES = 3
ENTRY_BUDGET_S = 1.5
PROBE_BUDGET_S = 20.0
REQUEST_TIMEOUT_S = 10.0
MAX_REDIRECTS = 5
CHUNK = 65_536
REDIRECTS = (301, 302, 303, 307, 308)
SAFE = "/?&=%:@!$'()*+,;~-._#[]"  # kept as written; anything else (a space, non-ASCII) percent-encoded
IDLE_WAIT_S = 10.0  # for the server's workers to finish starting before the probe
IDLE_STEP_S = 0.1
IDLE_SHARE = 0.05  # of a core: idle
INNER_LEVELS = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # requests inside
INNER_MOST = INNER_LEVELS[-1]  # a thread and a connection each in the suite's process: counts above measure as this
INNER_SETTLE_S = 0.25  # each count's connections opened and its queue formed before counting
# Counted per count: this server's rate moves by about 5% from one second to the next (Django under ASGI,
# 12 inside: 306-349/s over 0.75 s windows, 316-340 over 3 s), so 2 s at least, 5 service times at least.
INNER_WINDOW_S = 2.0
INNER_WINDOW_SERVICES = 5
INNER_WINDOW_MAX_S = 4.0
INNER_BUDGET_S = 30.0
INNER_FLAT = 1.03  # a count that adds less than 3% of rate to the best before, twice: saturated


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

    def _exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str], deadline: float
    ) -> tuple[int, str | None]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
        self.connection.request(method, quote(path, safe=SAFE), body=body, headers=headers)
        response = self.connection.getresponse()
        while True:  # the body, against the request's deadline (an endless stream ends here)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the answer did not end within the probe's time")
            if self.connection.sock is not None:
                self.connection.sock.settimeout(min(REQUEST_TIMEOUT_S, remaining))
            if response.length == 0 or not response.read1(CHUNK):
                break
        response.close()  # the body is read: the connection may carry the next request
        if response.will_close:
            self.close()
        return response.status, response.getheader("Location")

    def send(self, entry: MixEntry, budget_end: float) -> tuple[float, bool]:
        body = None if entry.body is None else json.dumps(entry.body).encode()
        headers = dict(entry.headers)
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        start = time.perf_counter()
        deadline = min(time.monotonic() + REQUEST_TIMEOUT_S, budget_end + REQUEST_TIMEOUT_S)
        method, path = entry.method, entry.path
        try:
            for _ in range(MAX_REDIRECTS + 1):
                status, location = self._exchange(method, path, body, headers, deadline)
                target = urlsplit(urljoin(f"http://{self.host}:{self.port}{path}", location or ""))
                same_host = target.hostname in (self.host, None) and (target.port or 80) == self.port
                if status not in REDIRECTS or not location or not same_host:
                    break
                path = target.path + (f"?{target.query}" if target.query else "")
                if status in (301, 302, 303) and method != "HEAD":
                    method, body = "GET", None
            ok = status == entry.expect_status
        except (TimeoutError, OSError, ValueError, http.client.HTTPException):
            ok = False
            self.close()
        return time.perf_counter() - start, ok

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def wait_until_idle(server_pid: int | None, deadline_s: float = IDLE_WAIT_S) -> bool:
    """Whether the server's process tree came to use under IDLE_SHARE of a core over IDLE_STEP_S
    within `deadline_s`: a server answers once one worker is up, while the others may still be
    importing the app on the same cores (gunicorn sync x 2 with Django: a 5 ms request probed at
    10 ms, 10.7 ms of CPU each, and the model 0.78 of what the run did)."""
    end = time.monotonic() + deadline_s
    before = _cpu_s(server_pid)
    while before is not None and time.monotonic() < end:
        STOP.check()
        time.sleep(IDLE_STEP_S)  # a sampling interval: the CPU used over it is the measurement
        now = _cpu_s(server_pid)
        if now is None:
            return False
        if 0 <= now - before < IDLE_SHARE * IDLE_STEP_S:  # a child that exited makes it fall: not idle
            return True
        before = now
    return False


def probe(url: str, entries: list[MixEntry], server_pid: int | None, budget_s: float = PROBE_BUDGET_S) -> ProbeResult:
    """Service times of `entries` on the server at `url` (whose process tree is `server_pid`),
    once it is idle (wait_until_idle)."""
    found: dict[str, ProbeEntry] = {}
    wait_until_idle(server_pid)
    budget_end = time.monotonic() + budget_s
    timed, cpu = 0, 0.0
    client = _Client(url)
    try:
        for entry in entries:
            if time.monotonic() >= budget_end:
                break
            STOP.check()
            client.send(entry, budget_end)  # untimed: the first request pays for imports and connections
            samples: list[float] = []
            failures = 0
            entry_end = time.monotonic() + ENTRY_BUDGET_S
            cpu_start = _cpu_s(server_pid)
            while len(samples) + failures < PROBE_SAMPLES and time.monotonic() < budget_end:
                if time.monotonic() >= entry_end and len(samples) >= MIN_SAMPLES:
                    break
                if failures >= PROBE_SAMPLES // 2 + 1 and not samples:
                    break
                STOP.check()
                seconds, ok = client.send(entry, budget_end)
                if ok:
                    samples.append(seconds)
                else:
                    failures += 1
            cpu_end = _cpu_s(server_pid)
            if cpu_start is not None and cpu_end is not None:
                cpu += max(cpu_end - cpu_start, 0.0)
                timed += len(samples) + failures
            found[entry.name] = ProbeEntry(
                service_ms=round(1000 * statistics.median(samples), 3) if samples else 0.0,
                samples=len(samples),
                spread_ms=[round(1000 * min(samples), 3), round(1000 * max(samples), 3)] if samples else [],
                failures=failures,
            )
    finally:
        client.close()
    return ProbeResult(entries=found, cpu_ms_per_request=round(1000 * cpu / timed, 4) if timed else None)


def _weighted(entries: Sequence[MixEntry]) -> tuple[list[MixEntry], list[int]]:
    """The mix and its weights (steady mode's default 1; weight 0: never sent), as Locust draws them."""
    kept = [(entry, entry.weight if entry.weight is not None else 1) for entry in entries]
    kept = [(entry, weight) for entry, weight in kept if weight > 0]  # validation refuses a mix of 0 weights only
    return [entry for entry, _ in kept], [weight for _, weight in kept]


def _level(
    url: str, mix: tuple[list[MixEntry], list[int]], inside: int, window_s: float, cpus: list[int] | None
) -> InnerRate:
    """`inside` clients sending back to back, each drawing its requests from the whole mix by weight
    (seeded: the same sequence every time); its rate by Little's law, `inside` over the mean time a
    request took, of those that ended in the window, times the share answered: the station's
    answers per second with that many inside (the clients' own time between requests left out, as
    Locust's is its own station), and exact where a count of answers in a window is whole numbers
    (30 a second at 33 ms: 3% a step)."""
    entries, weights = mix
    stop = threading.Event()
    ends: list[list[tuple[float, float, bool]]] = [[] for _ in range(inside)]  # (end, seconds, ok)

    def client(index: int) -> None:
        if cpus:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, cpus)  # this thread only
        sender, draw = _Client(url), random.Random(index)
        try:
            while not stop.is_set():
                entry = draw.choices(entries, weights)[0]
                seconds, ok = sender.send(entry, time.monotonic() + window_s)
                ends[index].append((time.monotonic(), seconds, ok))
        finally:
            sender.close()

    threads: list[threading.Thread] = []
    try:
        for index in range(inside):
            threads.append(threading.Thread(target=client, args=(index,), daemon=True))
            threads[-1].start()
        start = time.monotonic() + INNER_SETTLE_S
        end = start + window_s
        while (now := time.monotonic()) < end:
            STOP.check()
            stop.wait(min(0.1, end - now))
    finally:
        stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S)
    counted = [(seconds, ok) for each in ends for t, seconds, ok in each if start <= t < end]
    answered = sum(1 for _, ok in counted if ok)
    mean = statistics.fmean(c for c, _ in counted) if counted else 0.0
    rps = inside / mean * answered / len(counted) if answered and mean > 0 else 0.0
    return InnerRate(inside=inside, rps=round(rps, 3), answered=answered, failed=len(counted) - answered)


def _counts(levels: Sequence[int], users: Sequence[int], to_flat: bool, fit: int) -> list[int]:
    """The counts to measure, ascending: the ladder (below the most users, unless `to_flat`) and the
    users, each at most INNER_MOST; where not all `fit` the budget, the users first, then the
    ladder from the bottom."""
    needed = {min(n, INNER_MOST) for n in users}
    top = max(needed, default=0)
    ladder = [n for n in levels if n <= INNER_MOST and (to_flat or n < top) and n not in needed]
    return sorted(needed | set(ladder[: max(0, fit - len(needed))]))


def inner_rates(
    url: str,
    entries: Sequence[MixEntry],
    service_s: float,
    cpus: list[int] | None = None,
    users: Sequence[int] = (),
    to_flat: bool = True,
    levels: Sequence[int] = INNER_LEVELS,
    budget_s: float = INNER_BUDGET_S,
) -> list[InnerRate]:
    """The server's answers per second with 1, 2, 4, 8, ... requests inside (its flow-equivalent
    station), on the mix `entries`: at each of `users` (closed loops: where the runs need it, not
    read off a line between two counts), and up the ladder until the rate stops growing
    (`to_flat`: open runs, a target's sizing) or else below the most users. `service_s` (one
    request on the idle server) sets each count's window. A count whose requests fail ends it."""
    mix = _weighted(entries)
    window = min(max(INNER_WINDOW_S, INNER_WINDOW_SERVICES * service_s), INNER_WINDOW_MAX_S)
    budget_end = time.monotonic() + budget_s
    found: list[InnerRate] = []
    flat = 0
    top = max(users, default=0)
    for inside in _counts(levels, users, to_flat, int(budget_s // (INNER_SETTLE_S + window))):
        if time.monotonic() + INNER_SETTLE_S + window > budget_end:
            break
        point = _level(url, mix, inside, window, cpus)
        found.append(point)
        if not point.usable():
            break
        best = max(before.rps for before in found[:-1]) if len(found) > 1 else 0.0
        flat = flat + 1 if point.rps < INNER_FLAT * best else 0
        if to_flat and flat >= 2 and inside >= top:
            break
    return found


# The longest a probe can take, idle wait to last count (a count's threads may each take a request's
# timeout to end): Locust waits at its gate at least this long.
LONGEST_S = IDLE_WAIT_S + PROBE_BUDGET_S + REQUEST_TIMEOUT_S + INNER_BUDGET_S + INNER_WINDOW_MAX_S + REQUEST_TIMEOUT_S
