"""mode: websocket on an app the suite has never seen: its own echo route and a
hub that relays each message to every other connection, under uvicorn and
hypercorn, with real Locust users holding the connections."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import read_json, run_cli, write_scenario

APP = """\
import asyncio

HUB = set()


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    path = scope["path"]
    if path not in ("/chat", "/hub", "/flaky"):
        await send({"type": "websocket.close", "code": 1008})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    if path == "/hub":
        HUB.add(send)
    echoed = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if path == "/hub":
                for other in list(HUB):
                    if other is not send:
                        try:
                            await other({"type": "websocket.send", "text": text})
                        except Exception:
                            HUB.discard(other)
                continue
            echoed += 1
            if path == "/flaky" and echoed == 3:
                await send({"type": "websocket.close", "code": 1011})
                return
            await send({"type": "websocket.send", "text": text})
    finally:
        HUB.discard(send)
"""


def scenario(tmp_path: Path) -> Path:
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "live_app.py").write_text(APP)
    return write_scenario(
        tmp_path,
        """\
        defaults: {warmup: 1s, duration: 3s}
        servers:
          uvicorn: {server: uvicorn, app: live_app:app, app_dir: live}
          hypercorn: {server: hypercorn, app: live_app:app, app_dir: live}
        scenarios:
          - name: chat
            mode: websocket
            connections: 20
            websocket: {path: /chat, rate: 10}
          - name: hub
            mode: websocket
            websocket: {path: /hub, subscribers: 30, rate: 5}
          - name: flaky
            mode: websocket
            servers: [uvicorn]
            connections: 4
            websocket: {path: /flaky, rate: 10}
        """,
    )


def test_echo_and_fan_out_held_by_two_asgi_servers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_cli(str(scenario(tmp_path)), "--out", str(out), "--no-history", timeout=300)
    runs = {(run["scenario"], run["server"]): run for run in read_json(out / "results.json")["runs"]}
    for server in ("uvicorn", "hypercorn"):
        chat, hub = runs[("chat", server)], runs[("hub", server)]
        assert chat["status"] == hub["status"] == "ok", done.stderr
        echo = chat["websocket"]
        assert echo["kind"] == "echo" and echo["held"] == 20 and chat["model"]["expected_held"] == 20
        # 20 connections at 10 messages a second for 3 s, each answered: about 600 round trips.
        assert 450 <= echo["received"] <= echo["sent"] <= 650, echo
        assert 0 < echo["rtt_ms"]["p50"] < 50 and chat["failures"] == 0
        assert chat["endpoints"]["/chat echo"]["requests"] == echo["received"]  # real times in Locust's stats

        fan = hub["websocket"]
        assert fan["kind"] == "fan-out" and fan["held"] == 31 and hub["model"]["expected_held"] == 31
        assert 12 <= fan["published"] <= 18 and fan["lost"] == 0 and fan["silent"] == 0, fan
        assert fan["received"] >= 30 * (fan["published"] - 1)  # every subscriber heard each message
        assert 0 < fan["delivery_ms"]["p99"] < 200
        assert fan["kb_per_connection"] is not None and fan["memory_samples"][0][0] == 0
        assert not hub["flags"], hub["flags"]

    # A server that closes connections: each close a failure, named, and the users connect again.
    flaky = runs[("flaky", "uvicorn")]
    assert flaky["websocket"]["closed"] > 0 and flaky["failures"] > 0
    assert any("1011" in e["error"] for e in flaky["request_errors"]), flaky["request_errors"]
    assert done.returncode == 1, done.stderr

    report = (out / "report.md").read_text()
    assert "## hub (websocket)" in report and "fan-out (delivery)" in report
    assert "At 20 connections: " in report and "round trip p99" in report
