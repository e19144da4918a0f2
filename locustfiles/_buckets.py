"""Response-time buckets for Locust's histograms (no Locust import: the tests read it alone)."""

from __future__ import annotations

import math


def bucket_ms(response_time: float) -> float:
    """A response time's histogram bucket: 3 significant figures (0.123 ms,
    4.56 ms, 789 ms), so a percentile read from it is within 0.5% of the time
    it stands for, below a millisecond too. Locust's own buckets are whole
    milliseconds below 100 ms (p50 = 0 for a fast endpoint). _window.py puts
    it in place of Locust's bucketing; workers load that file as well, so what
    they send their master is bucketed alike."""
    if response_time <= 0:
        return 0.0
    return round(response_time, 2 - math.floor(math.log10(response_time)))  # cheaper than formatting it
