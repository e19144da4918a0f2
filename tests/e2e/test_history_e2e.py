"""History for real: three stored suites make a trend, in the CLI and the report."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_scenario


def test_history_shows_a_trend_over_three_suites(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    suite = write_scenario(
        tmp_path,
        """\
        name: trendy
        servers:
          uvicorn-1: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - {name: paced, users: 2, warmup: 0.3s, duration: 1s, mix: [{name: slow, path: /slow?delay_ms=100}]}
        """,
    )
    for night in range(3):
        done = run_cli(str(suite), "--out", str(tmp_path / f"night-{night}"), "--history", str(db))
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM suites WHERE suite = 'trendy'").fetchone() == (3,)
        (rps,) = conn.execute("SELECT AVG(rps) FROM metrics").fetchone()
    assert rps == pytest.approx(20, rel=0.15)  # 2 users / 100 ms

    shown = run_cli("history", "--db", str(db), "--scenario", "paced", "--metric", "rps")
    assert shown.returncode == 0, shown.stderr
    assert "rps over the last 3 suites (oldest first):" in shown.stdout
    line = next(line for line in shown.stdout.splitlines() if line.startswith("paced / uvicorn-1 / 2 users:"))
    assert len(line.split(":", 1)[1].split("(first to last")[0].split()) == 4  # sparkline + 3 values
    assert "first to last" in line

    last = tmp_path / "night-2"
    assert 'data-chart="trend"' in (last / "report.html").read_text()
    assert (
        "## Trend" in (last / "report.md").read_text()
        and "Medians over the last 3 suites" in (last / "report.md").read_text()
    )
    # The trend snapshot lives in the folder, so `report DIR` rebuilds it without the database.
    before = (last / "report.html").read_bytes()
    db.unlink()
    assert run_cli("report", str(last)).returncode == 0
    assert (last / "report.html").read_bytes() == before

    assert run_cli("history", "--db", str(tmp_path / "none.sqlite")).returncode == 1
