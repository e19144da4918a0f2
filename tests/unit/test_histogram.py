import importlib.util

from perfsuite import ROOT
from perfsuite.record.histogram import EndpointStats, endpoints_from_locust_json, merge, percentile


def test_percentile_follows_locusts_rule() -> None:
    # 10 requests: 1 ms x5, 2 ms x3, 100 ms x2. Locust takes the (int(n*p)+1)-th smallest.
    histogram = {1: 5, 2: 3, 100: 2}
    assert percentile(histogram, 0.5) == 2.0  # 6th smallest
    assert percentile(histogram, 0.8) == 100.0  # 9th smallest
    assert percentile(histogram, 0.95) == 100.0
    assert percentile(histogram, 0.0) == 1.0
    assert percentile({}, 0.5) is None


def test_merged_percentiles_come_from_the_merged_histogram() -> None:
    fast = EndpointStats(requests=90, failures=0, total_response_time_ms=90.0, min_ms=1, max_ms=1, histogram={1: 90})
    slow = EndpointStats(requests=10, failures=2, total_response_time_ms=10_000.0, min_ms=1000, max_ms=1000,
                         histogram={1000: 10})  # fmt: skip
    total = merge([fast, slow])
    assert total.requests == 100 and total.failures == 2
    assert total.histogram == {1: 90, 1000: 10}
    # The p95 of the whole is a slow request; averaging the two p95s would say 500.5 ms.
    assert total.latency()["p95"] == 1000.0
    assert total.latency()["p50"] == 1.0
    assert total.avg_ms == (90 + 10_000) / 100
    assert total.min_ms == 1 and total.max_ms == 1000


def test_reads_locust_json_entries() -> None:
    data = [
        {"name": "fast", "method": "GET", "num_requests": 3, "num_failures": 1, "total_response_time": 6.0,
         "min_response_time": 1.0, "max_response_time": 3.0, "response_times": {"1": 1, "2": 1, "3": 1}},
        {"name": "same", "method": "GET", "num_requests": 1, "num_failures": 0, "total_response_time": 5.0,
         "min_response_time": 5.0, "max_response_time": 5.0, "response_times": {"5": 1}},
        {"name": "same", "method": "POST", "num_requests": 2, "num_failures": 0, "total_response_time": 8.0,
         "min_response_time": 4.0, "max_response_time": 4.0, "response_times": {"4": 2}},
    ]  # fmt: skip
    endpoints = endpoints_from_locust_json(data)
    assert set(endpoints) == {"fast", "GET same", "POST same"}
    assert endpoints["fast"].histogram == {1: 1, 2: 1, 3: 1}
    assert endpoints["fast"].latency()["avg"] == 2.0


def test_empty_endpoint_has_no_latency() -> None:
    empty = EndpointStats(requests=0, failures=0, total_response_time_ms=0, min_ms=None, max_ms=0)
    assert empty.latency()["p50"] is None and empty.avg_ms == 0.0


def test_the_window_buckets_to_three_significant_figures() -> None:
    """locustfiles/_buckets.py: within 0.5% of every time from 1 µs to 100 s."""
    spec = importlib.util.spec_from_file_location("_buckets", ROOT / "locustfiles" / "_buckets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bucket = module.bucket_ms
    assert bucket(0) == 0.0 and bucket(0.4123) == 0.412 and bucket(4.567) == 4.57 and bucket(147.2) == 147.0
    times = [10 ** (exponent / 97) for exponent in range(-3 * 97, 5 * 97)]
    assert all(abs(bucket(t) - t) <= 0.005 * t for t in times)
    assert len({bucket(t) for t in times}) > 700  # fine buckets, not whole milliseconds
    assert percentile({bucket(t): 1 for t in (0.2, 0.3, 0.4)}, 0.5) == 0.3
