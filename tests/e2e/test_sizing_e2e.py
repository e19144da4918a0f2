"""The sizing answer on an app the suite has never seen: a target rate
answered per config (replicas, cores, memory), the capacity search's
measured figure beside the model's. Real servers, real Locust. (The kernel's
queue beside the model's is checked in tests/e2e/test_model_e2e.py.)
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.conftest import read_json, run_cli, write_scenario

# A route that computes (3 ms of its thread's CPU) and then waits (10 ms), named like nothing the suite knows.
TALLY = """\
import time


def burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def app(environ, start_response):
    burn(0.003)
    time.sleep(0.010)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"tally"]
"""


def test_a_target_is_sized_per_config_and_the_search_agrees_with_the_model(tmp_path: Path) -> None:
    (tmp_path / "tally.py").write_text(TALLY)
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {warmup: 0.5s, duration: 3s}
        servers:
          sync-2:    {server: gunicorn, app: tally:app, app_dir: ., workers: 2}
          gthread-4: {server: gunicorn, app: tally:app, app_dir: ., worker_class: gthread, workers: 1, threads: 4}
        scenarios:
          - name: count
            mode: open
            rate: auto
            capacity: {p99_ms: "< 200"}
            target: {rate: 500, p99_ms: "< 200"}
            mix: [{path: /tally/count}]
        """,
    )
    done = run_cli(str(scenario), "--out", str(tmp_path / "out"), "--no-history", timeout=400)
    assert done.returncode in (0, 3), done.stderr
    results = read_json(tmp_path / "out" / "results.json")
    assert results["schema_version"] == 9
    sizing = {s["server"]: s for s in results["sizing"]}
    assert set(sizing) == {"sync-2", "gthread-4"}
    for name, answer in sizing.items():
        assert answer["capacity_source"] == "measured" and answer["objective"] == "p99_ms < 200"
        # The model's rate under the objective agrees with the search's within 15%.
        assert answer["predicted_rps"] == pytest.approx(answer["measured_rps"], rel=0.15), (name, answer)
        assert answer["replicas"] == math.ceil(500 / answer["capacity_rps"])
        assert answer["cores"] == answer["replicas"] * answer["cores_per_replica"]
        assert answer["memory_mb"] == pytest.approx(answer["replicas"] * answer["memory_mb_per_replica"], abs=0.2)
        assert answer["rps_per_core"] == pytest.approx(answer["capacity_rps"] / answer["cores_per_replica"], rel=1e-3)
        assert answer["cpu_busy"] == pytest.approx(500 * 0.003, rel=0.3)  # 3 ms of CPU a request
    # Four threads take turns on one GIL: more than twice what two one-request processes do on one core.
    assert sizing["gthread-4"]["capacity_rps"] > 1.8 * sizing["sync-2"]["capacity_rps"]
    assert [s["server"] for s in results["sizing"]] == ["gthread-4", "sync-2"] and results["sizing"][0]["rank"] == 1
    report = (tmp_path / "out" / "report.md").read_text()
    answers, section = report.index("## Answers"), report.index("## count (open)")
    assert answers < section and "Target 500.0 req/s at p99_ms < 200" in report[answers:section]
    assert report.index("| Rank | Server | Replicas |") < report.index("| Server | Capacity req/s |")
