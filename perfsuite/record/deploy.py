"""Across each event under load, from every request's timing (pure).

Locust's _window.py logs every request (start, milliseconds, status,
error) when a run has events or recycles its workers; the suite's event
driver records what it did and the server's workers over time. From these:

  failed      requests that failed from the event to the next one (or the
              window's end), by HTTP status or by what the client saw
  in_flight   requests sent before the event and ended after it
  before/after  requests answered in up to SPAN_S on each side (never
              across another event): their rate, p50 and p99
  recovered_s the time until throughput is back within 5% of before: the
              start (plus a step) of the last window of RECOVERY_WINDOW_S (longer at low
              rates, so a window holds RECOVERY_REQUESTS) whose count is
              below 95% of before's, less how much before's windows varied
              (closed loops answer in waves); 0 when none is; None when
              the last window still is (not recovered in the window)
  timeline    per second: answered, failed, p99, workers at most
  recycling   workers that appeared in the window where the config
              restarts them on purpose, and p99 within a second of each
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from perfsuite.record.results import EventFailed, EventResult, InFlight, Recycling, TimelinePoint

SPAN_S = 3.0  # before and after an event, at most
RECOVERED_SHARE = 0.95  # throughput back within 5% of before
RECOVERY_WINDOW_S = 0.5
RECOVERY_REQUESTS = 20  # a window holds at least this many at the rate before (up to MAX_RECOVERY_WINDOW_S)
MAX_RECOVERY_WINDOW_S = 2.0
STEP_S = 0.05
NEAR_S = 1.0  # recycling: requests ending within this after a new worker was seen
MAX_ROWS = 5_000_000  # requests read from one run's logs
MAX_ERROR = 160


@dataclass(frozen=True)
class Request:
    start: float
    end: float
    status: int
    error: str

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


@dataclass(frozen=True)
class DoneEvent:
    """An event as the driver did it."""

    do: str
    fired_at: float
    workers_before: tuple[int, ...]
    workers: int | None = None
    seed: int | None = None
    killed: int | None = None
    note: str | None = None


def parse_log(text: str, limit: int = MAX_ROWS) -> list[Request]:
    """A request log (CSV: start, ms, status, error) -> requests; ValueError if it is not one."""
    try:
        return _parse(text, limit)
    except csv.Error as error:  # a field beyond csv's limit, a NUL
        raise ValueError(f"not a request log ({error})") from None


def _parse(text: str, limit: int) -> list[Request]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != ["start", "ms", "status", "error"]:
        raise ValueError("not a request log (its header is not start,ms,status,error)")
    found: list[Request] = []
    for number, row in enumerate(reader, start=2):
        if len(found) >= limit:
            raise ValueError(f"more than {limit:,} requests")
        if len(row) != 4:
            raise ValueError(f"line {number}: {len(row)} fields, not 4")
        start, ms, status = float(row[0]), float(row[1]), int(row[2])
        if not (math.isfinite(start) and math.isfinite(ms)) or ms < 0 or not 0 <= status <= 999:
            raise ValueError(f"line {number}: not a request's timing")
        found.append(Request(start, start + ms / 1000, status, row[3][:MAX_ERROR]))
    return found


def error_kind(error: str) -> str:
    """What the client saw when no response came, in a few words."""
    text = error.lower()
    for words, kind in (
        (("refused",), "connection refused"),
        (("reset", "broken pipe", "epipe"), "connection reset"),
        (("timeout", "timed out"), "timeout"),
        (("disconnect", "closed", "eof", "incomplete", "empty response", "badstatusline"), "disconnected"),
    ):
        if any(word in text for word in words):
            return kind
    name = error.split("(", 1)[0].strip()
    return f"other: {name}" if name else "other"


def failed_of(requests: Iterable[Request]) -> EventFailed:
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for r in requests:
        if r.ok:
            continue
        if r.status >= 400:
            statuses[str(r.status)] += 1
        else:
            errors[error_kind(r.error)] += 1
    return EventFailed(
        count=sum(statuses.values()) + sum(errors.values()), statuses=dict(statuses), errors=dict(errors)
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (None: no values)."""
    if not values:
        return None
    return round(float(np.percentile(np.asarray(values), q, method="higher")), 3)


def _answered(requests: Sequence[Request], start: float, end: float) -> list[Request]:
    return [r for r in requests if r.ok and start <= r.end < end]


def _window_counts(ends: np.ndarray, start: float, until: float, window: float) -> np.ndarray:
    """Requests answered in each window of `window` seconds starting every STEP_S from `start`."""
    starts = np.arange(start, until - window + 1e-9, STEP_S)
    return np.searchsorted(ends, starts + window) - np.searchsorted(ends, starts)


def recovered_after(
    requests: Sequence[Request], at: float, until: float, before_from: float, rate_before: float | None
) -> float | None:
    """Seconds from `at` until throughput is back within 5% of before (module docstring). Windows of
    `before_from`..`at` show how much a window's count varies at a steady rate (closed loops answer in
    waves): a window after counts as fallen when it is below 95% of their median by more than their
    median is above their 10th percentile."""
    if not rate_before:
        return None
    if until - at < RECOVERY_WINDOW_S:
        return None  # too short to tell (the rules keep events a second apart, and from the window's end)
    window = min(MAX_RECOVERY_WINDOW_S, max(RECOVERY_WINDOW_S, RECOVERY_REQUESTS / rate_before), until - at)
    ends = np.sort(np.asarray([r.end for r in requests if r.ok]))
    steady = _window_counts(ends, before_from, at, window)
    if len(steady):
        base = float(np.median(steady))
        least = RECOVERED_SHARE * base - (base - float(np.percentile(steady, 10)))
    else:
        least = RECOVERED_SHARE * rate_before * window
    counts = _window_counts(ends, at, until, window)
    below = np.nonzero(counts < least)[0]
    if not len(below):
        return 0.0
    if below[-1] == len(counts) - 1:
        return None  # still below at the window's end
    return round(float((below[-1] + 1) * STEP_S), 2)  # the windows from here on leave the fall behind


def _workers_at(snapshots: Sequence[tuple[float, tuple[int, ...]]], before: float) -> list[int]:
    """The workers of the last snapshot before `before`."""
    last: tuple[int, ...] = ()
    for t, workers in snapshots:
        if t >= before:
            break
        last = workers
    return list(last)


def event_results(
    requests: Sequence[Request],
    window: tuple[float, float],
    done: Sequence[DoneEvent],
    snapshots: Sequence[tuple[float, tuple[int, ...]]],
) -> list[EventResult]:
    start, end = window
    times = [d.fired_at for d in done]
    results: list[EventResult] = []
    for index, event in enumerate(done):
        at = event.fired_at
        previous = times[index - 1] if index else start
        following = times[index + 1] if index + 1 < len(times) else end
        # Before: from the previous event's recovery (its fall is not this event's baseline), up to SPAN_S.
        settled = previous + (results[-1].recovered_s or 0.0) if results else start
        since = max(settled if at - settled >= RECOVERY_WINDOW_S else previous, at - SPAN_S, start)
        before = _answered(requests, since, at)
        after = _answered(requests, at, min(following, at + SPAN_S))
        span_after = min(following, at + SPAN_S) - at
        rate_before = len(before) / (at - since) if at > since else None
        flight = [r for r in requests if r.start < at <= r.end]
        results.append(
            EventResult(
                do=event.do,
                at_s=round(at - start, 3),
                workers=event.workers,
                seed=event.seed,
                killed=event.killed,
                note=event.note,
                failed=failed_of(r for r in requests if at <= r.end < following),
                in_flight=InFlight(
                    count=len(flight), answered=sum(r.ok for r in flight), failed=sum(not r.ok for r in flight)
                ),
                requests_before=len(before),
                requests_after=len(after),
                rps_before=None if rate_before is None else round(rate_before, 3),
                rps_after=round(len(after) / span_after, 3) if span_after > 0 else None,
                p50_before_ms=percentile([r.ms for r in before], 50),
                p50_after_ms=percentile([r.ms for r in after], 50),
                p99_before_ms=percentile([r.ms for r in before], 99),
                p99_after_ms=percentile([r.ms for r in after], 99),
                recovered_s=recovered_after(requests, at, following, since, rate_before),
                workers_before=list(event.workers_before),
                workers_after=_workers_at(snapshots, following),
            )
        )
    return results


def timeline(
    requests: Sequence[Request], window: tuple[float, float], snapshots: Sequence[tuple[float, tuple[int, ...]]]
) -> list[TimelinePoint]:
    start, end = window
    length = end - start
    seconds = max(1, math.floor(length) + (length - math.floor(length) >= 0.5))  # a last half second or more
    ok: list[list[float]] = [[] for _ in range(seconds)]
    failed = [0] * seconds
    for r in requests:
        second = math.floor(r.end - start)
        if 0 <= second < seconds and r.end < end:
            if r.ok:
                ok[second].append(r.ms)
            else:
                failed[second] += 1
    workers: list[int | None] = [None] * seconds
    for t, pids in snapshots:
        second = math.floor(t - start)
        if 0 <= second < seconds:
            workers[second] = max(workers[second] or 0, len(pids))
    return [
        TimelinePoint(
            t_s=float(second),
            rps=round(len(ok[second]) / min(1.0, end - start - second), 3),
            failed=failed[second],
            p99_ms=percentile(ok[second], 99),
            workers=workers[second],
        )
        for second in range(seconds)
    ]


def recycling(
    requests: Sequence[Request],
    window: tuple[float, float],
    snapshots: Sequence[tuple[float, tuple[int, ...]]],
    events: Sequence[float] = (),
) -> Recycling:
    """New workers first seen in the window (the first snapshot's are the config's own), but for those
    an event started (seen within SPAN_S after one, at `events`)."""
    start, end = window
    seen: set[int] = set(snapshots[0][1]) if snapshots else set()
    born = []
    for t, pids in snapshots[1:]:
        for pid in pids:
            if pid not in seen:
                seen.add(pid)
                if start <= t < end and not any(0 <= t - at < SPAN_S for at in events):
                    born.append(t)
    answered = _answered(requests, start, end)
    near = [r for r in answered if any(0 <= r.end - t < NEAR_S for t in born)]
    near_ids = {id(r) for r in near}
    return Recycling(
        count=len(born),
        at_s=[round(t - start, 2) for t in born],
        p99_near_ms=percentile([r.ms for r in near], 99),
        p99_else_ms=percentile([r.ms for r in answered if id(r) not in near_ids], 99),
        requests_near=len(near),
    )
