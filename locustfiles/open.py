"""Open-model load: requests arrive at a rate, whether or not earlier ones answered.

Alone:  locust -f locustfiles/open.py -H http://127.0.0.1:8000 --headless -u 1 \\
          --rate 50 --arrival poisson --mix '[{"name": "fast", "path": "/fast"}]'
Also takes --warmup and --duration (see _window.py), and --max-in-flight.

One scheduler per Locust process (the first user; more users add nothing)
starts each request at its intended time on a monotonic clock: `--rate` per
second in all, split evenly over the processes (--processes, or workers
elsewhere: the master tells each its share), spaced evenly (`constant`) or
at random (`poisson`). A request that finds --max-in-flight requests in flight
waits for a slot and is never skipped: that queue is the server's. Once the
generator itself is more than DROP_AFTER_MS behind its schedule (its CPU is
full), every request already due is dropped and counted (`dropped`, as k6's
dropped_iterations), and it goes on from the next one due: past its limit it
holds its maximum rate instead of sending late bursts that cost more CPU
than they free. Locust's statistics hold each request's
latency counted from its intended start (what a user waiting for it sees). The
same for the requests offered in the window alone, the latency from the actual
send, the generator's own lateness (schedule lag) and the counts offered,
completed, failed and unfinished in the window go to
--open-stats-file at exit, from every worker (Locust's worker reports carry them).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from typing import Any

import _window
import gevent
from _buckets import bucket_ms
from _mixlib import Entry, parse_mix, settle
from gevent.lock import Semaphore
from gevent.pool import Group
from locust import FastHttpUser, events, task
from locust.runners import MasterRunner, WorkerRunner

DEFAULT_MIX = '[{"name": "fast", "path": "/fast", "weight": 1}]'
LATE_MS = 1.0  # a request sent this much after its intended time is a late start
DROP_AFTER_MS = 100.0  # a request the scheduler reaches this late is dropped, not sent


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--mix", default=DEFAULT_MIX, help="JSON list of entries: name, path, weight, ...")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second offered, in all")
    parser.add_argument("--arrival", choices=["constant", "poisson"], default="constant")
    parser.add_argument("--max-in-flight", type=int, default=1000, help="the generator's cap on requests in flight")
    parser.add_argument("--open-stats-file", default="", include_in_web_ui=False,
                        help="counts, send latency and schedule lag (set by the suite)")  # fmt: skip
    parser.add_argument("--rate-share", type=int, default=0, include_in_web_ui=False,
                        help="how many processes share --rate (set by the master)")  # fmt: skip


class Window:
    """What this process offered in the measured window, as deltas since the last report."""

    def __init__(self) -> None:
        self.clear()
        self.in_window = False  # before the warm-up's end, nothing counts
        self.started = 0.0  # the window's start, monotonic
        self.ends = float("inf")  # its end (Locust's quit, just after, stops the scheduler ~30 ms late)
        self.in_flight = 0  # requests of the window not answered yet (not a delta)

    def clear(self) -> None:
        self.offered = 0
        self.dropped = 0  # of the offered, never sent: the generator was too far behind
        self.completed = 0
        self.failed = 0
        self.late = 0
        self.latency_ms: Counter[float] = Counter()  # from the intended start
        self.latency_sum = 0.0
        self.send_ms: Counter[float] = Counter()
        self.lag_ms: Counter[float] = Counter()
        self.lag_max = 0.0
        self.seconds: dict[int, list[float]] = {}  # second of the window -> [latency sum, count]
        self.unfinished = 0  # set once, where the window ends

    def take(self) -> dict[str, Any]:
        data = {
            "offered": self.offered,
            "dropped": self.dropped,
            "completed": self.completed,
            "failed": self.failed,
            "late": self.late,
            "latency_ms": dict(self.latency_ms),
            "latency_sum": self.latency_sum,
            "send_ms": dict(self.send_ms),
            "lag_ms": dict(self.lag_ms),
            "lag_max": self.lag_max,
            "seconds": self.seconds,
            "unfinished": self.unfinished,
        }
        self.clear()
        return data


WINDOW = Window()
TOTAL: dict[str, Any] = {}  # the master's (or the only process's) sum of every report
REQUESTS = Group()  # requests in flight: ended with the window


def _merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key in ("offered", "dropped", "completed", "failed", "late", "unfinished"):
        total[key] = total.get(key, 0) + part[key]
    total["latency_sum"] = total.get("latency_sum", 0.0) + part["latency_sum"]
    for key in ("latency_ms", "send_ms", "lag_ms"):
        merged = Counter({float(k): v for k, v in total.get(key, {}).items()})
        merged.update({float(k): v for k, v in part[key].items()})
        total[key] = dict(merged)
    total["lag_max"] = max(total.get("lag_max", 0.0), part["lag_max"])
    seconds = total.setdefault("seconds", {})
    for second, (latency, count) in part["seconds"].items():
        entry = seconds.setdefault(str(second), [0.0, 0])
        entry[0] += latency
        entry[1] += count


def _reset() -> None:
    WINDOW.clear()
    WINDOW.in_window = True
    WINDOW.started = time.monotonic()
    environment = _window.ENVIRONMENT[0] if _window.ENVIRONMENT else None
    duration = float(getattr(environment.parsed_options, "duration", 0.0) or 0.0) if environment else 0.0
    WINDOW.ends = WINDOW.started + duration if duration > 0 else float("inf")
    TOTAL.clear()


_window.ON_RESET.append(_reset)


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any]) -> None:
    data["perfsuite_open"] = WINDOW.take()


@events.worker_report.add_listener
def _worker_report(client_id: str, data: dict[str, Any]) -> None:
    if "perfsuite_open" in data:
        _merge(TOTAL, data["perfsuite_open"])


@events.test_start.add_listener
def _share(environment: Any, **_: Any) -> None:
    """The master splits the rate over its workers (custom options reach them with each spawn)."""
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        environment.parsed_options.rate_share = max(1, runner.worker_count)


@events.test_stop.add_listener
def _stop(environment: Any, **_: Any) -> None:
    """The window is over: what is still in flight is unfinished. A worker's
    count goes in its final report; the master's (or the only process's) is summed here."""
    WINDOW.unfinished = WINDOW.in_flight
    WINDOW.in_window = False
    REQUESTS.kill(block=False)
    if not isinstance(environment.runner, WorkerRunner):
        _merge(TOTAL, WINDOW.take())


@events.quit.add_listener
def _write(**_: Any) -> None:
    environment = _window.ENVIRONMENT[0] if _window.ENVIRONMENT else None
    if environment is None or isinstance(environment.runner, WorkerRunner):
        return
    options = environment.parsed_options
    path = getattr(options, "open_stats_file", "")
    if not path:
        return
    result = {"rate": options.rate, "arrival": options.arrival, "max_in_flight": options.max_in_flight, **TOTAL}
    try:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(result, file)
    except OSError:
        pass


SPIN_S = 0.002  # gevent's timers wake up to a millisecond late: the last stretch yields in a loop instead ...
SPIN_SHARE = 0.1  # ... for at most this share of the interval between arrivals: at high rates a spinning
# scheduler takes the CPU the sends need (at 3,000 req/s: lag p99 28 ms with a 2 ms spin, 1-2.5 ms with this)


def _until(moment: float, spin: float) -> None:
    """Wait until `moment` (monotonic), letting other greenlets run meanwhile;
    the last `spin` seconds yield in a loop rather than trust a timer. Behind
    its schedule, it still yields once: a scheduler that never yields would
    starve the sends and Locust's own quit (a rate of 1,000,000/s never ended)."""
    coarse = moment - time.monotonic() - spin
    if coarse > 0:
        gevent.sleep(coarse)
    elif time.monotonic() >= moment:
        gevent.sleep(0)
        return
    while time.monotonic() < moment:
        gevent.sleep(0)


class OpenUser(FastHttpUser):
    scheduling = False  # one scheduler per process

    def __init__(self, environment: Any) -> None:
        options = environment.parsed_options
        self.concurrency = max(1, int(getattr(options, "max_in_flight", 1000)))  # connections the client may open
        super().__init__(environment)
        self.entries = parse_mix(getattr(options, "mix", DEFAULT_MIX))
        self.weights = [entry.weight for entry in self.entries]
        self.slots = Semaphore(self.concurrency)

    @task
    def schedule(self) -> None:
        if OpenUser.scheduling:
            gevent.sleep(3600)  # another user of this process schedules
            return
        OpenUser.scheduling = True
        try:
            self._schedule()
        finally:
            OpenUser.scheduling = False

    def _schedule(self) -> None:
        options = self.environment.parsed_options
        share = max(1, int(getattr(options, "rate_share", 0) or 1))
        rate = float(options.rate) / share
        index = max(0, getattr(self.environment.runner, "worker_index", 0))
        poisson = options.arrival == "poisson"
        intended = time.monotonic() + (index / float(options.rate) if not poisson else 0.0)
        spin = min(SPIN_S, SPIN_SHARE / rate)

        def step() -> float:
            return random.expovariate(rate) if poisson else 1.0 / rate

        intended += step()
        while True:
            _until(intended, spin)
            now = time.monotonic()
            if now - intended > DROP_AFTER_MS / 1000:  # too far behind: every request already due is dropped
                if not poisson:  # evenly spaced: how many are due is a division, not a loop
                    due = int((now - intended) * rate) + 1  # intended + k / rate for k < due
                    if WINDOW.in_window:
                        first = max(0, math.ceil((WINDOW.started - intended) * rate))
                        ends = (WINDOW.ends - intended) * rate
                        last = due if math.isinf(ends) else min(due, math.ceil(ends))
                        WINDOW.offered += max(0, last - first)
                        WINDOW.dropped += max(0, last - first)
                    intended += due / rate
                while intended < now:
                    if WINDOW.in_window and WINDOW.started <= intended < WINDOW.ends:
                        WINDOW.offered += 1
                        WINDOW.dropped += 1
                    intended += step()
                continue  # the next one is due ahead: sent on time
            entry = random.choices(self.entries, self.weights)[0]
            counted = WINDOW.in_window and WINDOW.started <= intended < WINDOW.ends  # offered in the window
            if counted:
                WINDOW.offered += 1
                WINDOW.in_flight += 1
            REQUESTS.spawn(self._send, entry, intended, counted)
            intended += step()

    def _send(self, entry: Entry, intended: float, counted: bool) -> None:
        lag = max(0.0, time.monotonic() - intended) * 1000  # the generator's lateness, before any wait for a slot
        if counted and WINDOW.in_window:  # every request offered, answered or not: an overloaded server's are not
            WINDOW.lag_ms[bucket_ms(lag)] += 1
            WINDOW.lag_max = max(WINDOW.lag_max, lag)
            WINDOW.late += lag >= LATE_MS
        with self.slots:  # at the cap: wait for a slot, the latency still counts from `intended`
            try:
                with self.client.request(entry.method, entry.path, **entry.kwargs) as response:
                    send_ms = response.request_meta["response_time"]
                    latency = (time.monotonic() - intended) * 1000
                    response.request_meta["response_time"] = latency
                    ok = settle(response, entry)
            finally:
                if counted and WINDOW.in_window:
                    WINDOW.in_flight -= 1
        if counted and WINDOW.in_window:
            WINDOW.completed += ok
            WINDOW.failed += not ok
            WINDOW.latency_ms[bucket_ms(latency)] += 1
            WINDOW.latency_sum += latency
            WINDOW.send_ms[bucket_ms(send_ms)] += 1
            second = int(intended - WINDOW.started)
            entry_sums = WINDOW.seconds.setdefault(second, [0.0, 0])
            entry_sums[0] += latency
            entry_sums[1] += 1
