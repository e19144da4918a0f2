"""mode: stream on an app the suite has never seen: its own event-stream route,
served by an event loop (uvicorn) and by two sync workers (gunicorn), real
Locust users holding the streams, short requests beside them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import read_json, run_cli, write_scenario

APP = """\
import asyncio
import time


def _event(i):
    return f"event: tick\\ndata: {i} {time.time():.6f}\\n\\n".encode()


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/ping":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"pong"})
        return
    kind = b"text/plain" if path == "/plain" else b"text/event-stream"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", kind)]})
    for i in range(EVENTS):
        if i:
            await asyncio.sleep(GAP_S)
        if path == "/dies" and i == 2:
            raise RuntimeError("the app gave up mid-stream")
        await send({"type": "http.response.body", "body": _event(i), "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def wsgi(environ, start_response):
    if environ["PATH_INFO"] == "/ping":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"pong"]
    start_response("200 OK", [("Content-Type", "text/event-stream")])

    def events():
        for i in range(EVENTS):
            if i:
                time.sleep(GAP_S)
            yield _event(i)

    return events()


EVENTS = 6
GAP_S = 0.1
"""


def scenario(tmp_path: Path) -> Path:
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "feed_app.py").write_text(APP)
    return write_scenario(
        tmp_path,
        """\
        defaults: {warmup: 1s, duration: 4s}
        servers:
          loop: {server: uvicorn, app: feed_app:app, app_dir: feed}
          sync-2: {server: gunicorn, app: feed_app:wsgi, app_dir: feed, workers: 2}
        scenarios:
          - name: feed
            mode: stream
            connections: 12
            stream: {path: /events, interval: 100ms}
            mix: [{name: ping, path: /ping}]
          - name: broken
            mode: stream
            servers: [loop]
            connections: 3
            stream: {path: /dies}
          - name: plain
            mode: stream
            servers: [loop]
            connections: 2
            stream: {path: /plain}
        """,
    )


def test_streams_held_by_an_event_loop_and_by_two_sync_workers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_cli(str(scenario(tmp_path)), "--out", str(out), "--no-history", timeout=300)
    results = read_json(out / "results.json")
    assert results["schema_version"] == 9
    runs = {(run["scenario"], run["server"]): run for run in results["runs"]}
    loop, sync = runs[("feed", "loop")], runs[("feed", "sync-2")]
    assert loop["status"] == sync["status"] == "ok", done.stderr
    assert loop["level"] == "connections=12" and loop["connections"] == 12 and loop["users"] == 13

    # The event loop holds every stream; its events come on time (a 100 ms gap, late by less than 50).
    s = loop["stream"]
    assert s["held"] == 12 and loop["model"]["expected_held"] == 12
    assert s["completed"] > 0 and s["failed"] == s["cut"] == 0
    assert 90 <= s["gap_ms"]["p50"] <= 130 and s["late_ms"]["p99"] < 50, s
    assert s["length_ms"]["p50"] >= 490 and s["ttfb_ms"]["p50"] < 50
    assert s["kb_per_connection"] is not None and s["memory_samples"][0][0] == 0
    assert abs(s["chunks_per_s"] / loop["model"]["expected_chunks_per_s"] - 1) < 0.15

    # Two sync workers hold two; the rest wait in line, whole streams at a time, as the model says.
    t = sync["stream"]
    assert t["held"] == 2 and sync["model"]["expected_held"] == 2
    assert sync["model"]["stream_length_ms"] >= 490
    assert abs(t["chunks_per_s"] / sync["model"]["expected_chunks_per_s"] - 1) < 0.2  # 2 held: few events
    wait, measured = sync["model"]["expected_ttfb_ms"], t["ttfb_mean_ms"]
    assert wait > 1000 and abs(measured / wait - 1) < 0.15, (measured, wait)
    assert t["ttfb_ms"]["max"] > 4 * t["length_ms"]["p50"]  # waited several streams' length
    assert not [f for f in sync["flags"] if f["kind"] == "model_mismatch"], sync["flags"]

    # The short requests beside: a sync worker held by streams answers them a stream's length late.
    fast_loop, fast_sync = loop["endpoints"]["ping"], sync["endpoints"]["ping"]
    assert fast_sync["latency_ms"]["p50"] > 10 * fast_loop["latency_ms"]["p50"], (fast_sync, fast_loop)
    # One user sends a ping every 50 ms: up to 80 in the window beside an event loop, at most the one in
    # flight as the window ends left unanswered; beside two held sync workers each waits for a stream
    # to end, so few are sent at all.
    assert s["beside_sent"] >= 30 and s["beside_unanswered"] <= 1, s
    # Every request beside is counted as sent (Locust once ran an inherited task beside the counted one):
    # answered in the window are those sent in it, less the unanswered, plus one sent in the warm-up.
    answered = fast_loop["requests"]
    assert s["beside_sent"] - s["beside_unanswered"] <= answered <= s["beside_sent"] + 1, (s, fast_loop)
    assert t["beside_sent"] < s["beside_sent"] / 4, (t, s)

    # A stream the app ends early is cut; one that is not an event stream failed; both are named.
    broken, plain = runs[("broken", "loop")], runs[("plain", "loop")]
    assert broken["stream"]["cut"] > 0 and broken["stream"]["completed"] == 0
    assert any(f["kind"] == "streams_cut" for f in broken["flags"])
    assert plain["stream"]["failed"] > 0 and plain["failures"] == plain["requests"] > 0
    assert any("not text/event-stream" in e["error"] for e in plain["request_errors"])
    assert done.returncode == 1, done.stderr  # failed streams are never all good: requests failed

    report = (out / "report.md").read_text()
    assert "## feed (stream)" in report and "| Held (model) |" in report
    assert "At 12 connections, streams held at once: loop 12" in report
    html = (out / "report.html").read_text()
    assert "connections held" in html and html.count("<svg") >= 1  # gaps and memory against streams held
