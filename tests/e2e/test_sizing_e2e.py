"""The sizing answer and the server's queue, on apps the suite has never seen:
a target rate answered per config (replicas, cores, memory), the capacity
search's measured figure beside the model's, and the kernel's queue beside
the model's waiting requests. Real servers, real Locust.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.conftest import read_json, run_cli, write_scenario
from tests.e2e.test_model_e2e import LEDGER

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
    assert results["schema_version"] == 6
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


def test_the_kernels_queue_is_shown_beside_the_models_and_said_unseen_where_it_is(tmp_path: Path) -> None:
    (tmp_path / "ledger.py").write_text(LEDGER.format(wait=0.025))
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {users: 8, warmup: 1s, duration: 3s}
        servers:
          sync-1:    {server: gunicorn, app: ledger:wsgi, app_dir: .}
          uvicorn-1: {server: uvicorn, app: ledger:asgi, app_dir: .}
        scenarios:
          - name: lookup
            mix: [{path: /ledger/lookup}]
        """,
    )
    done = run_cli(str(scenario), "--out", str(tmp_path / "out"), "--no-history")
    assert done.returncode == 0, done.stderr
    runs = {run["server"]: run for run in read_json(tmp_path / "out" / "results.json")["runs"]}
    sync, loop = runs["sync-1"], runs["uvicorn-1"]
    # 8 users, one request at a time: about 7 wait for the worker, in the kernel's accept queue.
    assert sync["model"]["waiting"] == pytest.approx(7, abs=0.5)
    assert sync["queue"]["unseen"] is None and sync["queue"]["samples"] >= 8
    assert sync["queue"]["mean"] == pytest.approx(sync["model"]["waiting"], rel=0.3), sync["queue"]
    assert loop["queue"]["unseen"] and "reads each request as it arrives" in loop["queue"]["unseen"]
    assert "waiting" not in loop["model"]  # no slot limit: nothing waits for one
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| Server | Level | Waiting (model) | In the kernel: mean |" in report
    assert "| uvicorn-1 | 8 | none (no slot limit) |" in report and "unseen: it reads" in report
