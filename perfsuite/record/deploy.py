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
              deficit against 95% of the rate before (requests that
              should have been answered by then, less those that were)
              stops growing there (by more than a burst of requests
              answered together); 0 when it never grew that far; None
              when it still grew at the segment's end (not recovered)
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

from perfsuite.record.histogram import percentile as histogram_percentile
from perfsuite.record.results import EventFailed, EventResult, InFlight, Recycling, TimelinePoint

SPAN_S = 3.0  # before and after an event, at most
RECOVERED_SHARE = 0.95  # throughput back within 5% of before
RECOVERY_TAIL_S = 0.5  # a deficit still rising this close to the segment's end: not recovered
BURST_S = 0.02  # requests ending within this are one burst
STEP_S = 0.01
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


@dataclass
class DoneEvent:
    """An event as the driver (perfsuite.run.events) did it; `note` says what could not be done."""

    do: str
    fired_at: float
    workers_before: tuple[int, ...]
    workers: int | None = None
    seed: int | None = None
    killed: int | None = None
    note: str | None = None


Snapshot = tuple[float, tuple[int, ...]]  # (when, the server's workers then)


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


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """Of raw times, by the rule of every other percentile here (Locust's: perfsuite.record.histogram)."""
    return histogram_percentile(Counter(round(value, 3) for value in values), fraction)


def _answered(requests: Sequence[Request], start: float, end: float) -> list[Request]:
    return [r for r in requests if r.ok and start <= r.end < end]


def burst(ends: np.ndarray, start: float, until: float) -> float:
    """How many requests end together at a steady rate: the 90th percentile of the count in BURST_S,
    sliding over `start`..`until` (a closed loop's users answered at once come in waves)."""
    starts = np.arange(start, until - BURST_S + 1e-9, BURST_S / 4)
    if not len(starts):
        return 0.0
    counts = np.searchsorted(ends, starts + BURST_S) - np.searchsorted(ends, starts)
    return float(np.percentile(counts, 90))


def recovered_after(
    requests: Sequence[Request], at: float, until: float, before_from: float, rate_before: float | None
) -> float | None:
    """Seconds from `at` until throughput is back within 5% of `rate_before` (module docstring).

    The deficit D(t) = 0.95 x rate_before x (t - at) - (requests answered since `at`) grows while
    throughput is below 95% of before and shrinks once it is back. Recovery is the first moment after
    which D never rises more than a burst (and one request) above its value then; 0 when D never rose
    that far; None when it was still rising in the segment's last RECOVERY_TAIL_S."""
    if not rate_before or until - at < RECOVERY_TAIL_S:
        return None  # nothing to compare with, or too short to tell (the rules keep events a second apart)
    ends = np.sort(np.asarray([r.end for r in requests if r.ok]))
    tolerance = burst(ends, before_from, at) + 1
    grid = np.arange(at, until + 1e-9, STEP_S)
    answered = np.searchsorted(ends, grid, side="right") - np.searchsorted(ends, at)
    deficit = RECOVERED_SHARE * rate_before * (grid - at) - answered
    if deficit.max() <= tolerance:
        return 0.0
    ahead = np.maximum.accumulate(deficit[::-1])[::-1]  # the most D reaches from each moment on
    settled = np.nonzero(ahead <= deficit + tolerance)[0][0]
    if grid[settled] > until - RECOVERY_TAIL_S:
        return None  # still falling behind at the segment's end
    return round(float(grid[settled] - at), 2)


def _workers_at(snapshots: Sequence[Snapshot], before: float) -> list[int]:
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
    snapshots: Sequence[Snapshot],
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
        since = max(settled if at - settled >= RECOVERY_TAIL_S else previous, at - SPAN_S, start)
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
                p50_before_ms=percentile((r.ms for r in before), 0.50),
                p50_after_ms=percentile((r.ms for r in after), 0.50),
                p99_before_ms=percentile((r.ms for r in before), 0.99),
                p99_after_ms=percentile((r.ms for r in after), 0.99),
                recovered_s=recovered_after(requests, at, following, since, rate_before),
                workers_before=list(event.workers_before),
                workers_after=_workers_at(snapshots, following),
            )
        )
    return results


def timeline(
    requests: Sequence[Request], window: tuple[float, float], snapshots: Sequence[Snapshot]
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
            p99_ms=percentile(ok[second], 0.99),
            workers=workers[second],
        )
        for second in range(seconds)
    ]


def recycling(
    requests: Sequence[Request],
    window: tuple[float, float],
    snapshots: Sequence[Snapshot],
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
    near: list[float] = []
    other: list[float] = []
    for r in _answered(requests, start, end):
        (near if any(0 <= r.end - t < NEAR_S for t in born) else other).append(r.ms)
    return Recycling(
        count=len(born),
        at_s=[round(t - start, 2) for t in born],
        p99_near_ms=percentile(near, 0.99),
        p99_else_ms=percentile(other, 0.99),
        requests_near=len(near),
    )
