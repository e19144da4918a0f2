"""Numbers from Locust's --json-file output (pure functions).

Locust stores each endpoint's response times as a bucketed histogram (ms ->
count); locustfiles/_window.py buckets them to 3 significant figures (schema
3; whole milliseconds below 100 ms before). Percentiles over several endpoints or runs come from the merged
histogram, never from averaging percentiles. The percentile rule is Locust's
own, so a single endpoint's figures match Locust's report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class EndpointStats:
    requests: int
    failures: int
    total_response_time_ms: float
    min_ms: float | None
    max_ms: float
    histogram: dict[float, int] = field(default_factory=dict)

    @property
    def avg_ms(self) -> float:
        return self.total_response_time_ms / self.requests if self.requests else 0.0

    def latency(self) -> dict[str, float | None]:
        if not self.requests:
            return {"avg": None, "min": None, "max": None, "p50": None, "p95": None, "p99": None}
        result: dict[str, float | None] = {"avg": round(self.avg_ms, 3), "min": self.min_ms, "max": self.max_ms}
        for label, fraction in PERCENTILES.items():
            result[label] = percentile(self.histogram, fraction)
        return result


def percentile(histogram: Mapping[float, int], fraction: float) -> float | None:
    """Locust's rule: the bucket holding the (int(n * fraction) + 1)-th smallest time."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = min(int(total * fraction) + 1, total)
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return float(bucket)
    return float(max(histogram))


def merge(entries: Iterable[EndpointStats]) -> EndpointStats:
    entries = list(entries)
    histogram: Counter[float] = Counter()
    for entry in entries:
        histogram.update(entry.histogram)
    minimums = [e.min_ms for e in entries if e.min_ms is not None and e.requests]
    return EndpointStats(
        requests=sum(e.requests for e in entries),
        failures=sum(e.failures for e in entries),
        total_response_time_ms=sum(e.total_response_time_ms for e in entries),
        min_ms=min(minimums) if minimums else None,
        max_ms=max((e.max_ms for e in entries), default=0.0),
        histogram=dict(sorted(histogram.items())),
    )


def endpoints_from_locust_json(data: list[dict[str, Any]]) -> dict[str, EndpointStats]:
    """Per-endpoint stats keyed by request name (method-qualified if a name repeats)."""
    names = Counter(entry["name"] for entry in data)
    result: dict[str, EndpointStats] = {}
    for entry in data:
        key = entry["name"] if names[entry["name"]] == 1 else f"{entry['method']} {entry['name']}"
        stats = EndpointStats(
            requests=int(entry["num_requests"]),
            failures=int(entry["num_failures"]),
            total_response_time_ms=float(entry["total_response_time"]),
            min_ms=None if entry.get("min_response_time") is None else float(entry["min_response_time"]),
            max_ms=float(entry.get("max_response_time") or 0.0),
            histogram={float(k): int(v) for k, v in (entry.get("response_times") or {}).items()},
        )
        result[key] = merge([result[key], stats]) if key in result else stats
    return result
