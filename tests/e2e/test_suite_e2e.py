"""The whole path for real: run_suite.py -> real servers -> real Locust -> results.

Delays are short; assertions compare against the configured sleep, which
dominates the measured time, so they hold on a noisy 2-core machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, own_locustfile, read_json, run_cli, write_scenario

DELAY_S = 0.4


def runs_by(results: dict, key: str = "server") -> dict:  # type: ignore[type-arg]
    return {(run[key], run["order"] or run["users"]): run for run in results["runs"]}


def test_burst_table_has_the_classic_shape(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        f"""\
        name: blog
        servers:
          gunicorn-sync-1: {{server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 1}}
          gunicorn-sync-4: {{server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 4}}
          uvicorn-1:       {{server: uvicorn, app: apps.asgi_app:app, workers: 1}}
        scenarios:
          - name: blog-table
            mode: burst
            order: [sequential, concurrent]
            mix:
              - {{name: slow, path: /slow?delay_ms={int(DELAY_S * 1000)}, count: 3}}
              - {{name: fast, path: /fast, count: 15}}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 0, done.stderr
    runs = runs_by(read_json(out / "results.json"))
    expected = {
        ("gunicorn-sync-1", "sequential"): 3 * DELAY_S,
        ("gunicorn-sync-4", "sequential"): 3 * DELAY_S,
        ("uvicorn-1", "sequential"): 3 * DELAY_S,
        ("gunicorn-sync-1", "concurrent"): 3 * DELAY_S,  # one sync worker: the slow ones queue
        ("gunicorn-sync-4", "concurrent"): DELAY_S,  # a worker per slow request, one left for the fast
        ("uvicorn-1", "concurrent"): DELAY_S,  # the event loop waits on all three at once
    }
    assert set(runs) == set(expected)
    for key, seconds in expected.items():
        run = runs[key]
        assert run["status"] == "ok" and run["requests"] == 18 and run["failures"] == 0, run
        assert run["endpoints"]["slow"]["requests"] == 3 and run["endpoints"]["fast"]["requests"] == 15
        assert seconds <= run["elapsed_s"] <= seconds * 1.15, (key, run["elapsed_s"])
        assert run["rps"] == pytest.approx(18 / run["elapsed_s"], rel=1e-3)
    report = (out / "report.md").read_text()
    assert "| Server | Mode | # Slow | # Fast | Elapsed | Throughput | vs best |" in report
    assert "overhead" in done.stderr


def test_steady_run_measures_only_the_window(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          uvicorn-1: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - name: paced
            users: 1
            warmup: 1s
            duration: 2s
            mix:
              - {name: slow, path: /slow?delay_ms=200, weight: 1}
              - {name: missing, path: /nope, weight: 0}
          - name: failing
            users: 2
            max_error_rate: 1  # expected here: exit 0
            warmup: 0
            duration: 1s
            mix:
              - {name: missing, path: /slow?delay_ms=20, expect_status: 201, weight: 1}
              - {name: created, path: /nope, method: POST, json: {a: 1}, expect_status: 404, weight: 1}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 0, done.stderr
    results = read_json(out / "results.json")
    assert results["schema_version"] == 9 and results["suite"] == "suite"
    paced, failing = results["runs"]
    # One user, 200 ms per request: about 10 requests in the 2 s window; the
    # 1 s warm-up (5 more) is left out.
    assert 9 <= paced["requests"] <= 11, paced["requests"]
    assert paced["elapsed_s"] == pytest.approx(2.0, rel=0.1)
    assert 200 <= paced["latency_ms"]["p50"] < 215 and paced["latency_ms"]["min"] >= 200  # a 200 ms sleep, to 3 figures
    assert set(paced["latency_ms"]) == {"avg", "min", "max", "p50", "p95", "p99"}
    assert paced["overhead"]["total_s"] is not None and paced["overhead"]["total_s"] > 0
    run_dir = out / paced["run_dir"]
    for name in ("locust_stats.csv", "locust_stats_history.csv", "locust.json", "locust.html", "server.log"):
        assert (run_dir / name).exists(), name
    # Anything but expect_status is a failure; a matching 404 is not.
    assert failing["endpoints"]["missing"]["failures"] == failing["endpoints"]["missing"]["requests"] > 0
    assert failing["endpoints"]["created"]["failures"] == 0 and failing["endpoints"]["created"]["requests"] > 0
    assert failing["failures"] == failing["endpoints"]["missing"]["requests"]
    (error,) = failing["request_errors"]
    assert (error["name"], error["status"], error["error"]) == ("missing", 200, "status 200, expected 201")
    assert error["occurrences"] == failing["failures"]
    assert "errors" not in [flag["kind"] for flag in failing["flags"]]


def test_own_locustfile_gets_the_measured_window(tmp_path: Path) -> None:
    own_locustfile(tmp_path / "own.py", "own-fast", 0.1)
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          u: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - {name: own, users: 1, warmup: 0.5s, duration: 1.5s, locustfile: own.py}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 0, done.stderr
    (run,) = read_json(out / "results.json")["runs"]
    assert set(run["endpoints"]) == {"own-fast"}
    assert 12 <= run["requests"] <= 16, run["requests"]  # ~10 per second for 1.5 s
    assert run["elapsed_s"] == pytest.approx(1.5, rel=0.15)


def test_relative_output_folder_and_app_dir(tmp_path: Path, repo: Path) -> None:
    from perfsuite.run.process import free_port

    port = free_port()
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          u:
            server: uvicorn
            app: apps.asgi_app:app
            app_dir: {repo}
            host: 0.0.0.0
            port: {port}
            args: [--header, "x-probe:$(touch {tmp_path}/by-shell)"]
            env: {{PROBE: "`touch {tmp_path}/by-shell`"}}
        scenarios:
          - {{name: quick, users: 1, warmup: 0.3s, duration: 1s, mix: [{{name: slow, path: /slow?delay_ms=100}}]}}
        """,
    )
    summary = tmp_path / "step_summary.md"
    summary.write_text("# earlier step\n")
    done = run_cli(str(scenario), "--out", "relative/out", cwd=tmp_path, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0, done.stderr
    out = tmp_path / "relative" / "out"
    (run,) = read_json(out / "results.json")["runs"]
    assert run["status"] == "ok" and run["requests"] > 0
    # host: and port: as asked; a wildcard bind is reached on loopback.
    assert " --host 0.0.0.0 --port " + str(port) in " ".join(run["server_argv"])
    # No shell anywhere: argv and environment reached the server as written, and are recorded so.
    assert f"x-probe:$(touch {tmp_path}/by-shell)" in run["server_argv"]
    assert run["server_env"]["PROBE"] == f"`touch {tmp_path}/by-shell`"
    assert not (tmp_path / "by-shell").exists()
    # CI: report.md is appended to the job summary.
    assert summary.read_text() == "# earlier step\n" + (out / "report.md").read_text() + "\n"
    # `report DIR` rebuilds both reports from DIR alone, byte for byte.
    written = {name: (out / name).read_bytes() for name in ("report.md", "report.html")}
    for name in written:
        (out / name).unlink()
    rebuilt = run_cli("report", str(out))
    assert rebuilt.returncode == 0, rebuilt.stderr
    for name, content in written.items():
        assert (out / name).read_bytes() == content, name


BAD_FILE = """\
servers:
  g0: {server: gunicorn, app: apps.wsgi_app:app, workers: 0}
  g1: {server: gunicorn, app: apps.wsgi_app:app, workers: -1}
  g4: {server: gunicorn, app: apps.wsgi_app:app, workers: "four"}
  ev: {server: gunicorn, app: apps.wsgi_app:app, worker_class: eventlet}
  uv: {server: uvicron, app: apps.asgi_app:app}
  pa: {server: uvicorn, app: apps/asgi_app.py}
  ad: {server: uvicorn, app: apps.asgi_app:app, app_dir: nowhere}
  fi: {server: gunicorn, app: apps.asgi_app:app, app_dir: REPO}
scenarios:
  - {name: a, duration: 10x, users: 0, servers: [g9], mix: []}
  - name: a
    users: 10000000
    mix: [{name: f, path: /f, weight: -1}]
    warmpu: 1s
"""


def test_invalid_file_exits_2_and_starts_nothing(tmp_path: Path, repo: Path) -> None:
    scenario = write_scenario(tmp_path, BAD_FILE.replace("REPO", str(repo)))
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    expected = [
        "2: servers.g0.workers: must be an integer >= 1, got 0",
        "3: servers.g1.workers: must be an integer >= 1, got -1",
        "4: servers.g4.workers: must be an integer, got 'four'",
        "5: servers.ev.worker_class: must be one of 'sync', 'gthread', 'gevent', 'uvicorn' or 'asgi', got 'eventlet'"
        " (did you mean 'gevent'?)",
        "6: servers.uv.server: must be one of 'gunicorn', 'uvicorn', 'granian', 'hypercorn' or 'external', got"
        " 'uvicron' (did you mean 'uvicorn'?)",
        "7: servers.pa.app: must look like module.path:attribute (e.g. apps.wsgi_app:app), or module.path:function() for a factory, got 'apps/asgi_app.py'",
        # checks across fields, beside the format errors: every problem at once
        "8: servers.ad.app_dir: directory 'nowhere' does not exist",
        "9: servers.fi.server: gunicorn's sync worker serves WSGI, but apps.asgi_app:app is ASGI",
        "11: scenarios.0.users: must be an integer >= 1, got 0",
        "11: scenarios.0.duration: must be a duration such as 20s, 500ms or 2m, got '10x'",
        "11: scenarios.0.mix: must not be empty",
        "13: scenarios.1.users: must be <= 100000, got 10000000",
        "14: scenarios.1.mix.0.weight: must be an integer >= 0, got -1",
        "15: scenarios.1.warmpu: unknown field (did you mean 'warmup'?)",
    ]
    lines = done.stderr.splitlines()
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(f"error: {scenario}:{start}"), (line, start)
    assert not out.exists()  # nothing was started: a run makes its folder first
    # With the field errors fixed, the checks that need the whole file speak.
    write_scenario(
        tmp_path,
        f"""\
        servers:
          ad: {{server: uvicorn, app: apps.asgi_app:app, app_dir: nowhere}}
          fi: {{server: gunicorn, app: apps.asgi_app:app, app_dir: {repo}}}
        scenarios:
          - {{name: a, servers: [g9], mix: [{{name: f, path: /f}}]}}
          - {{name: a, mix: [{{name: f, path: /f}}]}}
        """,
    )
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 2 and not out.exists()
    assert [line.split(" (")[0] for line in done.stderr.splitlines()] == [
        f"error: {scenario}:2: servers.ad.app_dir: directory 'nowhere' does not exist",
        f"error: {scenario}:3: servers.fi.server: gunicorn's sync worker serves WSGI, but apps.asgi_app:app is ASGI",
        f"error: {scenario}:5: scenarios.0.servers.0: unknown server 'g9'",
        f"error: {scenario}:6: scenarios.1.name: duplicate scenario name 'a'",
    ]
    # YAML that does not parse stops at the first error, with its line.
    write_scenario(tmp_path, "servers:\n  a: {server: gunicorn\nscenarios: []\n")
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 2 and not out.exists()
    assert done.stderr.startswith(f"error: {scenario}:3: YAML error:"), done.stderr


def test_an_external_target(tmp_path: Path, repo: Path) -> None:
    # A server the suite does not start: the test starts it and points the suite at it.
    import os

    from perfsuite.run.process import ManagedProcess, free_port

    port = free_port()
    server = ManagedProcess(
        "external",
        [sys.executable, "-m", "uvicorn", "apps.asgi_app:app", "--port", str(port), "--no-access-log"],
        log_path=tmp_path / "external.log",
        env={**os.environ, "PYTHONPATH": str(repo)},
        cwd=repo,
    )
    server.start()
    try:
        server.wait_ready(f"http://127.0.0.1:{port}/", 30)
        scenario = write_scenario(
            tmp_path,
            f"""\
            servers:
              remote: {{server: external, url: "http://127.0.0.1:{port}"}}
            scenarios:
              - {{name: paced, users: 2, warmup: 0.3s, duration: 1s, mix: [{{name: slow, path: /slow?delay_ms=100}}]}}
            """,
        )
        out = tmp_path / "out"
        done = run_cli(str(scenario), "--out", str(out))
        assert done.returncode == 0, done.stderr
        (run,) = read_json(out / "results.json")["runs"]
        assert run["status"] == "ok" and run["rps"] == pytest.approx(20, rel=0.2)
        assert run["server_resources"] is None and run["server_argv"] == []
        assert run["model"] == {
            "applies": False,
            "why_not": "external server: the suite does not know its config; declare slots: to model it",
        }
        assert server.poll() is None, "the suite must leave an external server alone"
        assert (
            "not sampled for remote: external servers are not started by the suite" in (out / "report.md").read_text()
        )
    finally:
        server.stop()


def test_external_needs_a_url(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path, "servers:\n  r: {server: external, app: a:b}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n"
    )
    done = run_cli("validate", str(scenario))
    assert done.returncode == 2
    assert "servers.r: server: external needs url:" in done.stderr
    assert "servers.r.app: does not apply to server: external" in done.stderr


def test_the_callers_environment_does_not_change_the_server(tmp_path: Path) -> None:
    # Exported, --max-requests 20 would recycle the one sync worker mid-run (a
    # lost worker: the run fails); WEB_CONCURRENCY would make it 3 workers.
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          g: {server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 1, env: {APP_FLAVOUR: plain}}
        scenarios:
          - {name: s, users: 2, warmup: 0.3s, duration: 1.5s, mix: [{name: slow, path: /slow?delay_ms=20}]}
        """,
    )
    out = tmp_path / "out"
    leaks = {"GUNICORN_CMD_ARGS": "--max-requests 20", "WEB_CONCURRENCY": "3", "PYTHONPATH": "/nowhere"}
    done = run_cli(str(scenario), "--out", str(out), "--no-history", env=leaks)
    assert done.returncode == 0, done.stderr
    (run,) = read_json(out / "results.json")["runs"]
    assert run["status"] == "ok" and run["requests"] > 40 and run["failures"] == 0
    assert run["server_resources"]["workers"] == 1
    server = run["child_env"]["server"]
    assert server["set_by_suite"]["APP_FLAVOUR"] == "plain" and "PERFSUITE_TOKEN" in server["set_by_suite"]
    assert server["set_by_suite"]["PYTHONPATH"] == str(REPO)  # the app's folder, not the caller's
    given = {*server["inherited"], *server["set_by_suite"]}
    assert "PATH" in server["inherited"] and not {"GUNICORN_CMD_ARGS", "WEB_CONCURRENCY"} & given
    assert set(run["child_env"]) == {"server", "loadgen"}
    assert run["server_env"] == server["set_by_suite"]


def test_sub_millisecond_percentiles_in_every_mode(tmp_path: Path) -> None:
    """Locust buckets whole milliseconds below 100 ms (p50 = 0 for /fast); the
    suite's buckets keep 3 significant figures, on Locust's workers too."""
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          u: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - {name: one, users: 1, warmup: 0, duration: 1s, mix: [{path: /fast}]}
          - {name: workers, users: 2, warmup: 0, duration: 1s, loadgen: {processes: 2}, mix: [{path: /fast}]}
          - {name: burst, mode: burst, order: [sequential], mix: [{path: /fast, count: 50}]}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history")
    assert done.returncode in (0, 3), done.stderr
    for run in read_json(out / "results.json")["runs"]:
        p50 = run["latency_ms"]["p50"]
        assert 0 < p50 < 5, (run["scenario"], p50)
        keys = [float(k) for k in run["endpoints"]["/fast"]["histogram"]]
        assert any(not k.is_integer() for k in keys), (run["scenario"], keys)  # finer than whole ms
        assert sum(run["endpoints"]["/fast"]["histogram"].values()) == run["requests"]
