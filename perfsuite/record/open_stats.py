"""Open mode: what locustfiles/open.py wrote (open.json) -> OpenResult (pure).

Counts are of requests whose intended start fell in the measured window;
the send latency and the schedule lag come as histograms bucketed like
Locust's (3 significant figures), merged over every worker.
"""

from __future__ import annotations

from typing import Any

from perfsuite.record.histogram import percentile
from perfsuite.record.results import Lag, Latency, OpenResult

RISE_MIN_SECONDS = 3  # a window shorter than this has no thirds to compare
BEHIND_MS = 5.0  # a request sent this much after its intended time: the generator was behind


def _histogram(data: Any) -> dict[float, int]:
    if not isinstance(data, dict):
        raise ValueError("a histogram is not a mapping")
    return {float(k): int(v) for k, v in data.items()}


def _count(data: dict[str, Any], name: str) -> int:
    value = data.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} is not a count")
    return value


def latency_rise(seconds: dict[str, Any]) -> float | None:
    """Mean latency over the window's last third / over its first third (None if too short to tell)."""
    points = sorted((int(second), float(total), int(count)) for second, (total, count) in seconds.items() if count)
    if len(points) < RISE_MIN_SECONDS:
        return None
    third = max(1, len(points) // 3)

    def mean(part: list[tuple[int, float, int]]) -> float:
        return sum(p[1] for p in part) / max(1, sum(p[2] for p in part))

    first = mean(points[:third])
    return round(mean(points[-third:]) / first, 3) if first > 0 else None


def behind_s(lag: dict[float, int], dropped: int, rate: float) -> float:
    """Seconds of the schedule the generator sent more than BEHIND_MS late or dropped:
    a stall of 100 ms costs 0.1 s at 20 req/s as at 3,000, where a percentile of the
    lag would read one late request of 80 as its p99."""
    late = sum(count for ms, count in lag.items() if ms > BEHIND_MS) + dropped
    return round(late / rate, 3) if rate > 0 else 0.0


def window_latency(data: dict[str, Any]) -> Latency:
    """The latency from the intended start of the requests offered in the window
    and answered (a request offered during warm-up and answered in the window is
    Locust's, not the window's)."""
    try:
        histogram = _histogram(data.get("latency_ms", {}))
        answered = sum(histogram.values())
        total = float(data.get("latency_sum", 0.0))
    except (TypeError, AttributeError) as error:
        raise ValueError(f"not open.py's output ({type(error).__name__}: {error})") from None
    if not answered:
        return Latency()
    return Latency(
        avg=round(total / answered, 3),
        min=min(histogram),
        max=max(histogram),
        p50=percentile(histogram, 0.50),
        p95=percentile(histogram, 0.95),
        p99=percentile(histogram, 0.99),
    )


def open_result(data: dict[str, Any], elapsed_s: float, answered: int) -> OpenResult:
    """open.json -> OpenResult; ValueError if it is malformed. `answered`:
    the answers the window received (Locust's count, by the time each came)."""
    try:
        send = _histogram(data.get("send_ms", {}))
        lag = _histogram(data.get("lag_ms", {}))
        completed, failed = _count(data, "completed"), _count(data, "failed")
        return OpenResult(
            rate=float(data["rate"]),
            arrival=data.get("arrival", "constant"),
            max_in_flight=int(data.get("max_in_flight", 1000)),
            offered=_count(data, "offered"),
            completed=completed,
            failed=failed,
            unfinished=_count(data, "unfinished"),
            answered=answered,
            achieved_rps=round(answered / max(elapsed_s, 1e-9), 4),
            send_latency_ms=Latency(
                avg=None,
                min=min(send, default=None),
                max=max(send, default=None),
                p50=percentile(send, 0.50),
                p95=percentile(send, 0.95),
                p99=percentile(send, 0.99),
            ),
            schedule_lag_ms=Lag(
                p50=percentile(lag, 0.50),
                p99=percentile(lag, 0.99),
                max=round(float(data.get("lag_max", 0.0)), 3) if lag else None,
            ),
            late_starts=_count(data, "late"),
            dropped=_count(data, "dropped"),
            behind_s=behind_s(lag, _count(data, "dropped"), float(data["rate"])),
            latency_rise=latency_rise(data.get("seconds") or {}),
            histogram={f"{k:g}": v for k, v in sorted(_histogram(data.get("latency_ms", {})).items())},
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not open.py's output ({type(error).__name__}: {error})") from None
