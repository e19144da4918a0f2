"""Repetitions aggregated (pure): medians, bootstrap CIs, merged percentiles, noise."""

from __future__ import annotations

import pytest

from perfsuite.judge.aggregate import aggregate, median_metric, percentile_metric
from perfsuite.record.results import EndpointResult, Latency, RunResult


def run(repeat: int, rps: float, histogram: dict[str, int], status: str = "ok") -> RunResult:
    requests = sum(histogram.values())
    endpoint = EndpointResult(requests=requests, failures=0, rps=rps, latency_ms=Latency(avg=1.0), histogram=histogram)
    return RunResult(index=repeat, scenario="s", server="x", mode="steady", order=None, users=10, repeat=repeat,
                     status=status, requests=requests, rps=rps, latency_ms=Latency(avg=1.0),
                     endpoints={"e": endpoint})  # fmt: skip


def test_median_and_a_bootstrap_interval() -> None:
    metric = median_metric([100, 102, 98, 101, 99, 150])
    assert metric.value == pytest.approx(100.5)
    assert metric.low is not None and metric.high is not None and metric.low <= 100.5 <= metric.high
    assert metric.samples == (100, 102, 98, 101, 99, 150)
    assert median_metric([5]).low is None  # one repetition: no interval
    assert median_metric([1, 2, 3]) == median_metric([1, 2, 3])  # seeded: the same report twice


def test_percentiles_come_from_merged_histograms() -> None:
    # Two repetitions whose p95s are 10 and 1000 ms. Averaged, that would say 505 ms;
    # merged, 10 of 200 requests are slow, so the 191st smallest (Locust's p95 rank) is slow.
    fast, slow = {10: 96, 1000: 4}, {10: 94, 1000: 6}
    metric = percentile_metric([fast, slow], 0.95)
    assert metric.samples == (10.0, 1000.0)
    assert metric.value == 1000.0
    # With 6 slow of 200 the 191st is fast: merged p95 = 10 ms, though one repetition's p95 is 1000.
    metric = percentile_metric([{10: 97, 1000: 3}, {10: 97, 1000: 3}], 0.95)
    assert metric.value == 10.0
    assert percentile_metric([{10: 95, 1000: 5}, {10: 99, 1000: 1}], 0.95).value == 10.0
    assert percentile_metric([{10: 95, 1000: 5}], 0.95).samples == (1000.0,)


def test_aggregates_group_repetitions_and_mark_noise() -> None:
    runs = [run(1, 100, {"10": 100}), run(2, 130, {"10": 100}), run(3, 0, {}, status="error")]
    (agg,) = aggregate(runs)
    assert (agg.runs, agg.failed, str(agg.level), agg.level.token) == (2, 1, "10 users", "users=10")
    assert agg.metrics["rps"].value == 115 and agg.cv == pytest.approx(0.1845, abs=1e-3) and agg.noisy
    steady = aggregate([run(1, 100, {"10": 100}), run(2, 101, {"10": 100})])[0]
    assert not steady.noisy and steady.metrics["p50_ms"].value == 10.0
