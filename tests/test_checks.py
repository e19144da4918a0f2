"""Flags and their likely reasons (pure)."""

from __future__ import annotations

from perfsuite.judge.flags import run_flags

SATURATED = {"share_above_90_percent": 0.8, "cpu_percent": {"mean": 97.0}}
IDLE = {"share_above_90_percent": 0.0, "cpu_percent": {"mean": 10.0}}


def flags(**overrides: object) -> list[dict[str, str]]:
    base: dict[str, object] = dict(requests=100, failures=0, loadgen=IDLE, upstream=None, server=IDLE,
                                   server_cores=1, model={"ratio": 1.0, "tolerance": 0.1})  # fmt: skip
    base.update(overrides)
    return run_flags(**base)  # type: ignore[arg-type]


def test_clean_run_has_no_flags() -> None:
    assert flags() == []
    assert flags(model={"ratio": 1.09, "tolerance": 0.1}) == []


def test_each_flag() -> None:
    assert [f["kind"] for f in flags(failures=5)] == ["errors"]
    assert [f["kind"] for f in flags(loadgen=SATURATED)] == ["loadgen_saturated"]
    slow = {"ratio": 1.2, "taken_ms_mean": 240.0, "requested_ms_mean": 200.0}
    (flag,) = flags(upstream=slow)
    assert flag["kind"] == "upstream_slow" and "240.0 ms for 200.0 ms" in flag["message"]


def test_mismatch_names_the_likely_reason() -> None:
    def reason(**overrides: object) -> str:
        return next(f["message"] for f in flags(**overrides) if f["kind"] == "model_mismatch")

    low = {"ratio": 0.5, "tolerance": 0.1}
    assert reason(model=low, failures=3).endswith("likely: errors")
    assert reason(model=low, loadgen=SATURATED).endswith("likely: load generator saturated")
    assert reason(model=low, upstream={"ratio": 1.5, "taken_ms_mean": 3, "requested_ms_mean": 2}).endswith(
        "upstream slow"
    )
    assert "server overloaded" in reason(model=low, server={"cpu_percent": {"mean": 95.0}})
    assert "fewer requests at once" in reason(model=low)
    assert "more requests at once" in reason(model={"ratio": 1.5, "tolerance": 0.1})


def test_tolerance_widens_for_few_requests() -> None:
    assert flags(model={"ratio": 0.87, "tolerance": 0.15}) == []
    assert [f["kind"] for f in flags(model={"ratio": 0.8, "tolerance": 0.15})] == ["model_mismatch"]
