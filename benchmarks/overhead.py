"""Benchmark: a suite's wall time against the windows it was configured to measure.

    .venv/bin/python benchmarks/overhead.py [scenarios/all.yaml] [--only GLOB]

Runs the file once (a real suite, no history) and reports: wall time of the
whole command, the sum of its windows (warm-up + duration of each steady run;
a burst's measured elapsed time, since it has no configured window), their
ratio (target: within 1.05x), and where the rest went per run (start to first
request, Locust's exit after the window, teardown) and outside the runs
(interpreter start, reports). A script, not a timed test: figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.05


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default=str(ROOT / "scenarios" / "all.yaml"))
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        argv = [sys.executable, str(ROOT / "run_suite.py"), args.file, "--out", str(out), "--no-history"]
        for glob in args.only:
            argv += ["--only", glob]
        started = time.monotonic()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        wall = time.monotonic() - started
        if done.returncode not in (0, 1, 3):
            print(done.stderr, file=sys.stderr)
            return done.returncode
        results = json.loads((out / "results.json").read_text())
    runs = results["runs"]
    windows = sum(
        run["elapsed_s"] if run["mode"] == "burst" else run["settings"]["warmup_s"] + run["settings"]["duration_s"]
        for run in runs
    )
    in_runs = 0.0
    starts, teardowns, tails = [], [], []
    per_config: dict[str, list[float]] = {}
    for index, run in enumerate(runs):
        next_start = runs[index + 1]["started_at"] if index + 1 < len(runs) else results["finished_at"]
        in_runs += next_start - run["started_at"]
        overhead = run["overhead"]
        if overhead["start_s"] is not None:
            starts.append(overhead["start_s"])
            planned = run["elapsed_s"] if run["mode"] == "burst" else windows_of(run)
            tails.append(next_start - run["started_at"] - overhead["start_s"] - planned - overhead["teardown_s"])
        teardowns.append(overhead["teardown_s"] or 0.0)
        spent = next_start - run["started_at"] - (run["elapsed_s"] if run["mode"] == "burst" else windows_of(run))
        per_config.setdefault(run["server"], []).append(spent)
    print(f"{args.file}: {len(runs)} runs, exit {done.returncode}")
    print(f"  wall time        {wall:8.1f} s")
    print(f"  windows          {windows:8.1f} s")
    print(f"  ratio            {wall / windows:8.3f}x   (target <= {TARGET}x)")
    print(
        f"  per run, median: start to first request {statistics.median(starts):.2f} s, "
        f"after the window until teardown {statistics.median(tails):.2f} s, "
        f"teardown {statistics.median(teardowns):.2f} s"
    )
    print(f"  outside the runs (start-up, reports): {wall - in_runs:.1f} s")
    print("  beyond the windows, per server config (median over its runs, total):")
    for server, spent in sorted(per_config.items(), key=lambda item: -sum(item[1])):
        print(f"    {server:24s} {statistics.median(spent):5.2f} s  {sum(spent):6.1f} s over {len(spent)} runs")
    return 0


def windows_of(run: dict[str, object]) -> float:
    settings = run["settings"]
    assert isinstance(settings, dict)
    return float(settings["warmup_s"]) + float(settings["duration_s"])


if __name__ == "__main__":
    sys.exit(main())
