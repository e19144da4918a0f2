"""Held connections: what locustfiles/stream.py and websocket.py wrote
(stream.json, websocket.json) and the server's memory samples -> StreamResult,
WebSocketResult (pure).

Counts and histograms are of streams that ended in the measured window; the
held timeline is by wall-clock second from the first stream on (warm-up
included), summed over Locust's processes, so the server's memory can be read
against streams held as they ramp up: its slope is the memory per held stream.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np

from perfsuite.record.histogram import percentile
from perfsuite.record.results import Lag, StreamResult, WebSocketResult

TICKS_PER_S = 10  # the held timeline's resolution (locustfiles/stream.py)
MIN_MEMORY_POINTS = 3  # samples a slope is fitted to
MIN_HELD_SPREAD = 0.5  # of the most held: the held counts sampled must span this much to fit a slope
MIN_SLOPE_HELD = 20  # fewer held connections than this: their share of the memory, not a slope
MAX_MEMORY_SAMPLES = 600  # kept in results.json


def _histogram(data: Any, name: str) -> dict[float, int]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ValueError(f"{name} is not a mapping")
    return {float(k): int(v) for k, v in value.items()}


def _count(data: dict[str, Any], name: str) -> int:
    value = data.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} is not a count")
    return value


def lag(histogram: dict[float, int]) -> Lag:
    if not histogram:
        return Lag()
    return Lag(p50=percentile(histogram, 0.5), p99=percentile(histogram, 0.99), max=max(histogram))


def held_timeline(data: dict[str, Any]) -> dict[int, int]:
    held = data.get("held_by_tick", {})
    if not isinstance(held, dict):
        raise ValueError("held_by_tick is not a mapping")
    return {int(second): int(count) for second, count in held.items()}


def memory_points(memory: Sequence[tuple[float, float]], held: dict[int, int]) -> list[tuple[int, float]]:
    """(streams held, MB) at each of `memory`'s (wall-clock time, the server's PSS summed over
    its processes, MB): before the first tick none were held; after it, the last tick's count."""
    ticks = sorted(held)
    points = []
    for t, mb in sorted(memory):
        at = bisect.bisect_left(
            ticks, int(t * TICKS_PER_S)
        )  # as of the tenth before: a sample may precede its tick's streams
        points.append((held[ticks[at - 1]] if at else 0, mb))
    return points


def kb_per_connection(points: list[tuple[int, float]]) -> tuple[float | None, str | None]:
    """KB per held connection and how it was found: the slope of memory against connections
    held ("slope") where the held counts span at least MIN_SLOPE_HELD, from none; with fewer
    held, one-off costs (a worker's first request) outweigh what a connection adds, so each
    held connection's share of the server's memory ("share": PSS at the most held / held)."""
    if len(points) < MIN_MEMORY_POINTS:
        return None, None
    held = np.array([p[0] for p in points], dtype=float)
    most = float(held.max())
    if most < 1:
        return None, None
    if most >= MIN_SLOPE_HELD and most - held.min() >= MIN_HELD_SPREAD * most:
        slope = float(np.polyfit(held, np.array([p[1] for p in points]), 1)[0])
        return round(max(slope, 0.0) * 1024, 2), "slope"
    at_most = [mb for count, mb in points if count == most]
    return round(statistics.median(at_most) / most * 1024, 2), "share"


def _memory(points: list[tuple[int, float]]) -> dict[str, Any]:
    kb, basis = kb_per_connection(points)
    return {
        "kb_per_connection": kb,
        "kb_basis": basis,
        "memory_samples": [[count, round(mb, 2)] for count, mb in points[-MAX_MEMORY_SAMPLES:]],
    }


def stream_result(
    data: dict[str, Any],
    elapsed_s: float,
    window: tuple[float, float],
    memory: Sequence[tuple[float, float]],
    connections: int,
) -> StreamResult:
    """Raises ValueError on a file that does not hold what stream.py writes."""
    spec = data.get("stream")
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        raise ValueError("no stream spec")
    held = held_timeline(data)
    inside = _held_in(held, window)
    points = memory_points(memory, held)
    ttfb = _histogram(data, "ttfb_ms")
    events = _count(data, "events")
    interval = spec.get("interval_ms")
    return StreamResult(
        connections=connections,
        path=spec["path"],
        interval_ms=None if interval is None else float(interval),
        held=max(inside, default=0),
        held_mean=round(sum(inside) / len(inside), 2) if inside else None,
        ttfb_ms=lag(ttfb),
        gap_ms=lag(_histogram(data, "gap_ms")),
        ttlb_ms=lag(_histogram(data, "ttlb_ms")),
        length_ms=lag(_histogram(data, "length_ms")),
        ttfb_mean_ms=round(sum(k * v for k, v in ttfb.items()) / sum(ttfb.values()), 3) if ttfb else None,
        late_ms=lag(_histogram(data, "late_ms")),
        started=_count(data, "started"),
        completed=_count(data, "completed"),
        failed=_count(data, "failed"),
        cut=_count(data, "cut"),
        unfinished=_count(data, "unfinished"),
        beside_sent=_count(data, "beside_sent"),
        beside_unanswered=_count(data, "beside_unanswered"),
        events=events,
        chunks_per_s=round(events / elapsed_s, 3) if elapsed_s > 0 else 0.0,
        **_memory(points),
        ttfb_histogram={f"{k:g}": v for k, v in ttfb.items()},
    )


def _held_in(held: dict[int, int], window: tuple[float, float]) -> list[int]:
    first, last = int(window[0] * TICKS_PER_S), int(window[1] * TICKS_PER_S)
    return [count for tick, count in held.items() if first <= tick <= last]


def websocket_result(
    data: dict[str, Any],
    window: tuple[float, float],
    memory: Sequence[tuple[float, float]],
    connections: int,
) -> WebSocketResult:
    """websocket.json -> the websocket section; raises ValueError on a file websocket.py did not write."""
    spec = data.get("websocket")
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        raise ValueError("no websocket spec")
    fan_out = "publisher" in spec
    held = held_timeline(data)
    inside = _held_in(held, window)
    points = memory_points(memory, held)
    published, silent = _count(data, "published"), _count(data, "silent")
    return WebSocketResult(
        kind="fan-out" if fan_out else "echo",
        connections=connections,
        path=spec["path"],
        rate=float(spec.get("rate") or 1.0),
        held=max(inside, default=0),
        held_mean=round(sum(inside) / len(inside), 2) if inside else None,
        rtt_ms=None if fan_out else lag(_histogram(data, "rtt_ms")),
        delivery_ms=lag(_histogram(data, "delivery_ms")) if fan_out else None,
        sent=_count(data, "sent"),
        published=published,
        received=_count(data, "received"),
        lost=_count(data, "lost") + silent * published,
        silent=silent,
        opened=_count(data, "opened"),
        failed=_count(data, "failed"),
        closed=_count(data, "closed"),
        **_memory(points),
    )
