"""Open mode's own numbers (pure): open.json -> OpenResult, and its flags."""

from __future__ import annotations

import pytest

from perfsuite.judge.flags import open_flags
from perfsuite.plan.key import Level, RunKey
from perfsuite.record.open_stats import latency_rise, open_result, window_latency

DATA = {
    "rate": 50.0,
    "arrival": "poisson",
    "max_in_flight": 100,
    "offered": 150,
    "completed": 140,
    "failed": 5,
    "unfinished": 5,
    "late": 3,
    "latency_ms": {"10.0": 100, "20.0": 40, "500": 5},
    "latency_sum": 3300.0,
    "send_ms": {"9.5": 145},
    "lag_ms": {"0.1": 140, "2.0": 5},
    "lag_max": 2.4,
    "seconds": {"0": [100.0, 10], "1": [100.0, 10], "2": [300.0, 10]},
}


def test_open_json_becomes_a_typed_result() -> None:
    result = open_result(DATA, elapsed_s=3.0, answered=145)
    assert (result.offered, result.completed, result.failed, result.unfinished) == (150, 140, 5, 5)
    assert result.offered == result.completed + result.failed + result.unfinished
    assert result.achieved_rps == pytest.approx(145 / 3.0, abs=1e-3)
    assert result.send_latency_ms.p50 == 9.5 and result.schedule_lag_ms.p99 == 2.0 and result.schedule_lag_ms.max == 2.4
    assert result.late_starts == 3 and result.latency_rise == 3.0 and result.arrival == "poisson"
    assert result.histogram == {"10": 100, "20": 40, "500": 5}
    latency = window_latency(DATA)
    assert (latency.p50, latency.p95, latency.p99, latency.max) == (10.0, 20.0, 500.0, 500.0)
    assert latency.avg == pytest.approx(3300 / 145, abs=1e-3)


@pytest.mark.parametrize(
    "broken",
    [
        {**DATA, "offered": -1},
        {**DATA, "send_ms": [1]},
        {k: v for k, v in DATA.items() if k != "rate"},
        {**DATA, "late": True},
    ],
)
def test_malformed_open_json_is_a_value_error(broken: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        open_result(broken, 1.0, 0)


def test_latency_rise_needs_three_seconds() -> None:
    assert latency_rise({"0": [1.0, 1], "1": [5.0, 1]}) is None
    assert latency_rise({str(s): [10.0 * (s + 1), 1] for s in range(9)}) == pytest.approx(80 / 20)


def test_flags_of_an_open_run() -> None:
    fine = open_result({**DATA, "failed": 0, "completed": 150, "unfinished": 0, "seconds": {}}, 3.0, 150)
    assert open_flags(fine) == []
    behind = open_result({**DATA, "lag_ms": {"0.1": 100, "8.0": 45}}, 3.0, 145)
    (flag,) = open_flags(behind)
    assert flag.kind == "loadgen_behind" and "0.90 s of a 3 s window sent over 5 ms late" in flag.message
    assert behind.behind_s == pytest.approx(45 / 50)
    slow = open_result({**DATA, "completed": 40, "failed": 0, "unfinished": 110, "seconds": {}}, 3.0, 40)
    (flag,) = open_flags(slow)
    assert flag.kind == "overloaded" and "answered 13.3 of 50 req/s offered" in flag.message
    rising = open_result({**DATA, "completed": 150, "failed": 0}, 3.0, 150)
    assert [f.kind for f in open_flags(rising)] == ["overloaded"]  # latency rose 3x


def test_one_stall_among_few_requests_is_not_a_generator_behind() -> None:
    """The issue's case: 20/s for 4 s, one request 48 ms late: its lag p99 is that one request."""
    calm = {**DATA, "rate": 20.0, "offered": 80, "completed": 80, "failed": 0, "unfinished": 0, "seconds": {}}
    one_stall = open_result({**calm, "lag_ms": {"0.1": 76, "2.0": 3, "48.3": 1}, "late": 4}, 4.0, 80)
    assert one_stall.schedule_lag_ms.p99 == 48.3 and one_stall.behind_s == pytest.approx(0.05)
    assert open_flags(one_stall) == []
    a_few = open_result({**calm, "lag_ms": {"0.1": 75, "30.0": 5}}, 4.0, 80)  # 0.25 s behind: not more
    assert open_flags(a_few) == []
    a_while = open_result({**calm, "lag_ms": {"0.1": 60, "30.0": 20}}, 4.0, 80)  # 1 s of 4
    assert [f.kind for f in open_flags(a_while)] == ["loadgen_behind"]


def test_a_long_window_needs_a_longer_lapse() -> None:
    """At 3,000/s for 60 s, a 0.5 s stall (1,500 late requests) is under 5% of the window; 6 s is not."""
    steady = {**DATA, "rate": 3000.0, "offered": 180_000, "completed": 180_000, "failed": 0, "unfinished": 0}
    steady["seconds"] = {}
    stall = open_result({**steady, "lag_ms": {"0.5": 178_500, "40.0": 1_500}}, 60.0, 180_000)
    assert open_flags(stall) == []
    lapse = open_result({**steady, "lag_ms": {"0.5": 162_000, "40.0": 18_000}}, 60.0, 180_000)
    assert [f.kind for f in open_flags(lapse)] == ["loadgen_behind"]


def test_an_older_record_without_behind_s_keeps_the_lag_p99_rule() -> None:
    old = open_result({**DATA, "lag_ms": {"0.1": 100, "8.0": 45}}, 3.0, 145).model_copy(update={"behind_s": None})
    (flag,) = open_flags(old)
    assert flag.kind == "loadgen_behind" and "lag p99 over 5 ms" in flag.message


def test_one_request_short_of_a_short_window_is_not_overload() -> None:
    # 5 req/s for 3 s: 15 offered; the last one still in flight at the window's end.
    tail = {**DATA, "rate": 5.0, "offered": 15, "completed": 14, "failed": 0, "unfinished": 1, "seconds": {}}
    assert open_flags(open_result(tail, 3.0, 14)) == []
    short = {**tail, "completed": 12, "unfinished": 3}
    assert [f.kind for f in open_flags(open_result(short, 3.0, 12))] == ["overloaded"]


def test_a_rate_level_round_trips() -> None:
    level = Level.parse("rate=50")
    assert level == Level(rate=50.0) and level.token == "rate=50" and str(level) == "50 req/s"
    assert RunKey("s", "x", Level(rate=0.5), 1).dirname(7) == "007-s-x-rate0.5-r1"
    with pytest.raises(ValueError):
        Level(users=1, rate=2.0)
