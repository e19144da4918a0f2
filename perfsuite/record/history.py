"""History of finished suites in SQLite: append one, read trends back.

Each finished (not interrupted) suite adds a row per (scenario, server,
level) with its medians, the fingerprint and the verdict. A level is stored
as its token (users=10); rows written before schema 2 hold the display text
("10 users"), which perfsuite.plan.key.Level.parse reads alike. A suite's own
report shows its trend from a snapshot (trend.json) taken when it finished,
so the report can be rebuilt from its folder alone. Rendering trends is
perfsuite.report.trend's.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfsuite.io.files import not_regular, read_text, write_file
from perfsuite.plan.key import GroupKey, Level
from perfsuite.record.results import Environment

DEFAULT_DB = Path(os.environ.get("PERFSUITE_HISTORY") or Path("reports") / "history.sqlite")
METRICS = ("rps", "p50_ms", "p95_ms", "p99_ms", "error_rate")
TREND_FILE = "trend.json"

SCHEMA = """
CREATE TABLE IF NOT EXISTS suites (
    id INTEGER PRIMARY KEY, suite TEXT NOT NULL, started_at REAL NOT NULL, out_dir TEXT,
    project_commit TEXT, hostname TEXT, exit_code INTEGER, environment TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    suite_id INTEGER NOT NULL REFERENCES suites(id), scenario TEXT NOT NULL, server TEXT NOT NULL,
    level TEXT NOT NULL, runs INTEGER, rps REAL, p50_ms REAL, p95_ms REAL, p99_ms REAL, error_rate REAL, cv REAL
);
CREATE INDEX IF NOT EXISTS metrics_key ON metrics (scenario, server, level);
"""


class HistoryError(Exception):
    """The history file cannot be used; the message names it."""


def problem(path: Path) -> str | None:
    """Why an existing history file cannot be used (read only, nothing changed)."""
    if (kind := not_regular(path)) is not None:
        return f"history file {path} {kind}"
    if not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as error:
        return f"history file {path} is not a perfsuite history (SQLite): {error}"
    if tables and not {"suites", "metrics"} <= tables:
        return f"history file {path} is an SQLite file of something else (tables: {', '.join(sorted(tables))})"
    return None


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    found = problem(path)
    if found is not None:
        raise HistoryError(found)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path)) as db:
            db.executescript(SCHEMA)
            yield db
            db.commit()
    except (OSError, sqlite3.Error) as error:
        raise HistoryError(f"history file {path}: {error}") from None


@dataclass(frozen=True)
class HistoryRow:
    """One (scenario, server, level) of a finished suite: its medians."""

    key: GroupKey
    runs: int
    values: dict[str, float | None]  # METRICS -> median
    cv: float | None


def append(
    path: Path,
    suite: str,
    started_at: float,
    out_dir: Path,
    environment: Environment,
    exit_code: int,
    rows: list[HistoryRow],
) -> int:
    with _connect(path) as db:
        cursor = db.execute(
            "INSERT INTO suites (suite, started_at, out_dir, project_commit, hostname, exit_code, environment)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                suite,
                started_at,
                str(out_dir),
                environment.project_commit,
                environment.hostname,
                exit_code,
                json.dumps(environment.model_dump(mode="json"), sort_keys=True),
            ),
        )
        suite_id = int(cursor.lastrowid or 0)
        db.executemany(
            "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    suite_id,
                    row.key.scenario,
                    row.key.server,
                    row.key.level.token,
                    row.runs,
                    *(row.values.get(m) for m in METRICS),
                    row.cv,
                )
                for row in rows
            ],
        )
        return suite_id


def trend(
    path: Path,
    suite: str | None = None,
    scenario: str | None = None,
    server: str | None = None,
    last: int = 30,
    skipped: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of the last `last` suites (oldest first), filtered, one per (suite, scenario, server, level).
    A malformed row raises HistoryError naming it; given `skipped`, it is left out and named there."""
    if not path.exists():
        return []
    where, args = ["1 = 1"], []
    for column, value in (("s.suite", suite), ("m.scenario", scenario), ("m.server", server)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    with _connect(path) as db:
        db.row_factory = sqlite3.Row
        ids = [
            row[0]
            for row in db.execute(
                f"SELECT DISTINCT s.id FROM suites s JOIN metrics m ON m.suite_id = s.id WHERE {' AND '.join(where)}"
                " ORDER BY s.id DESC LIMIT ?",
                (*args, last),
            )
        ]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = db.execute(
            f"SELECT s.id AS suite_id, s.suite, s.started_at, s.project_commit, s.exit_code, m.* FROM suites s"
            f" JOIN metrics m ON m.suite_id = s.id WHERE s.id IN ({marks}) AND {' AND '.join(where)}"
            " ORDER BY s.id, m.rowid",
            (*ids, *args),
        ).fetchall()
    found = []
    for row in map(dict, rows):
        if (problem := row_problem(row)) is None:
            found.append(row)
            continue
        named = f"history file {path}: suite {row.get('suite_id')!r}: {problem}"
        if skipped is None:
            raise HistoryError(named)
        skipped.append(named)
    return found


def snapshot(path: Path, suite: str, out_dir: Path, last: int = 30) -> None:
    """The trend of this suite's name, saved beside its results for its report; a malformed
    row of an earlier suite is left out of it with a warning (it is no fault of this suite's)."""
    skipped: list[str] = []
    rows = trend(path, suite=suite, last=last, skipped=skipped)
    for problem in skipped:
        print(f"warning: {problem}; left out of this suite's trend", file=sys.stderr)
    write_file(out_dir / TREND_FILE, json.dumps(rows, indent=1, default=str) + "\n")


TREND_TYPES: dict[str, Any] = {
    "suite_id": int,
    "started_at": int | float,
    "scenario": str,
    "server": str,
    "level": str,
    "project_commit": str | None,
    **dict.fromkeys(METRICS, int | float | None),
}
_EXPECTED = {int: "an integer", int | float: "a number", str: "text", str | None: "text or nothing"}


def row_problem(row: dict[str, Any]) -> str | None:
    """Why a stored trend row cannot be shown (a text where a number goes, a level
    that is none, a figure negative or not finite); None if it can."""
    for column, kind in TREND_TYPES.items():
        value = row.get(column)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{column} holds {str(value)[:40]!r} where {_EXPECTED.get(kind, 'a number or nothing')} goes"
        if isinstance(value, float) and not (math.isfinite(value) and value >= 0):
            return f"{column} holds {value!r}, not a finite figure of zero or more"
    try:
        Level.parse(row["level"])
    except ValueError:
        return f"level holds {str(row['level'])[:40]!r}, not a level (users=10, rate=50)"
    return None


def read_snapshot(out_dir: Path) -> list[dict[str, Any]]:
    """The trend saved with a suite ([] if none); HistoryError if it is malformed."""
    path = out_dir / TREND_FILE
    try:
        rows = json.loads(read_text(path))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise HistoryError(f"{path}: {error}") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) and row_problem(row) is None for row in rows):
        raise HistoryError(f"{path}: not a list of trend rows ({', '.join(TREND_TYPES)})")
    return rows
