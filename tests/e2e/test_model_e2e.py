"""The model on apps it has never seen: service times from the probe, slots
from each server's threads and each framework's pool, and capacity searched
and predicted. Real servers, real Locust; ratios and tolerances of the issue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, read_json, run_cli, write_scenario

# Named like nothing the suite knows: only the probe can tell how long a request takes.
LEDGER = """\
import asyncio
import time

WAIT_S = float({wait})


def wsgi(environ, start_response):
    time.sleep(WAIT_S)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"entry"]


async def asgi(scope, receive, send):
    if scope["type"] != "http":
        return
    await asyncio.sleep(WAIT_S)
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b"entry"}})
"""

REPORTS = """\
import time

from fastapi import FastAPI

api = FastAPI()


@api.get("/totals/{day}")
def totals(day: str):
    time.sleep(0.2)
    return {"day": day, "total": 42}
"""


# A Django project in one file, named like nothing the suite knows: a view that waits and reads SQLite.
PANTRY = """\
import os
import sqlite3
import time

from django.conf import settings

DB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pantry.sqlite3")
settings.configure(
    DEBUG=False, SECRET_KEY="test", ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], MIDDLEWARE=[], INSTALLED_APPS=[],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB}},
)
from django.db import connection
from django.http import JsonResponse
from django.urls import path


def bin_(request, name):
    time.sleep(0.030)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM jars WHERE bin = %s", [name])
        return JsonResponse({"bin": name, "jars": cursor.fetchone()[0]})


urlpatterns = [path("bins/<str:name>", bin_)]
with sqlite3.connect(DB) as db:
    db.execute("CREATE TABLE IF NOT EXISTS jars (bin TEXT)")
    db.executemany("INSERT INTO jars VALUES (?)", [(f"b{i % 10}",) for i in range(500)])

from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

asgi = get_asgi_application()
wsgi = get_wsgi_application()
"""


def runs_by_server(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["server"]: run for run in results["runs"]}


def passed_runs(tmp_path: Path, scenario: Path) -> dict[str, dict[str, Any]]:
    """The suite run on `scenario` (exit 0), its runs by server."""
    done = run_cli(str(scenario), "--out", str(tmp_path / "out"), "--no-history")
    assert done.returncode == 0, done.stderr
    return runs_by_server(read_json(tmp_path / "out" / "results.json"))


def test_a_probed_service_time_predicts_a_sync_worker_and_an_event_loop(tmp_path: Path) -> None:
    (tmp_path / "ledger.py").write_text(LEDGER.format(wait=0.025))
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {users: 8, warmup: 1s, duration: 3s}
        servers:
          sync-1:         {server: gunicorn, app: ledger:wsgi, app_dir: .}
          uvicorn-1:      {server: uvicorn, app: ledger:asgi, app_dir: .}
          gunicorn-asgi:  {server: gunicorn, worker_class: asgi, app: ledger:asgi, app_dir: .}
          granian-wsgi-2: {server: granian, interface: wsgi, blocking_threads: 2, app: ledger:wsgi, app_dir: .}
        scenarios:
          - name: lookup
            mix: [{name: lookup, path: /ledger/lookup?id=7}]
        """,
    )
    runs = passed_runs(tmp_path, scenario)
    # gunicorn's own asgi worker is an event loop per worker; granian's WSGI interface, 2 blocking threads.
    wanted_rps = (("sync-1", 40.0), ("uvicorn-1", 320.0), ("gunicorn-asgi", 320.0), ("granian-wsgi-2", 80.0))
    assert "--worker-class" in runs["gunicorn-asgi"]["server_argv"] and "asgi" in runs["gunicorn-asgi"]["server_argv"]
    assert runs["granian-wsgi-2"]["model"]["slots"] == 2
    for server, wanted in wanted_rps:
        run = runs[server]
        model, probe = run["model"], run["probe"]["entries"]["lookup"]
        assert model["applies"] and model["service_source"] == "probe", model
        assert 25.0 <= probe["service_ms"] < 25.0 * 1.2 and probe["samples"] >= 3  # the sleep, plus a little
        assert model["expected_rps"] == pytest.approx(wanted, rel=0.10), server
        assert run["rps"] == pytest.approx(wanted, rel=0.10), server
        assert abs(model["ratio"] - 1) <= 0.10
    assert runs["sync-1"]["model"]["slots_source"] == "gunicorn sync: one request per worker"
    report = (tmp_path / "out" / "report.md").read_text()
    assert "Model from: sync-1: gunicorn sync: one request per worker; service 2" in report
    # The queue: 8 users, one request at a time, so about 7 wait for the worker, in the kernel's accept
    # queue, where the report sets them beside the model's; an event loop reads them all: unseen.
    sync, loop = runs["sync-1"], runs["uvicorn-1"]
    assert sync["model"]["waiting"] == pytest.approx(7, abs=0.5)
    assert sync["queue"]["unseen"] is None and sync["queue"]["samples"] >= 8
    assert sync["queue"]["mean"] == pytest.approx(sync["model"]["waiting"], rel=0.3), sync["queue"]
    assert loop["queue"]["unseen"] and "reads each request as it arrives" in loop["queue"]["unseen"]
    assert "waiting" not in loop["model"]  # no slot limit: nothing waits for one
    assert "| Server | Level | Waiting (model) | In the kernel: mean |" in report
    assert "| uvicorn-1 | 8 | none (no slot limit) |" in report and "unseen: it reads" in report


def test_a_capacity_search_finds_a_sync_workers_limit_and_an_event_loops_far_higher(tmp_path: Path) -> None:
    (tmp_path / "ledger.py").write_text(LEDGER.format(wait=0.1))
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {warmup: 0.5s, duration: 3s}
        servers:
          sync-1:    {server: gunicorn, app: ledger:wsgi, app_dir: .}
          uvicorn-1: {server: uvicorn, app: ledger:asgi, app_dir: .}
        scenarios:
          - name: hold
            mode: open
            rate: auto
            capacity: {p99_ms: "< 400"}
            mix: [{path: /orders/hold}]
        """,
    )
    done = run_cli(str(scenario), "--out", str(tmp_path / "out"), "--no-history", timeout=400)
    assert done.returncode == 0, done.stderr
    results = read_json(tmp_path / "out" / "results.json")
    found = {c["server"]: c for c in results["capacity"]}
    sync, loop = found["sync-1"], found["uvicorn-1"]
    assert sync["criterion"] == "p99_ms < 400" and sync["bound"] == "server"
    assert sync["rps"] == pytest.approx(10.0, rel=0.25), sync["steps"]
    assert sync["model_rps"] == pytest.approx(10.0, rel=0.15)
    assert 2 <= len(sync["steps"]) <= 8 and any(not step["ok"] for step in sync["steps"])
    assert all(step["p99_ms"] < 400 for step in sync["steps"] if step["ok"])
    assert loop["bound"] == "loadgen" or loop["rps"] >= 5 * sync["rps"], loop["steps"]
    assert loop["rps"] >= 5 * sync["rps"]
    # Every step is an open run in results.json; its flags do not make the suite inconclusive.
    steps = [run for run in results["runs"] if run["server"] == "sync-1"]
    assert [run["rate"] for run in steps] == [step["rate"] for step in sync["steps"]]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| Server | Capacity req/s | Model req/s |" in report
    assert f"| sync-1 | {sync['rps']:.2f} |" in report


def test_thread_pools_are_the_slots_of_hypercorn_wsgi_and_a_fastapi_def_route(tmp_path: Path) -> None:
    (tmp_path / "ledger.py").write_text(LEDGER.format(wait=0.1))
    (tmp_path / "reports.py").write_text(REPORTS)
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {warmup: 1s, duration: 3s}
        servers:
          hypercorn-wsgi: {server: hypercorn, app: ledger:wsgi, app_dir: .}
          fastapi-def:    {server: uvicorn, app: reports:api, app_dir: .}
        scenarios:
          - name: pool-wsgi
            servers: [hypercorn-wsgi]
            users: 16
            mix: [{path: /ledger/lookup}]
          - name: pool-def
            servers: [fastapi-def]
            users: 60
            mix: [{path: /totals/monday}]
        """,
    )
    runs = passed_runs(tmp_path, scenario)
    wsgi, fastapi = runs["hypercorn-wsgi"], runs["fastapi-def"]
    # Python 3.11-3.12: asyncio's executor has min(32, os.cpu_count() + 4) threads.
    threads = wsgi["model"]["slots"]
    assert "hypercorn WSGI" in wsgi["model"]["slots_source"] and 5 <= threads <= 32
    assert wsgi["model"]["expected_rps"] == pytest.approx(threads / 0.1, rel=0.10)
    assert abs(wsgi["model"]["ratio"] - 1) <= 0.10, wsgi["model"]
    assert fastapi["model"]["slots"] == 40 and "anyio" in fastapi["model"]["slots_source"]
    assert fastapi["model"]["expected_rps"] == pytest.approx(200, rel=0.10)
    assert fastapi["rps"] == pytest.approx(200, rel=0.10) and abs(fastapi["model"]["ratio"] - 1) <= 0.10


def test_django_under_asgi_is_modelled_on_the_rate_the_probe_measured_inside(tmp_path: Path) -> None:
    """Django under ASGI hands each request between the loop and a thread of its own, which costs
    time its CPU does not show: the probe measures the rate with 1, 2, 4, ... inside and at the
    scenario's users, and the model takes it. The same view under gthread is solved as before."""
    (tmp_path / "pantry.py").write_text(PANTRY)
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {warmup: 1s, duration: 3s}
        servers:
          django-asgi: {server: uvicorn, app: pantry:asgi, app_dir: .}
          django-wsgi: {server: gunicorn, app: pantry:wsgi, app_dir: ., worker_class: gthread, threads: 12}
        scenarios:
          - name: bins
            users: 12
            mix: [{path: /bins/b3}]
        """,
    )
    runs = passed_runs(tmp_path, scenario)
    asgi, wsgi = runs["django-asgi"], runs["django-wsgi"]
    inner = asgi["probe"]["inner"]
    assert [point["inside"] for point in inner] == [1, 2, 4, 8, 12]  # the ladder below the users, and the users
    assert all(point["failed"] == 0 and point["answered"] > 0 for point in inner)
    service_ms = asgi["probe"]["entries"]["/bins/b3"]["service_ms"]
    assert inner[0]["rps"] == pytest.approx(1000 / service_ms, rel=0.15)  # one inside: one request's time
    model = asgi["model"]
    assert (
        model["applies"]
        and "measured by the probe" in model["slots_source"]
        and "up to 12 inside" in model["slots_source"]
    )
    assert 0.9 * inner[-1]["rps"] <= model["expected_rps"] <= inner[-1]["rps"]  # its rate at 12, less Locust's own time
    assert abs(model["ratio"] - 1) <= 0.15, model
    assert (
        wsgi["probe"].get("inner") is None and wsgi["model"]["slots"] == 12 and abs(wsgi["model"]["ratio"] - 1) <= 0.10
    )


def test_the_catalog_example_runs_as_its_readme_says_and_the_model_agrees(tmp_path: Path) -> None:
    example = REPO / "examples" / "catalog" / "scenario.yaml"
    done = run_cli(str(example), "--out", str(tmp_path / "out"), "--no-history", timeout=400)
    assert done.returncode == 0, done.stderr
    results = read_json(tmp_path / "out" / "results.json")
    steady = [run for run in results["runs"] if run["scenario"] == "reports"]
    assert {run["server"] for run in steady} == {"uvicorn-1", "hypercorn-1"}
    for run in steady:
        assert run["model"]["applies"] and run["model"]["service_source"] == "probe"
        assert run["model"]["slots"] == 40
        assert abs(run["model"]["ratio"] - 1) <= 0.10, run["model"]
    for found in results["capacity"]:
        assert found["bound"] == "server" and found["model_rps"] == pytest.approx(200, rel=0.10)
        assert found["rps"] == pytest.approx(found["model_rps"], rel=0.25), found["steps"]
