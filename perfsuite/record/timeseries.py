"""Per-run time series from the files in a results folder (the report's only reads).

Locust's `_stats_history.csv` gains a row a second; its "Aggregated" rows
give the cumulative request count, from which requests per second are the
per-row deltas (Locust's own Requests/s column is a lagging ~10 s average,
zero in short runs; a warm-up reset restarts the count), and the 95th
percentile over Locust's recent window. `timing.json` tells where the
measured window started, relative to the first row.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from perfsuite.record.results import SuiteResults


@dataclass(frozen=True)
class Series:
    t: list[float] = field(default_factory=list)  # seconds since the first row
    rps: list[float] = field(default_factory=list)
    p95_ms: list[float | None] = field(default_factory=list)
    window_start: float | None = None  # seconds since the first row


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # Locust writes "N/A" before the first response


def read_series(run_dir: Path) -> Series:
    try:
        with open(run_dir / "locust_stats_history.csv", newline="", encoding="utf-8") as file:
            rows = [row for row in csv.DictReader(file) if row.get("Name") == "Aggregated"]
    except OSError:
        return Series()
    if not rows:
        return Series()
    first = float(rows[0]["Timestamp"])
    window_start = None
    try:
        timing = json.loads((run_dir / "timing.json").read_text(encoding="utf-8"))
        if timing.get("measure_start"):
            window_start = round(float(timing["measure_start"]) - first, 3)
    except (OSError, ValueError):
        pass
    t = [float(row["Timestamp"]) - first for row in rows]
    totals = [_number(row["Total Request Count"]) or 0.0 for row in rows]
    rps = [0.0]
    for i in range(1, len(rows)):
        done = totals[i] - totals[i - 1] if totals[i] >= totals[i - 1] else totals[i]  # reset: count restarted
        rps.append(done / max(t[i] - t[i - 1], 1e-9))
    return Series(
        t=t,
        rps=rps,
        p95_ms=[_number(row["95%"]) for row in rows],
        window_start=window_start,
    )


def load_series(out_dir: Path, results: SuiteResults) -> dict[str, Series]:
    """Series by run_dir for every run that has one."""
    return {run.run_dir: read_series(out_dir / run.run_dir) for run in results.runs if run.run_dir}
