"""Baseline files (pure but for their I/O): schema 2 written, schema 1 read, entries joined by key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfsuite.judge.aggregate import aggregate
from perfsuite.judge.baseline import BaselineError, build, compare_all, environment_differences, load, save
from perfsuite.plan.key import GroupKey, Level
from perfsuite.record.results import read_results

DATA = Path(__file__).resolve().parents[1] / "data"


def test_a_schema_1_baseline_compares_by_key() -> None:
    baseline = load(DATA / "baseline_v1.json")
    assert baseline.entries[0].key == GroupKey("io-concurrent", "uvicorn-1", Level(users=4))
    assert baseline.entries[1].key.level == Level(order="concurrent")
    aggregates = aggregate(read_results(DATA / "fixture_run").runs)
    compared, unmatched = compare_all(baseline, aggregates)
    by_key = {entry.key: entry for entry in compared}
    io = by_key[GroupKey("io-concurrent", "uvicorn-1", Level(users=4))]
    rps = next(c for c in io.comparisons if c.metric == "rps")
    assert rps.baseline == 47.0 and rps.candidate == 36.1477 and rps.verdict == "regression"
    burst = by_key[GroupKey("blog-table", "uvicorn-1", Level(order="concurrent"))]
    assert next(c for c in burst.comparisons if c.metric == "rps").verdict == "unchanged"
    assert "gone / uvicorn-1 / 10 users: in the baseline, not run now" in unmatched
    assert "io-concurrent / gunicorn-sync-1 / 4 users: not in the baseline" in unmatched


def test_saved_as_schema_2_with_tokens(tmp_path: Path) -> None:
    results = read_results(DATA / "fixture_run")
    path = tmp_path / "b.json"
    save(path, build(aggregate(results.runs), results.environment, "fixture"))
    data = json.loads(path.read_text())
    assert data["schema_version"] == 2 and data["entries"][0]["level"] == "order=sequential"
    again = load(path)
    assert [e.key for e in again.entries] == [a.key for a in aggregate(results.runs) if a.runs]
    # Each repetition's request count is kept, so a percentile of too few requests is not judged.
    assert again.entries[0].requests == list(aggregate(results.runs)[0].requests)
    assert all(n > 0 for e in again.entries for n in e.requests)
    assert environment_differences(again, results.environment) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "not a perfsuite baseline"),
        ('{"kind": "perfsuite-baseline", "schema_version": 9}', "schema_version 9"),
        ('{"kind": "perfsuite-baseline", "schema_version": 2, "entries": {}}', "entries must be a list"),
        ('{"kind": "perfsuite-baseline", "schema_version": 2, "entries": [{"scenario": "s"}]}', "entries.0: 'server'"),
        (
            '{"kind": "perfsuite-baseline", "schema_version": 2, "entries": '
            '[{"scenario": "s", "server": "x", "level": "users=1", "samples": {"rps": ["a"]}}]}',
            r"entries.0 \(s / x / users=1\): samples.rps must be a list of finite numbers",
        ),
        (
            '{"kind": "perfsuite-baseline", "schema_version": 2, "entries": '
            '[{"scenario": "s", "server": "x", "level": "users=1", "requests": [5, -1]}]}',
            r"entries.0 \(s / x / users=1\): requests holds -1",
        ),
    ],
)
def test_malformed_baselines_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=message):
        load(path)


def test_a_baseline_of_many_entries_makes_a_bounded_report(tmp_path: Path) -> None:
    from perfsuite.judge.verdict import judge
    from perfsuite.report.markdown import render_view
    from perfsuite.report.view import build_view

    results = read_results(DATA / "fixture_run")
    aggregates = aggregate(results.runs)
    entries = [
        {"scenario": f"s{i}", "server": "x", "level": "users=1", "samples": {"rps": [1.0]}} for i in range(120_000)
    ]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"kind": "perfsuite-baseline", "schema_version": 2, "entries": entries}))
    compared, notes = compare_all(load(path), aggregates)
    assert len(notes) <= 40 and notes[-1] == "and 119,980 more entries of the baseline not run now"
    verdict = judge(results, aggregates, [], compared, str(path), notes)
    assert len(render_view(build_view(results, verdict, [], aggregates)).encode()) < 100_000
