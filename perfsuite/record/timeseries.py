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
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from perfsuite.io.files import read_text
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


class MalformedFile(ValueError):
    """A run's file that cannot be read as what it should be; the message names it."""


HISTORY_CSV = "locust_stats_history.csv"
TIMING_JSON = "timing.json"


def read_series(run_dir: Path) -> Series:
    """The run's series; an empty one if it has no history file; MalformedFile if one is malformed."""
    history = run_dir / HISTORY_CSV
    try:
        reader = csv.DictReader(io.StringIO(read_text(history), newline=""))
        rows = [row for row in reader if row.get("Name") == "Aggregated"]
        columns = reader.fieldnames or []
    except FileNotFoundError:
        return Series()
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise MalformedFile(f"{history}: {error}") from None
    if columns and not {"Name", "Timestamp", "Total Request Count", "95%"} <= set(columns):
        raise MalformedFile(
            f"{history}: not Locust's stats history (columns: {', '.join(c.strip() for c in columns)[:200]})"
        )
    if not rows:
        return Series()
    measure_start = _window_start(run_dir)
    try:
        return _series(rows, measure_start)
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedFile(f"{history}: not Locust's stats history ({type(error).__name__}: {error})") from None


def _window_start(run_dir: Path) -> float | None:
    path = run_dir / TIMING_JSON
    try:
        timing = json.loads(read_text(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise MalformedFile(f"{path}: {error}") from None
    if not isinstance(timing, dict):
        raise MalformedFile(f"{path}: not a JSON object")
    start = timing.get("measure_start")
    if start is not None and not isinstance(start, int | float):
        raise MalformedFile(f"{path}: measure_start is not a number")
    return float(start) if start else None


def _series(rows: list[dict[str, str]], measure_start: float | None) -> Series:
    first = float(rows[0]["Timestamp"])
    window_start = None if measure_start is None else round(measure_start - first, 3)
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


def load_series(out_dir: Path, results: SuiteResults) -> tuple[dict[str, Series], list[str]]:
    """Series by run_dir for every run that has one, and what was malformed (left out)."""
    series, problems = {}, []
    for run in results.runs:
        if not run.run_dir:
            continue
        try:
            series[run.run_dir] = read_series(out_dir / run.run_dir)
        except MalformedFile as error:
            problems.append(str(error))
    return series, problems
