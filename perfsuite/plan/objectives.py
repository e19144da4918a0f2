"""Objectives that no run can meet, found before anything starts (pure).

An SLO or a capacity objective is a set of comparisons ('< 200') on figures
with known ranges: a latency is above 0 ms, an error rate lies in 0..1, a
throughput is 0 or more. A comparison that no figure in its range meets
(`p99_ms: "< 0"`, `error_rate: "> 2"`) could only fail the suite after its
runs; so could a pair that contradicts the order of percentiles
(p50 <= p95 <= p99): `p50_ms: "> 10"` with `p99_ms: "< 5"`, or an upper
bound on a percentile stricter than one on a higher percentile
(`p50_ms: "< 10"` with `p99_ms: "< 5"`: the p50 bound can never decide,
and the pair reads as swapped). A capacity search bounds latency and error
rate from above (`<`, `<=`): a higher rate only raises them, so `>` there
inverts the search. Each problem names its field.
"""

from __future__ import annotations

import re
from typing import Any

LATENCIES = ("avg_ms", "p50_ms", "p95_ms", "p99_ms")
PERCENTILES = ("p50_ms", "p95_ms", "p99_ms")  # in the order their values always keep
STREAM_LATENCIES = ("gap_p99_ms", "ttfb_p99_ms")  # a connections search's (stream mode)
_FORM = re.compile(r"^\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*$")

PathKey = tuple[str | int, ...]


def _parsed(threshold: str) -> tuple[str, float] | None:
    found = _FORM.match(threshold)
    return None if found is None else (found.group(1), float(found.group(2)))


def _met_by_none(metric: str, op: str, bound: float) -> str | None:
    """Why no value of `metric` meets `op bound`, or None if some does."""
    if metric == "error_rate" and bound > 1:
        return f"an error rate is a fraction from 0 to 1 (5% is 0.05), not {bound:g}"
    if metric in (*LATENCIES, *STREAM_LATENCIES) and op in ("<", "<=") and bound <= 0:
        return f"a latency is always above 0 ms: '{op} {bound:g}' is never met"
    if op == "<" and bound <= 0:
        return f"{metric} is never below 0: '< {bound:g}' is never met"
    if metric == "error_rate" and ((op == ">" and bound >= 1) or (op == ">=" and bound > 1)):
        return f"an error rate is at most 1: '{op} {bound:g}' is never met"
    return None


def _order_problems(bounds: dict[str, tuple[str, float]], at: PathKey) -> list[tuple[PathKey, str]]:
    """Pairs of percentile bounds at odds with p50 <= p95 <= p99."""
    found = []
    for i, low in enumerate(PERCENTILES):
        for high in PERCENTILES[i + 1 :]:
            if low not in bounds or high not in bounds:
                continue
            (low_op, low_bound), (high_op, high_bound) = bounds[low], bounds[high]
            written = f"{low} '{low_op} {low_bound:g}' with {high} '{high_op} {high_bound:g}'"
            if low_op in (">", ">=") and high_op in ("<", "<="):
                both_inclusive = low_op == ">=" and high_op == "<="
                if low_bound > high_bound or (low_bound == high_bound and not both_inclusive):
                    found.append(((*at, high), f"contradicts {written}: {high} is never below {low}"))
            elif low_op in ("<", "<=") and high_op in ("<", "<=") and high_bound < low_bound:
                found.append(
                    (
                        (*at, low),
                        f"{written}: {high} is never below {low}, so the {low} bound can never decide;"
                        " are the two swapped?",
                    )
                )
    return found


def objective_problems(objective: Any, at: PathKey, capacity: bool = False) -> list[tuple[PathKey, str]]:
    """What no run can meet in an SLO (or one endpoint's) or a capacity objective;
    `capacity`: also refuse bounds from below on latency and error rate."""
    if objective is None:
        return []
    found: list[tuple[PathKey, str]] = []
    bounds: dict[str, tuple[str, float]] = {}
    for metric in ("rps", "error_rate", *LATENCIES, *STREAM_LATENCIES):
        threshold = getattr(objective, metric, None)
        parsed = _parsed(threshold) if isinstance(threshold, str) else None
        if parsed is None:
            continue
        op, bound = parsed
        bounds[metric] = parsed
        if (why := _met_by_none(metric, op, bound)) is not None:
            found.append(((*at, metric), why))
        elif capacity and op in (">", ">="):
            found.append(
                (
                    (*at, metric),
                    f"'{op} {bound:g}' is inverted for a capacity search: a higher rate only raises {metric}, so"
                    f" bound it from above ('< {bound:g}')",
                )
            )
    return found + _order_problems(bounds, at)
