"""History rows written before schema 2 (level "10 users") and after (users=10) join as one series."""

from __future__ import annotations

from pathlib import Path

from perfsuite.plan.key import GroupKey, Level
from perfsuite.record import history
from perfsuite.record.results import Environment
from perfsuite.report.trend import render_text, series


def test_old_and_new_rows_form_one_series(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    key = GroupKey("s", "x", Level(users=10))
    history.append(db, "suite", 1.0, tmp_path, Environment(), 0, [history.HistoryRow(key, 1, {"rps": 100.0}, None)])
    with history._connect(db) as connection:  # a row as schema 1 stored it
        connection.execute("INSERT INTO suites (suite, started_at) VALUES ('suite', 0.5)")
        connection.execute(
            "INSERT INTO metrics (suite_id, scenario, server, level, rps) VALUES (2, 's', 'x', '10 users', 110.0)"
        )
    history.append(db, "suite", 2.0, tmp_path, Environment(), 0, [history.HistoryRow(key, 1, {"rps": 121.0}, None)])
    rows = history.trend(db, suite="suite")
    assert [row["level"] for row in rows] == ["users=10", "10 users", "users=10"]
    assert series(rows, "rps") == {key: [(1, 100.0), (2, 110.0), (3, 121.0)]}
    text = render_text(rows, "rps")
    assert "s / x / 10 users: " in text and "100 110 121  (first to last +21.0%)" in text
