"""Nightly-job behaviour for real: SLOs, baselines, exit codes, junit.xml, resume."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import read_json, run_cli, start_cli, strays, write_scenario

# Sleep-dominated, so repetitions agree: 10 users / 200 ms = 50 req/s, and a
# scheduling hiccup of a few ms is a few percent of any percentile.
STEADY = """\
name: nightly-test
defaults: {users: 10, warmup: 0.5s, duration: 2s, repeat: 2}
servers:
  uvicorn-1: {server: uvicorn, app: apps.asgi_app:app}
scenarios:
  - name: paced
    slo: {SLO}
    mix: [{name: slow, path: /slow?delay_ms=200}]
"""


def scenario(tmp_path: Path, slo: str = "{error_rate: '< 0.01', rps: '>= 30'}") -> Path:
    return write_scenario(tmp_path, STEADY.replace("{SLO}", slo))


def test_an_slo_that_cannot_hold_exits_1_with_the_violation_reported(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_cli(str(scenario(tmp_path, "{p95_ms: '< 10', rps: '>= 30'}")), "--out", str(out))
    assert done.returncode == 1, done.stderr
    assert re.search(r"SLO failed: paced / uvicorn-1 / 10 users: p95_ms measured 2\d\d\.0, allowed < 10", done.stderr)
    report = (out / "report.md").read_text()
    assert re.search(
        r"\| paced \| uvicorn-1 \| 10 users \| \(all\) \| p95_ms \| < 10 \| 2\d\d \| ❌ \*\*violated\*\* \|", report
    )
    assert "| paced | uvicorn-1 | 10 users | (all) | rps | >= 30 |" in report and "✅ held" in report
    cases = {c.get("name"): c for c in ET.parse(out / "junit.xml").getroot().iter("testcase")}
    failure = cases["p95_ms < 10"].find("failure")
    assert failure is not None and re.fullmatch(r"measured 2\d\d, allowed < 10", failure.get("message", ""))
    assert cases["rps >= 30"].find("failure") is None
    assert "❌ violated" in (out / "report.html").read_text()


@pytest.fixture(scope="module")
def first_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One suite's baseline, shared by the tests that compare against it."""
    where = tmp_path_factory.mktemp("first")
    baseline = where / "baseline.json"
    first = run_cli(str(scenario(where)), "--out", str(where / "out"), "--save-baseline", str(baseline))
    assert first.returncode == 0, first.stderr
    return baseline


def test_baselines_same_config_passes_and_a_faster_baseline_fails(tmp_path: Path, first_baseline: Path) -> None:
    suite = scenario(tmp_path)
    baseline = tmp_path / "baseline.json"
    baseline.write_bytes(first_baseline.read_bytes())
    saved = json.loads(baseline.read_text())
    (entry,) = saved["entries"]
    assert entry["runs"] == 2 and len(entry["samples"]["rps"]) == 2 and saved["environment"]["cpu_count"]
    assert saved["thresholds"] == {"rps": 0.1, "p50_ms": 0.1, "p99_ms": 0.25}

    same = run_cli(str(suite), "--out", str(tmp_path / "same"), "--baseline", str(baseline))
    assert same.returncode == 0, same.stderr
    checks = read_json(tmp_path / "same" / "checks.json")
    verdicts = {c["metric"]: c["verdict"] for c in checks["baseline"][0]["comparisons"]}
    assert verdicts == {"rps": "unchanged", "p50_ms": "unchanged", "p99_ms": "unchanged"}, checks["baseline"]
    assert "WARNING" not in same.stderr

    # A baseline doctored to be 30% faster: today's numbers are a regression.
    entry["samples"]["rps"] = [v * 1.3 for v in entry["samples"]["rps"]]
    doctored = tmp_path / "doctored.json"
    doctored.write_text(json.dumps(saved))
    slower = run_cli(str(suite), "--out", str(tmp_path / "slower"), "--baseline", str(doctored))
    assert slower.returncode == 1, slower.stderr
    assert "REGRESSION: paced / uvicorn-1 / 10 users: rps -2" in slower.stderr
    report = (tmp_path / "slower" / "report.md").read_text()
    assert "❌ **regression**" in report and "threshold alone: fewer than 6 repetitions per side (2 vs 2)" in report
    junit = ET.parse(tmp_path / "slower" / "junit.xml").getroot()
    failures = [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failures] == [("baseline.paced.uvicorn-1.10_users", "rps")]


def test_a_baseline_from_elsewhere_warns_and_strict_refuses(tmp_path: Path, first_baseline: Path) -> None:
    suite = scenario(tmp_path)
    baseline = tmp_path / "baseline.json"
    saved = json.loads(first_baseline.read_text())
    saved["environment"]["hostname"] = "another-machine"
    saved["environment"]["packages"]["uvicorn"] = "0.1.0"
    baseline.write_text(json.dumps(saved))
    strict = run_cli(str(suite), "--out", str(tmp_path / "b"), "--baseline", str(baseline), "--strict")
    assert strict.returncode == 2
    assert "--strict: the baseline" in strict.stderr and "uvicorn: baseline 0.1.0" in strict.stderr
    assert not (tmp_path / "b").exists()
    loose = run_cli(str(suite), "--out", str(tmp_path / "c"), "--baseline", str(baseline), "--quick")
    assert "WARNING: baseline differs: hostname: baseline 'another-machine'" in loose.stderr
    assert "Baseline from another machine or other versions" in (tmp_path / "c" / "report.md").read_text()


def test_bad_baseline_file_is_invalid_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "something else"}')
    done = run_cli(str(scenario(tmp_path)), "--out", str(tmp_path / "o"), "--baseline", str(bad))
    assert done.returncode == 2 and "not a perfsuite baseline" in done.stderr


def test_resume_after_an_interruption_finishes_the_same_runs(tmp_path: Path) -> None:
    suite = write_scenario(
        tmp_path,
        """\
        name: resumable
        defaults: {users: 2, warmup: 0.3s, duration: 1s}
        servers:
          a: {server: uvicorn, app: apps.asgi_app:app}
          b: {server: gunicorn, app: apps.wsgi_app:app}
        scenarios:
          - {name: one, mix: [{name: slow, path: /slow?delay_ms=100}]}
          - {name: two, mix: [{name: slow, path: /slow?delay_ms=100}]}
        """,
    )
    out = tmp_path / "out"
    proc = start_cli(str(suite), "--out", str(out))
    deadline = time.monotonic() + 60
    # Interrupt during the third run: two are recorded (the third's children
    # may already be up: they start as the second run's window ends).
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError, KeyError):
            if len(read_json(out / "results.json")["runs"]) >= 2:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert strays(proc.pid) == []
    partial = read_json(out / "results.json")
    assert partial["interrupted"] and len(partial["runs"]) == 2, partial["runs"]

    resumed = run_cli(str(suite), "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr and "2 runs done, 2 to go" in resumed.stderr
    assert "[3/4] two / a" in resumed.stderr and "[4/4] two / b" in resumed.stderr
    runs = read_json(out / "results.json")["runs"]
    assert [(r["index"], r["scenario"], r["server"]) for r in runs] == [
        (1, "one", "a"), (2, "one", "b"), (3, "two", "a"), (4, "two", "b")
    ]  # fmt: skip
    assert all(r["status"] == "ok" for r in runs)
    assert sorted(p.name for p in (out / "runs").iterdir()) == [
        "001-one-a-u2-r1", "002-one-b-u2-r1", "003-two-a-u2-r1", "004-two-b-u2-r1"
    ]  # fmt: skip
    assert "4 of 4 planned runs succeeded." in (out / "report.md").read_text()
