"""Benchmark: what held streams and WebSockets cost the generator and the server.

    .venv/bin/python benchmarks/held_connections.py [--connections 200,1000] [--seconds 10]

Runs the suite itself (a scenario written to a temporary folder, the demo
apps, the suite's own pinning: server and Locust on cores of their own) in
stream mode at each number of connections on uvicorn and gunicorn gevent,
and a WebSocket echo at 10 messages a second per connection on uvicorn.
Reports, per run: connections held, events or messages per second, Locust's
CPU per event (and its mean share of its core), the server's CPU per event,
KB per held connection and the gap (or round trip) p99. Target, at the
most connections: Locust under 60 us of CPU per stream event, so one
process holds 1,000 streams of 10 events a second below 60% of its core
(at few connections Locust's fixed costs, its stats and timers, weigh on
each event more). A script, not a timed test: figures are noisy; compare
ratios taken in one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _shared import ROOT

TARGET_US_PER_EVENT = 60.0

SCENARIO = """\
defaults: {{warmup: 6s, duration: {seconds}s, spawn_rate: 500}}
servers:
  uvicorn-1: {{server: uvicorn, app: apps.asgi_app:app, app_dir: {root}}}
  gunicorn-gevent: {{server: gunicorn, app: apps.wsgi_app:app, worker_class: gevent, worker_connections: 5000,
                    app_dir: {root}}}
scenarios:
  - name: streams
    mode: stream
    connections: [{levels}]
    stream: {{path: "/stream?chunks=30&interval_ms=100", interval: 100ms}}
  - name: echo
    mode: websocket
    servers: [uvicorn-1]
    connections: [{levels}]
    websocket: {{path: /ws/echo, rate: 10}}
"""


def row(run: dict) -> list[str]:
    section = run.get("stream") or run.get("websocket") or {}
    loadgen, server = run.get("loadgen_resources") or {}, run.get("server_resources") or {}
    elapsed = run.get("elapsed_s") or 0.0
    events = section.get("events") or section.get("received") or 0
    per_s = events / elapsed if elapsed else 0.0
    times = section.get("gap_ms") or section.get("rtt_ms") or {}

    def us(cpu: float | None) -> str:
        return f"{cpu / events * 1e6:.1f}" if cpu is not None and events else "-"

    return [
        f"{run['scenario']} / {run['server']}",
        str(run.get("connections")),
        str(section.get("held")),
        f"{per_s:,.0f}",
        us(loadgen.get("cpu_seconds")),
        f"{(loadgen.get('cpu_percent') or {}).get('mean', 0):.0f}%",
        us(server.get("cpu_seconds")),
        f"{section.get('kb_per_connection')} ({section.get('kb_basis')})",
        f"{times.get('p99')}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", default="200,1000", help="levels, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="the measured window of each run")
    args = parser.parse_args()
    levels = ", ".join(str(int(c)) for c in args.connections.split(","))
    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / "held.yaml"
        scenario.write_text(SCENARIO.format(seconds=args.seconds, root=ROOT, levels=levels))
        out = Path(folder) / "out"
        command = [sys.executable, str(ROOT / "run_suite.py"), str(scenario), "--out", str(out), "--no-history"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if not (out / "results.json").exists():
            print(done.stderr, file=sys.stderr)
            return 1
        runs = json.loads((out / "results.json").read_text())["runs"]
    header = ["run", "connections", "held", "events/s", "Locust us/event", "Locust CPU", "server us/event",
              "KB per connection", "gap or RTT p99 ms"]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    most = max((run.get("connections") or 0 for run in runs), default=0)
    worst = 0.0
    for run in runs:
        if run.get("status") != "ok":
            print(f"| {run['scenario']} / {run['server']} | error: {run.get('error')} |")
            continue
        cells = row(run)
        print("| " + " | ".join(cells) + " |")
        if run["mode"] == "stream" and run.get("connections") == most and cells[4] != "-":
            worst = max(worst, float(cells[4]))
    verdict = "met" if worst <= TARGET_US_PER_EVENT else "missed"
    print(
        f"\nLocust's CPU per stream event at {most:,} connections, worst config: {worst:.1f} us"
        f" (target {TARGET_US_PER_EVENT:g} us: {verdict})"
    )
    return 0 if done.returncode in (0, 3) else done.returncode


if __name__ == "__main__":
    sys.exit(main())
