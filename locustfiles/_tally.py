"""What a locustfile that holds connections counts (no Locust import: the tests read it alone).

A Window counts what one process measured in the measured window, as deltas
since its last report: named counts, histograms bucketed as Locust's are,
and the connections held at each tick of the held timeline (kept from the
start, warm-up included, so memory can be read against the ramp). merge()
adds a process's report to the total; held_by_tick() sums the timeline over
processes. stream.py and websocket.py name their counts and histograms.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from _buckets import bucket_ms


class Window:
    COUNTS: tuple[str, ...] = ()
    HISTOGRAMS: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.in_window = False
        self.held = 0  # connections held now (not a delta)
        self.clear()

    def clear(self) -> None:
        self.counts: Counter[str] = Counter()
        self.histograms: dict[str, Counter[float]] = {name: Counter() for name in self.HISTOGRAMS}
        self.held_by_tick: dict[int, int] = {}  # wall-clock tenth of a second -> connections held

    def begin(self) -> None:
        """The measured window begins: counts start afresh; the held timeline goes on."""
        held = self.held_by_tick
        self.clear()
        self.held_by_tick = held
        self.in_window = True

    def note_held(self, tick: int) -> None:
        """The connections held now, at `tick` (int(time.time() * 10))."""
        self.held_by_tick[tick] = self.held

    def count(self, name: str, n: int = 1) -> None:
        if self.in_window:
            self.counts[name] += n

    def time(self, name: str, ms: float) -> None:
        if self.in_window:
            self.histograms[name][bucket_ms(max(ms, 0.0))] += 1

    def take(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: self.counts[name] for name in self.COUNTS}
        data.update({name: dict(found) for name, found in self.histograms.items()})
        data["held_by_tick"] = dict(self.held_by_tick)
        self.clear()
        return data


def merge(total: dict[str, Any], part: dict[str, Any], source: str, window: type[Window]) -> None:
    """Add a report of process `source` (`part`) to `total`: counts and histograms summed;
    each tick's held kept per process (a process reports a tick more than once)."""
    for name in window.COUNTS:
        total[name] = total.get(name, 0) + int(part.get(name, 0))
    for name in window.HISTOGRAMS:
        merged: Counter[float] = Counter({float(k): v for k, v in total.get(name, {}).items()})
        merged.update({float(k): v for k, v in part.get(name, {}).items()})
        total[name] = dict(merged)
    mine = total.setdefault("held_by_process", {}).setdefault(source, {})
    for tick, count in part.get("held_by_tick", {}).items():
        mine[str(tick)] = max(mine.get(str(tick), 0), int(count))


def held_by_tick(total: dict[str, Any]) -> dict[str, int]:
    """Connections held at each tick, summed over the processes (each holds its own at once)."""
    summed: Counter[str] = Counter()
    for ticks in total.get("held_by_process", {}).values():
        summed.update(ticks)
    return dict(sorted(summed.items()))
