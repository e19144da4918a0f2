"""Trends over stored suites as text: a sparkline and the values per
(scenario, server, level) (pure)."""

from __future__ import annotations

from typing import Any

from perfsuite.plan.key import GroupKey, Level

SPARKS = "▁▂▃▄▅▆▇█"


def _key(row: dict[str, Any]) -> GroupKey:
    return GroupKey(row["scenario"], row["server"], Level.parse(row["level"]))


def series(rows: list[dict[str, Any]], metric: str) -> dict[GroupKey, list[tuple[int, float | None]]]:
    """(scenario, server, level) -> [(suite id, value)] in suite order."""
    result: dict[GroupKey, list[tuple[int, float | None]]] = {}
    for row in rows:
        result.setdefault(_key(row), []).append((row["suite_id"], row[metric]))
    return result


def sparkline(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(" " if v is None else SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values)


def render_text(rows: list[dict[str, Any]], metric: str) -> str:
    if not rows:
        return "no history yet"
    suites = sorted({(row["suite_id"], row["started_at"], row["project_commit"]) for row in rows})
    lines = [f"{metric} over the last {len(suites)} suites (oldest first):", ""]
    for key, points in series(rows, metric).items():
        values = [v for _, v in points]
        known = [v for v in values if v is not None]
        change = f"{known[-1] / known[0] - 1:+.1%}" if len(known) >= 2 and known[0] else "n/a"
        shown = " ".join("–" if v is None else f"{v:,.4g}" for v in values)
        lines.append(f"{key.label}: {sparkline(values)}  {shown}  (first to last {change})")
    return "\n".join(lines)
