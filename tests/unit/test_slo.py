"""Objectives against aggregates (pure): every comparison, per scenario and endpoint, keyed by GroupKey."""

from __future__ import annotations

import pytest

from perfsuite.judge.aggregate import Aggregate, Metric
from perfsuite.judge.slo import evaluate, parse
from perfsuite.plan.format import Slo
from perfsuite.plan.key import GroupKey, Level

KEY = GroupKey("s", "x", Level(users=10))


def agg(**values: float | None) -> Aggregate:
    metrics = {name: Metric(value) for name, value in values.items()}
    return Aggregate(KEY, "steady", runs=1, failed=0, metrics=metrics, endpoints={"fast": metrics})


@pytest.mark.parametrize(
    ("text", "parsed"), [("< 200", ("<", 200.0)), (">=100", (">=", 100.0)), ("  <= 0.01 ", ("<=", 0.01))]
)
def test_parse(text: str, parsed: tuple[str, float]) -> None:
    assert parse(text) == parsed


def test_each_comparison_on_its_boundary() -> None:
    slo = Slo.model_validate({"p95_ms": "< 200", "p99_ms": "<= 300", "rps": ">= 100", "error_rate": "< 0.01"})
    checks = {c.metric: c for c in evaluate([agg(p95_ms=200, p99_ms=300, rps=100, error_rate=0.0)], {"s": slo})}
    assert {m: c.passed for m, c in checks.items()} == {
        "rps": True,
        "error_rate": True,
        "p95_ms": False,
        "p99_ms": True,
    }
    assert checks["p95_ms"].allowed == "< 200" and checks["p95_ms"].measured == 200 and checks["p95_ms"].key == KEY


def test_a_missing_measurement_fails_and_other_scenarios_are_not_checked() -> None:
    slo = Slo.model_validate({"avg_ms": "< 5", "endpoints": {"fast": {"p50_ms": "< 1"}, "gone": {"rps": "> 1"}}})
    checks = evaluate([agg(avg_ms=None, p50_ms=0.5)], {"s": slo, "other": slo})
    named = {c.name: (c.passed, c.measured) for c in checks}
    assert named == {"avg_ms": (False, None), "fast.p50_ms": (True, 0.5), "gone.rps": (False, None)}
    assert evaluate([agg(avg_ms=1)], {"other": slo}) == []


def test_a_check_round_trips_through_checks_json() -> None:
    from perfsuite.judge.slo import SloCheck

    (check,) = evaluate([agg(rps=50)], {"s": Slo.model_validate({"rps": "> 60"})})
    assert SloCheck.from_dict(check.as_dict()) == check
    assert check.as_dict()["level"] == "users=10"
