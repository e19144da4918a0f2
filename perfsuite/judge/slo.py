"""Service-level objectives: '< 200'-style thresholds checked against aggregates (pure)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perfsuite.judge.aggregate import Aggregate, Metric
from perfsuite.plan.format import EndpointSlo, Slo
from perfsuite.plan.key import GroupKey

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FORM = re.compile(r"^\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*$")
METRICS = ("rps", "error_rate", "avg_ms", "p50_ms", "p95_ms", "p99_ms")


def parse(threshold: str) -> tuple[str, float]:
    found = _FORM.match(threshold)
    if found is None:
        raise ValueError(f"not a comparison: {threshold!r}")
    return found.group(1), float(found.group(2))


def holds(value: float, threshold: str) -> bool:
    """Whether `value` meets a comparison such as '< 200'."""
    op, bound = parse(threshold)
    return _OPS[op](value, bound)


@dataclass(frozen=True)
class SloCheck:
    key: GroupKey
    endpoint: str | None
    metric: str
    allowed: str  # as written, e.g. "< 200"
    measured: float | None
    passed: bool

    @property
    def name(self) -> str:
        return f"{self.endpoint}.{self.metric}" if self.endpoint else self.metric

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.key.as_dict(),
            "endpoint": self.endpoint,
            "metric": self.metric,
            "allowed": self.allowed,
            "measured": self.measured,
            "passed": self.passed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SloCheck:
        return cls(
            GroupKey.from_dict(data),
            data.get("endpoint"),
            str(data["metric"]),
            str(data["allowed"]),
            None if data.get("measured") is None else float(data["measured"]),
            bool(data["passed"]),
        )


def _check(agg: Aggregate, endpoint: str | None, metrics: dict[str, Metric], spec: EndpointSlo) -> list[SloCheck]:
    checks = []
    for metric in METRICS:
        threshold = getattr(spec, metric)
        if threshold is None:
            continue
        op, bound = parse(threshold)
        measured = metrics[metric].value if metric in metrics else None
        passed = measured is not None and _OPS[op](measured, bound)
        checks.append(
            SloCheck(
                agg.key,
                endpoint,
                metric,
                f"{op} {bound:g}",
                None if measured is None else round(measured, 6),
                passed,
            )
        )
    return checks


def evaluate(aggregates: list[Aggregate], slos: dict[str, Slo]) -> list[SloCheck]:
    """Every objective of each scenario against each of its (server, level) aggregates."""
    checks: list[SloCheck] = []
    for agg in aggregates:
        spec = slos.get(agg.scenario)
        if spec is None:
            continue
        checks += _check(agg, None, agg.metrics, spec)
        for endpoint, endpoint_spec in spec.endpoints.items():
            checks += _check(agg, endpoint, agg.endpoints.get(endpoint, {}), endpoint_spec)
    return checks
