"""Deploy day under load, with real servers: a worker killed, a reload, scaling
and recycling, measured across each event. The suite's accounting is held to
an oracle: an app the suite has never seen that logs every request it answers."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from tests.conftest import read_json, run_cli, write_scenario

ORACLE_WSGI = """\
import os
import time


def app(environ, start_response):
    time.sleep(0.2)
    line = f"{time.time():.6f} {os.getpid()}\\n".encode()
    fd = os.open(os.environ["ORACLE_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, line)
    os.close(fd)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""

ORACLE_ASGI = """\
import asyncio
import os
import time


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await asyncio.sleep(0.2)
    line = f"{time.time():.6f} {os.getpid()}\\n".encode()
    fd = os.open(os.environ["ORACLE_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, line)
    os.close(fd)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
"""


def oracle_scenario(tmp_path: Path, servers: str, scenarios: str) -> Path:
    (tmp_path / "oracle").mkdir()
    (tmp_path / "oracle" / "oracle_wsgi.py").write_text(ORACLE_WSGI)
    (tmp_path / "oracle" / "oracle_asgi.py").write_text(ORACLE_ASGI)
    return write_scenario(tmp_path, f"servers:\n{servers}\nscenarios:\n{scenarios}")


def requests_of(run_dir: Path) -> list[tuple[float, float, str]]:
    """(start, end, error) of every request Locust logged."""
    with open(run_dir / "requests.csv", encoding="utf-8") as file:
        return [
            (float(r["start"]), float(r["start"]) + float(r["ms"]) / 1000, r["error"]) for r in csv.DictReader(file)
        ]


def answered_by_oracle(log: Path) -> list[float]:
    return sorted(float(line.split()[0]) for line in log.read_text().splitlines())


def holds_the_oracles_account(run_dir: Path, oracle: Path) -> tuple[int, int, int]:
    """Up to a second before the window's end (past it, Locust stops its users with requests in flight):
    every request the client got an answer to, the app answered; every one the app answered, the client
    got, or saw fail. Returns (answered as the client saw, failed, answered as the app logged)."""
    requests = requests_of(run_dir)
    timing = read_json(run_dir / "timing.json")
    first, until = min(start for start, _, _ in requests), timing["measure_end"] - 1.0
    ok = sum(1 for _, end, error in requests if not error and end <= until)
    failed = sum(1 for _, end, error in requests if error and end <= until)
    # The app logs just before it answers: a millisecond ahead of the client; the probe's requests came earlier.
    logged = [t for t in answered_by_oracle(oracle) if first <= t <= until]
    assert ok - 2 <= len(logged) <= ok + failed + 2, (ok, failed, len(logged))
    return ok, failed, len(logged)


def event_holds_the_oracles_account(run_dir: Path, oracle: Path, events: list[dict[str, Any]], index: int) -> None:
    """From an event to the next (or the window's end): the failures the suite attributes to it are the
    client's failed requests, and the app answered every request the client saw answered, give or take
    the millisecond between the app's log and the client's receipt."""
    requests = requests_of(run_dir)
    timing = read_json(run_dir / "timing.json")
    at = timing["measure_start"] + events[index]["at_s"]
    until = timing["measure_start"] + events[index + 1]["at_s"] if index + 1 < len(events) else timing["measure_end"]
    until = min(until, timing["measure_end"] - 1.0)  # past it, Locust stops its users mid-request
    failed = sum(1 for _, end, error in requests if error and at <= end < until)
    ok = sum(1 for _, end, error in requests if not error and at <= end < until)
    answered = sum(1 for t in answered_by_oracle(oracle) if at <= t < until)
    assert abs(events[index]["failed"]["count"] - failed) <= 1, (events[index]["failed"], failed)
    assert abs(answered - ok) <= 2, (answered, ok)


def by_do(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {event["do"]: event for event in run["events"]}


def test_a_worker_killed_then_a_reload_of_gunicorn_sync(tmp_path: Path) -> None:
    oracle = tmp_path / "answered.log"
    path = oracle_scenario(
        tmp_path,
        f"  sync-2: {{server: gunicorn, app: oracle_wsgi:app, app_dir: oracle, worker_class: sync, workers: 2,"
        f" env: {{ORACLE_LOG: '{oracle}'}}}}",
        """\
  - name: deploy
    users: 10
    warmup: 1s
    duration: 9s
    mix: [{path: /work}]
    events:
      - {at: 3s, do: kill_worker}
      - {at: 6s, do: reload}
    max_failed_per_event: 0
""",
    )
    out = tmp_path / "out"
    done = run_cli(str(path), "--out", str(out), "--no-history", timeout=240)
    run = read_json(out / "results.json")["runs"][0]
    assert run["status"] == "ok", run["error"]
    kill, reload = by_do(run)["kill_worker"], by_do(run)["reload"]

    # A sync worker holds one request: that one fails, named, and no other.
    assert kill["failed"]["count"] == 1 and kill["in_flight"]["failed"] == 1, kill
    assert set(kill["failed"]["errors"]) <= {"disconnected", "connection reset"}, kill["failed"]
    assert kill["seed"] is not None and kill["killed"] in kill["workers_before"]
    assert 2.9 <= kill["at_s"] <= 3.5 and 5.9 <= reload["at_s"] <= 6.5
    # The arbiter's replacement is watched, and sampled like the others.
    new = set(kill["workers_after"]) - set(kill["workers_before"])
    assert len(new) == 1 and len(kill["workers_after"]) == 2, kill
    with open(out / run["run_dir"] / "resources.csv", encoding="utf-8") as file:
        sampled = {int(row["pid"]) for row in csv.DictReader(file) if row["role"] == "server"}
    assert new <= sampled
    assert kill["recovered_s"] is not None and kill["rps_before"] > 8

    # A reload replaces every worker.
    assert not set(reload["workers_after"]) & set(reload["workers_before"]) and len(reload["workers_after"]) == 2
    assert run["timeline"] and max(p["workers"] or 0 for p in run["timeline"]) >= 2

    holds_the_oracles_account(out / run["run_dir"], oracle)
    for index in range(2):
        event_holds_the_oracles_account(out / run["run_dir"], oracle, run["events"], index)
    # max_failed_per_event: 0, and the kill failed one: exit 1, the event named.
    assert done.returncode == 1, done.stderr
    assert "kill_worker at 3." in done.stderr and "1 failed requests" in done.stderr
    assert [flag["kind"] for flag in run["flags"]] == ["event_failed"], run["flags"]
    report = (out / "report.md").read_text()
    assert "| sync-2 | 10 | kill_worker at 3." in report and "reload at 6." in report


def test_a_rolling_reload_of_uvicorn_with_two_workers(tmp_path: Path) -> None:
    oracle = tmp_path / "answered.log"
    path = oracle_scenario(
        tmp_path,
        f"  uvicorn-2: {{server: uvicorn, app: oracle_asgi:app, app_dir: oracle, workers: 2,"
        f" env: {{ORACLE_LOG: '{oracle}'}}}}",
        """\
  - name: reload
    users: 10
    warmup: 1s
    duration: 7s
    mix: [{path: /work}]
    events: [{at: 3s, do: reload}]
    max_failed_per_event: 1000
""",
    )
    out = tmp_path / "out"
    done = run_cli(str(path), "--out", str(out), "--no-history", timeout=240)
    run = read_json(out / "results.json")["runs"][0]
    assert run["status"] == "ok", run["error"]
    reload = run["events"][0]
    assert not set(reload["workers_after"]) & set(reload["workers_before"]), reload
    assert reload["requests_before"] > 100 and reload["p99_before_ms"] >= 200
    ok, _, _ = holds_the_oracles_account(out / run["run_dir"], oracle)
    assert ok > 200
    event_holds_the_oracles_account(out / run["run_dir"], oracle, run["events"], 0)
    assert done.returncode == 0, done.stderr


def test_scaling_up_and_recycling_workers_on_the_suites_app(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        """\
        servers:
          sync-2: {server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 2}
          recycled: {server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 2, max_requests: 200,
                     max_requests_jitter: 50}
        scenarios:
          - name: scale
            servers: [sync-2]
            users: 10
            warmup: 1s
            duration: 8s
            mix: [{path: "/slow?delay_ms=200"}]
            events: [{at: 4s, do: scale, workers: +2}]
            recover_within: 3s
          - name: recycle
            servers: [recycled]
            users: 10
            warmup: 1s
            duration: 8s
            mix: [{path: "/slow?delay_ms=20"}]
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(path), "--out", str(out), "--no-history", timeout=240)
    runs = {run["scenario"]: run for run in read_json(out / "results.json")["runs"]}
    scale = runs["scale"]
    assert scale["status"] == "ok", scale["error"]
    event = scale["events"][0]
    assert len(event["workers_after"]) == 4 and set(event["workers_before"]) < set(event["workers_after"])
    # Four sync workers take twice the requests of two, by the model and as measured.
    assert 1.9 <= event["model_rps_after"] / event["model_rps_before"] <= 2.1, event
    assert event["rps_after"] >= 1.6 * event["rps_before"], event
    assert 0.85 <= event["rps_after"] / event["model_rps_after"] <= 1.15, event
    model = scale["model"]
    assert model["applies"] and abs(model["ratio"] - 1) <= model["tolerance"], model  # the model follows the workers
    assert event["failed"]["count"] == 0 and event["ok"] is True

    recycle = runs["recycle"]
    assert recycle["status"] == "ok", recycle["error"]
    recycled = recycle["recycling"]
    assert recycled["count"] >= 1 and recycled["requests_near"] > 0, recycled
    assert recycled["p99_near_ms"] is not None and recycled["p99_else_ms"] is not None
    assert all(0 <= t < 8 for t in recycled["at_s"])
    assert done.returncode == 0, done.stderr
    assert "Recycling:" in (out / "report.md").read_text()


def test_an_event_a_server_cannot_do_is_exit_2_before_anything_starts(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        """\
        servers:
          hypercorn: {server: hypercorn, app: apps.asgi_app:app, workers: 2}
          granian: {server: granian, app: apps.asgi_app:app, workers: 2}
          uvicorn-1: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - name: deploy
            mix: [{path: /fast}]
            events:
              - {at: 1s, do: kill_worker}
              - {at: 2s, do: scale, workers: +1}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(path), "--out", str(out), "--no-history", timeout=60)
    assert done.returncode == 2, done.stderr
    assert "suite.yaml:9: scenarios.0.events.0.do: server 'hypercorn': hypercorn stops the whole server" in done.stderr
    assert "server 'granian': granian has no signal to add or remove workers" in done.stderr
    assert "server 'uvicorn-1': uvicorn with one worker has no manager" in done.stderr
    assert "Traceback" not in done.stderr and not (out / "runs").exists()
