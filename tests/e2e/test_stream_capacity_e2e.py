"""connections: auto on an app the suite has never seen, whose stream burns CPU
for each event: an event loop holds streams until its core is the bound (new
streams wait for their first event, or the gaps grow past the objective); two
sync workers hold two."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import read_json, run_cli, write_scenario

APP = """\
import asyncio
import time


def burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def event(i):
    burn(BURN_S)
    return f"data: {i}\\n\\n".encode()


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    for i in range(EVENTS):
        if i:
            await asyncio.sleep(GAP_S)
        await send({"type": "http.response.body", "body": event(i), "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def wsgi(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/event-stream")])

    def events():
        for i in range(EVENTS):
            if i:
                time.sleep(GAP_S)
            yield event(i)

    return events()


EVENTS = 5
GAP_S = 0.1
BURN_S = 0.008  # 8 ms of CPU an event: a core serves about 125 events a second, 12 streams of 10 a second
"""


def test_the_most_streams_each_config_holds_within_its_objective(tmp_path: Path) -> None:
    (tmp_path / "burn").mkdir()
    (tmp_path / "burn" / "burn_app.py").write_text(APP)
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {warmup: 1s, duration: 2s}
        servers:
          loop: {server: uvicorn, app: burn_app:app, app_dir: burn}
          sync-2: {server: gunicorn, app: burn_app:wsgi, app_dir: burn, workers: 2}
        scenarios:
          - name: held
            mode: stream
            connections: auto
            capacity: {gap_p99_ms: "< 250"}
            stream: {path: /events, interval: 100ms}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history", timeout=400)
    assert done.returncode == 0, done.stderr
    results = read_json(out / "results.json")
    found = {c["server"]: c for c in results["capacity"]}
    sync, loop = found["sync-2"], found["loop"]
    assert sync["of"] == loop["of"] == "connections" and sync["rps"] is None

    # Two sync workers hold two streams at once: three leave one waiting.
    assert sync["connections"] == 2 and sync["model_connections"] == 2 and sync["converged"]
    assert any(not s["ok"] and "held 2 of" in s["why"] for s in sync["steps"])

    # The event loop holds more, until its one core is the bound: the bracket is one connection wide.
    assert loop["converged"] and loop["bound"] == "server", loop["steps"]
    assert 4 <= loop["connections"] <= 30, loop["steps"]
    above = [s for s in loop["steps"] if s["connections"] == loop["connections"] + 1]
    assert above and not above[0]["ok"], loop["steps"]
    assert "held" in above[0]["why"] or "gap_p99_ms" in above[0]["why"]
    assert all(s["connections"] == int(s["rate"]) for s in loop["steps"])
    runs = [r for r in results["runs"] if r["server"] == "loop"]
    assert len(runs) == len(loop["steps"]) and all(r["search"] for r in runs)

    report = (out / "report.md").read_text()
    assert "Holds at once: loop " in report and "sync-2 2" in report
    assert "| Server | Holds at once | Model (slots) |" in report
