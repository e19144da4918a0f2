"""Flags and their likely reasons (pure)."""

from __future__ import annotations

from perfsuite.judge.flags import run_flags
from perfsuite.record.results import Flag, MeanPeak, ModelResult, RequestError, Resources, UpstreamStats

SATURATED = Resources(share_above_90_percent=0.8, cpu_percent=MeanPeak(mean=97.0))
IDLE = Resources(share_above_90_percent=0.0, cpu_percent=MeanPeak(mean=10.0))


def model(ratio: float, tolerance: float = 0.1) -> ModelResult:
    return ModelResult(applies=True, ratio=ratio, tolerance=tolerance)


def flags(**overrides: object) -> list[Flag]:
    base: dict[str, object] = dict(requests=100, failures=0, loadgen=IDLE, upstream=None, server=IDLE,
                                   server_cores=1, model=model(1.0))  # fmt: skip
    base.update(overrides)
    return run_flags(**base)  # type: ignore[arg-type]


def test_clean_run_has_no_flags() -> None:
    assert flags() == []
    assert flags(model=model(1.09)) == []


def test_each_flag() -> None:
    assert [f.kind for f in flags(failures=5)] == ["errors"]
    assert flags(failures=5)[0].message == "5 of 100 requests failed (5.0%; allowed: error rate <= 0)"
    assert [f.kind for f in flags(loadgen=SATURATED)] == ["loadgen_saturated"]
    slow = UpstreamStats(ratio=1.2, taken_ms_mean=240.0, requested_ms_mean=200.0)
    (flag,) = flags(upstream=slow)
    assert flag.kind == "upstream_slow" and "240.0 ms for 200.0 ms asked (+20.0%)" in flag.message


def test_mismatch_names_the_likely_reason() -> None:
    def reason(**overrides: object) -> str:
        return next(f.message for f in flags(**overrides) if f.kind == "model_mismatch")

    low = model(0.5)
    assert reason(model=low, failures=3).endswith("likely: errors")
    assert reason(model=low, loadgen=SATURATED).endswith("likely: load generator saturated")
    upstream = UpstreamStats(ratio=1.5, taken_ms_mean=3, requested_ms_mean=2)
    assert reason(model=low, upstream=upstream).endswith("upstream slow")
    assert "server overloaded: its CPU at 95%" in reason(model=low, server=Resources(cpu_percent=MeanPeak(mean=95.0)))
    assert "fewer requests at once" in reason(model=low)
    assert "more requests at once" in reason(model=model(1.5))
    # Both sides of a disagreement: the server's concurrency and the model's service time, with their sources.
    probed = model(0.5).model_copy(
        update={"slots_source": "gunicorn sync: one request per worker", "service_s": 0.025, "service_source": "probe"}
    )
    text = reason(model=probed)
    assert "(gunicorn sync: one request per worker: a pool" in text
    assert "or requests take longer under load than 25.0 ms (probe)" in text
    assert reason(model=low).startswith("throughput 0.50x the model's")


def test_tolerance_widens_for_few_requests() -> None:
    assert flags(model=model(0.87, 0.15)) == []
    assert [f.kind for f in flags(model=model(0.8, 0.15))] == ["model_mismatch"]


def test_errors_within_the_allowed_rate_are_not_flagged_and_the_flag_names_the_statuses() -> None:
    assert flags(failures=1, allowed_errors="<= 0.01") == []
    assert [f.kind for f in flags(failures=1, allowed_errors="< 0.01")] == ["errors"]  # 1 of 100 is not < 1%
    assert [f.kind for f in flags(failures=2, allowed_errors="<= 0.01")] == ["errors"]
    assert [f.kind for f in flags(failures=1, requests=1, allowed_errors="< 1")] == ["errors"]
    seen = [
        RequestError(method="GET", name="a", error="status 500, expected 200", occurrences=7, status=500),
        RequestError(method="GET", name="b", error="status 401, expected 200", occurrences=2, status=401),
        RequestError(method="GET", name="b", error="status 500, expected 200", occurrences=1, status=500),
    ]
    (flag,) = flags(failures=10, request_errors=seen)
    assert flag.message.endswith(": 500 x 8; 401 x 2")
