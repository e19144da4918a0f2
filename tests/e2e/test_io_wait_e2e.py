"""I/O-wait cases for real: upstream service, every server model, the model and its flags.

Delays are 200 ms; latency is compared against the configured wait (which
dominates), throughput against 1 / (3 x delay) for one sync worker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import read_json, run_cli, write_scenario

DELAY_MS = 200
SERVERS = """\
servers:
  gunicorn-sync-1:    {server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 1}
  gunicorn-sync-4:    {server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 4}
  gunicorn-gthread:   {server: gunicorn, app: apps.wsgi_app:app, worker_class: gthread, workers: 1, threads: 2}
  gunicorn-gevent:    {server: gunicorn, app: apps.wsgi_app:app, worker_class: gevent, workers: 1}
  uvicorn-1:          {server: uvicorn, app: apps.asgi_app:app, workers: 1}
  gunicorn-uvicorn-2: {server: gunicorn, app: apps.asgi_app:app, worker_class: uvicorn, workers: 2}
"""


def test_every_model_waits_as_its_code_says(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        f"""\
        defaults: {{users: 1, warmup: 0.5s, duration: 1.5s, upstream: {{delay_ms: {DELAY_MS}}}}}
        {SERVERS.replace(chr(10), chr(10) + "        ")}
        scenarios:
          - {{name: sequential, mix: [{{name: io, path: /io/sequential?calls=3}}]}}
          - {{name: concurrent, mix: [{{name: io, path: /io/concurrent?calls=3}}]}}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 0, done.stderr
    runs = read_json(out / "results.json")["runs"]
    assert len(runs) == 12
    workers = {"gunicorn-sync-4": 4, "gunicorn-uvicorn-2": 2}
    for run in runs:
        label = (run["scenario"], run["server"])
        assert run["status"] == "ok" and run["failures"] == 0, label
        # One user always finds a free slot: latency is the wait the code makes.
        wait = (3 if run["scenario"] == "sequential" else 1) * DELAY_MS
        assert wait <= run["latency_ms"]["avg"] <= wait * 1.10, (label, run["latency_ms"])
        # The model applies and agrees; nothing is flagged.
        model = run["model"]
        assert model["applies"] and model["wait_s"] == pytest.approx(wait / 1000), label
        assert run["flags"] == [], (label, run["flags"])
        # The upstream was not the bottleneck, by its own measure.
        stats = run["upstream"]["stats"]
        assert stats["requests"] >= run["requests"] and stats["ratio"] <= 1.05, (label, stats)
        assert run["server_env"]["UPSTREAM_URL"].startswith("http://127.0.0.1:")
        # Resources for every run: CPU and memory per worker.
        server = run["server_resources"]
        assert server["workers"] == workers.get(run["server"], 1), (label, server["workers"])
        # CPU is measured in 10 ms clock ticks: a light run may honestly read 0.0, never "missing".
        assert server["memory_per_worker_mb"]["uss"] > 5 and server["cpu_seconds_per_1k_requests"] is not None, label
        assert run["loadgen_resources"]["cpu_percent"]["mean"] is not None
        assert (out / run["run_dir"] / "resources.csv").exists()
        assert run["affinity"]["server"] != run["affinity"]["loadgen"]
    report = (out / "report.md").read_text()
    assert "Expected RPS" in report and "USS MB per worker" in report and "Upstream own ms" in report


def test_one_sync_worker_serves_one_request_per_three_waits(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          gunicorn-sync-1: {{server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 1}}
        scenarios:
          - name: sequential
            users: 3
            warmup: 1s
            duration: 9s
            upstream: {{delay_ms: {DELAY_MS}}}
            mix: [{{name: io, path: /io/sequential?calls=3}}]
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 0, done.stderr
    (run,) = read_json(out / "results.json")["runs"]
    ceiling = 1 / (3 * DELAY_MS / 1000)
    assert run["rps"] == pytest.approx(ceiling, rel=0.10), run["rps"]
    assert run["model"]["bound"] == "slots" and run["model"]["slots"] == 1
    assert run["model"]["expected_rps"] == pytest.approx(ceiling, rel=0.05)
    assert not [f for f in run["flags"] if f["kind"] == "model_mismatch"]


def test_an_undersized_server_is_flagged(tmp_path: Path) -> None:
    # The app's upstream pool holds one connection: the event loop cannot
    # overlap the calls the model expects it to.
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          uvicorn-pool-1: {{server: uvicorn, app: apps.asgi_app:app, env: {{UPSTREAM_MAX_CONNECTIONS: "1"}}}}
        scenarios:
          - name: concurrent
            users: 4
            warmup: 0.5s
            duration: 3s
            upstream: {{delay_ms: {DELAY_MS}}}
            mix: [{{name: io, path: /io/concurrent?calls=3}}]
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 3, done.stderr  # inconclusive: the numbers are not what the config promises
    assert "inconclusive: concurrent / uvicorn-pool-1 / 4 users: model mismatch" in done.stderr
    (run,) = read_json(out / "results.json")["runs"]
    assert run["model"]["ratio"] < 0.5
    (mismatch,) = [f for f in run["flags"] if f["kind"] == "model_mismatch"]
    assert "fewer requests at once than the model assumes" in mismatch["message"]
    report = (out / "report.md").read_text()
    assert "⚠ model mismatch" in report and "fewer requests at once" in report


def test_a_saturated_load_generator_is_flagged(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          uvicorn-1: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - {name: flood, users: 30, warmup: 1s, duration: 3s, mix: [{name: fast, path: /fast}]}
          - {name: cpu, users: 2, warmup: 0, duration: 1s, mix: [{name: cpu, path: /cpu}]}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 3, done.stderr  # inconclusive: throughput is only a lower bound
    assert "inconclusive: flood / uvicorn-1 / 30 users: load generator saturated" in done.stderr
    flood, cpu = read_json(out / "results.json")["runs"]
    assert flood["loadgen_resources"]["share_above_90_percent"] >= 0.5, flood["loadgen_resources"]
    assert [f["kind"] for f in flood["flags"]] == ["loadgen_saturated"]
    # The suite's own CPU-only paths are not modelled (what a request costs beyond the CPU is not measured).
    assert not flood["model"]["applies"] and "CPU-only paths" in flood["model"]["why_not"]
    assert not cpu["model"]["applies"] and "CPU-only paths" in cpu["model"]["why_not"]
    report = (out / "report.md").read_text()
    assert "⚠ load generator saturated" in report and "throughput is a lower bound" in report
