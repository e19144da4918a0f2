"""Regression or noise: the comparison rule (pure).

A metric regresses only if the ratio of its medians passes a threshold
(defaults: 10% for throughput and p50, 25% for p99) AND, where each side has
at least 6 repetitions, a Mann-Whitney U test gives p < 0.01; with fewer, the
threshold alone decides and the verdict says so. The same rule in the other
direction reports improvements. (With 5 against 5 samples the test cannot
reach p < 0.01 reliably, hence 6.)

A percentile is judged only where every repetition on both sides holds at
least 10 requests beyond it (1,000 for p99, 200 for p95, 20 for p50): the
p99 of 80 requests is their slowest one, and one stall moves it by any
amount. With fewer, a change past the threshold is "within noise" and the
basis says how many requests it would need.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_THRESHOLDS = {"rps": 0.10, "p50_ms": 0.10, "p99_ms": 0.25}
HIGHER_IS_BETTER = {"rps": True, "p50_ms": False, "p95_ms": False, "p99_ms": False, "avg_ms": False}
MIN_SAMPLES = 6
ALPHA = 0.01
PERCENTILE_FRACTIONS = {"p50_ms": 0.50, "p95_ms": 0.95, "p99_ms": 0.99}
MIN_BEYOND = 10  # requests past a percentile, in each repetition, for it to be judged

REGRESSION, IMPROVEMENT, WITHIN_NOISE, UNCHANGED = "regression", "improvement", "within noise", "unchanged"


@dataclass(frozen=True)
class Comparison:
    metric: str
    baseline: float
    candidate: float
    ratio: float
    threshold: float
    verdict: str  # regression, improvement, within noise, unchanged
    p_value: float | None
    basis: str  # how it was decided

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        p_value = data.get("p_value")
        return cls(
            metric=str(data["metric"]),
            baseline=float(data["baseline"]),
            candidate=float(data["candidate"]),
            ratio=float(data["ratio"]),
            threshold=float(data["threshold"]),
            verdict=str(data["verdict"]),
            p_value=None if p_value is None else float(p_value),
            basis=str(data.get("basis") or ""),
        )


def needed_requests(metric: str) -> int:
    """Requests per repetition for `metric` to be judged: 0 for one that is not a percentile."""
    fraction = PERCENTILE_FRACTIONS.get(metric)
    return 0 if fraction is None else math.ceil(MIN_BEYOND / (1 - fraction) - 1e-9)


def compare(
    metric: str,
    baseline: Sequence[float],
    candidate: Sequence[float],
    threshold: float,
    requests: tuple[Sequence[int], Sequence[int]] = ((), ()),
) -> Comparison:
    """`requests`: per repetition on each side, where known; a percentile from fewer than
    needed_requests(metric) in any repetition is not judged past "within noise"."""
    before, after = statistics.median(baseline), statistics.median(candidate)
    ratio = after / before if before else float("inf") if after else 1.0
    change = ratio - 1
    if not HIGHER_IS_BETTER.get(metric, False):
        change = -change  # for latency, a rise is the loss
    direction = REGRESSION if change < -threshold else IMPROVEMENT if change > threshold else UNCHANGED
    if len(baseline) >= MIN_SAMPLES and len(candidate) >= MIN_SAMPLES:
        from scipy.stats import mannwhitneyu  # only where a test runs: scipy is slow to import

        p_value = float(mannwhitneyu(candidate, baseline, alternative="two-sided").pvalue)
        if direction != UNCHANGED and p_value >= ALPHA:
            direction = WITHIN_NOISE
        basis = f"median ratio and Mann-Whitney U (p = {p_value:.3g}; {len(baseline)} vs {len(candidate)} samples)"
    else:
        p_value = None
        basis = f"threshold alone: fewer than {MIN_SAMPLES} repetitions per side ({len(baseline)} vs {len(candidate)})"
    counts = [n for side in requests for n in side]
    needed = needed_requests(metric)
    if counts and min(counts) < needed:
        if direction != UNCHANGED:
            direction = WITHIN_NOISE
        basis = (
            f"too few requests to judge {metric}: {min(counts):,} in a repetition, "
            f"{needed:,} needed ({MIN_BEYOND} beyond it); {basis}"
        )
    return Comparison(metric, round(before, 6), round(after, 6), round(ratio, 6), threshold, direction, p_value, basis)
