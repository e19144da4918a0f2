"""The verdict as lines for the terminal (pure)."""

from __future__ import annotations

from perfsuite.judge.verdict import Verdict


def verdict_lines(verdict: Verdict) -> list[str]:
    lines = [f"run failed: {key.label}" for key in verdict.failed_runs]
    lines += [f"requests failed: {item.key.label}: {item.message}" for item in verdict.failed_requests]
    lines += [f"capacity not met: {item}" for item in verdict.capacity_unmet]
    lines += [
        f"SLO failed: {c.key.label}: {(c.endpoint + ' ') if c.endpoint else ''}{c.metric} measured {c.measured}, "
        f"allowed {c.allowed}"
        for c in verdict.slo_failures
    ]
    lines += [
        f"REGRESSION: {entry.key.label}: {c.metric} {c.ratio - 1:+.1%} ({c.basis})" for entry, c in verdict.regressions
    ]
    lines += [f"inconclusive: {reason}" for reason in verdict.inconclusive]
    return lines
