"""Input that once crashed a suite at run time, run for real on an app the
suite has never seen: each now runs or is refused before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import read_json, run_cli, write_scenario

pytestmark = pytest.mark.integration

ECHO = """\
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-size", str(size).encode())]})
    await send({"type": "http.response.body", "body": str(size).encode()})
"""


def test_a_mix_larger_than_an_argument_may_be_reaches_locust(tmp_path: Path) -> None:
    """A 300 KB JSON body: the mix travels in a file (the kernel caps one argument at 128 KB)."""
    (tmp_path / "echo.py").write_text(ECHO)
    body = "x" * 300_000
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          u: {{server: uvicorn, app: echo:app, interface: asgi, app_dir: .}}
        scenarios:
          - name: big
            users: 1
            warmup: 0
            duration: 1s
            mix:
              - {{path: "/orders?id=1", method: POST, json: {{blob: "{body}"}}}}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history")
    assert done.returncode == 0, done.stderr[-3000:]
    (run,) = read_json(out / "results.json")["runs"]
    assert run["status"] == "ok" and run["failures"] == 0 and run["requests"] > 0
    assert list(run["endpoints"]) == ["POST /orders?id=1"]  # named by its method and path
    assert len((out / run["run_dir"] / "mix.json").read_text()) > 300_000


def test_the_declared_server_is_the_measured_server(tmp_path: Path) -> None:
    """A gunicorn.conf.py beside the app is not read, and every config runs
    exactly the workers it declares (multiprocessing's helpers are not workers)."""
    (tmp_path / "echo.py").write_text(ECHO + "\n\ndef wsgi(environ, start_response):\n"
                                      "    start_response('200 OK', [])\n    return [b'ok']\n")  # fmt: skip
    marker = tmp_path / "conf-was-read"
    (tmp_path / "gunicorn.conf.py").write_text(
        f"workers = 3\nthreads = 4\nworker_class = 'gthread'\n"
        f"def on_starting(server):\n    open({str(marker)!r}, 'w').close()\n"
    )
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          gunicorn-sync: {server: gunicorn, app: echo:wsgi, worker_class: sync, workers: 1, app_dir: .}
          hypercorn-1:   {server: hypercorn, app: echo:app, workers: 1, app_dir: .}
          uvicorn-2:     {server: uvicorn, app: echo:app, interface: asgi, workers: 2, app_dir: .}
        scenarios:
          - {name: plain, users: 2, warmup: 0.5s, duration: 1s, mix: [{path: /}]}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history")
    assert done.returncode in (0, 3), done.stderr[-3000:]
    runs = {run["server"]: run for run in read_json(out / "results.json")["runs"]}
    assert {name: run["server_resources"]["workers"] for name, run in runs.items()} == {
        "gunicorn-sync": 1,
        "hypercorn-1": 1,
        "uvicorn-2": 2,
    }
    log = (out / runs["gunicorn-sync"]["run_dir"] / "server.log").read_text()
    assert "Using worker: sync" in log and log.count("Booting worker") == 1
    assert not marker.exists()


def test_args_may_not_override_a_declared_field(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          g: {server: gunicorn, app: apps.wsgi_app:app, workers: 1, args: [--timeout, "5", --workers, "3"]}
        scenarios:
          - {name: s, mix: [{path: /fast}]}
        """,
    )
    done = run_cli(str(scenario), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert (
        "suite.yaml:2: servers.g.args.2: '--workers' would override what the suite sets (--workers); declare workers:"
        in (done.stderr)
    )
    assert not (tmp_path / "out").exists()


FACTORIES = """\
import os
from pathlib import Path

CALLS = Path(__file__).with_name("calls")


def _called(kind):
    CALLS.mkdir(exist_ok=True)
    (CALLS / f"{kind}-{os.getpid()}").touch()


def make_wsgi():
    _called("wsgi")

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"made"]

    return app


def make_asgi():
    _called("asgi")

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"made"})

    return app
"""


def test_app_factories_run_on_every_server_kind(tmp_path: Path) -> None:
    (tmp_path / "factories.py").write_text(FACTORIES)
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          gunicorn-2: {server: gunicorn, app: "factories:make_wsgi()", workers: 2, app_dir: .}
          uvicorn:    {server: uvicorn, app: "factories:make_asgi()", app_dir: .}
          granian:    {server: granian, app: "factories:make_asgi()", app_dir: .}
          hypercorn:  {server: hypercorn, app: "factories:make_asgi()", app_dir: .}
        scenarios:
          - {name: made, users: 1, warmup: 0, duration: 0.5s, mix: [{path: /}]}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history")
    assert done.returncode in (0, 3), done.stderr[-3000:]
    runs = read_json(out / "results.json")["runs"]
    assert {run["server"]: (run["status"], run["failures"]) for run in runs} == {
        name: ("ok", 0) for name in ("gunicorn-2", "uvicorn", "granian", "hypercorn")
    }
    assert all(run["requests"] > 0 for run in runs)
    calls = sorted(path.name.split("-")[0] for path in (tmp_path / "calls").iterdir())
    assert calls.count("wsgi") == 2  # once per gunicorn worker
    assert calls.count("asgi") >= 3
