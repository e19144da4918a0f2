"""Held streams as slots held for a stream's whole length (pure).

A stream holds one of the config's slots (perfsuite.plan.servers.slots: a
sync worker, a gthread thread, a gevent greenlet of worker_connections; an
event loop has no bound) from its first event to its last. Locust's stream
users connect as Locust spawns them (floor(spawn_rate) at once, a batch a
second), and each opens its next stream as soon as one ends. With more connections than slots the rest
wait in arrival order (the kernel's accept queue, or the server's own): a
deterministic closed queue, D/D/S, simulated event by event over the run's
warm-up and window. That gives what a run shows, transient included:

    held  min(connections, slots) once spawned
    TTFB  the wait for a slot: 0 while there are slots, else whole stream
          lengths: the k-th stream in line starts when k // slots waves
          have ended, so TTFB grows in steps of one stream's length

The stream's length comes from the run itself (first to last event of the
streams that completed: a property of the app, not of the queue). The app's
own time to its first event on an idle server is not in the TTFB predicted.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

MAX_STREAMS = 2_000_000  # streams simulated at most; past it the prediction stops where it got


@dataclass(frozen=True)
class StreamExpectation:
    held: float  # the most streams held in the window
    held_mean: float  # averaged over the window
    ttfb_ms: float  # mean time to the first event of streams that began in the window
    ttfb_max_ms: float
    step_ms: float  # one stream's length: TTFB grows by this much per wave of slots
    streams_per_s: float  # streams that began per second of the window


def spawned_at(user: int, spawn_rate: float) -> float:
    """When Locust starts the `user`-th user: in batches of floor(spawn_rate) users, a batch every
    floor(spawn_rate) / spawn_rate seconds (locust.dispatch.UsersDispatcher, 2.x)."""
    if spawn_rate <= 0 or math.isinf(spawn_rate):
        return 0.0
    batch = max(1, math.floor(spawn_rate))
    return (user // batch) * batch / spawn_rate


def expect_streams(
    connections: int, slots: float, length_s: float, spawn_rate: float, warmup_s: float, duration_s: float
) -> StreamExpectation:
    """`length_s`: one stream's length, first event to last (> 0)."""
    if length_s <= 0:
        raise ValueError("a stream's length must be positive")
    end = warmup_s + duration_s
    arrivals = [(spawned_at(i, spawn_rate), i) for i in range(connections)]  # (connect time, user)
    heapq.heapify(arrivals)
    free = connections if math.isinf(slots) else int(slots)
    ends: list[float] = []  # streams being served: when each ends
    waiting: list[tuple[float, int]] = []  # FIFO by connect time
    starts: list[tuple[float, float]] = []  # (start, ttfb) of streams that began in the window
    changes: list[tuple[float, int]] = []  # (time, +1 / -1) of streams held
    served = 0
    while served < MAX_STREAMS:
        next_arrival = arrivals[0][0] if arrivals else math.inf
        next_end = ends[0] if ends else math.inf
        now = min(next_arrival, next_end)
        if now >= end:
            break
        if next_end <= next_arrival:  # a stream ends: its user connects again at once
            heapq.heappop(ends)
            free += 1
            changes.append((now, -1))
            heapq.heappush(arrivals, (now, 0))
            continue
        connected, user = heapq.heappop(arrivals)
        heapq.heappush(waiting, (connected, user))
        while free and waiting:
            since, _ = heapq.heappop(waiting)
            free -= 1
            served += 1
            heapq.heappush(ends, now + length_s)
            changes.append((now, +1))
            if now >= warmup_s:
                starts.append((now, now - since))
    held_max, held_mean = _held(changes, warmup_s, end)
    ttfbs = [ttfb for _, ttfb in starts]
    return StreamExpectation(
        held=held_max,
        held_mean=held_mean,
        ttfb_ms=round(1000 * sum(ttfbs) / len(ttfbs), 3) if ttfbs else 0.0,
        ttfb_max_ms=round(1000 * max(ttfbs, default=0.0), 3),
        step_ms=round(1000 * length_s, 3),
        streams_per_s=round(len(starts) / duration_s, 3) if duration_s > 0 else 0.0,
    )


def _held(changes: list[tuple[float, int]], start: float, end: float) -> tuple[float, float]:
    """The most held in [start, end] and the time-weighted mean."""
    ordered = sorted(changes)  # at one moment an end (-1) before a start (+1)
    held, i = 0, 0
    while i < len(ordered) and ordered[i][0] <= start:
        held += ordered[i][1]
        i += 1
    most, area, last = held, 0.0, start
    for moment, delta in ordered[i:]:
        if moment > end:
            break
        area += held * (moment - last)
        last = moment
        held += delta
        most = max(most, held)
    area += held * (end - last)
    span = end - start
    return float(most), round(area / span, 3) if span > 0 else float(held)
