"""Benchmark: how fast the open generator holds its schedule, beside plain Locust's closed-loop ceiling.

    .venv/bin/python benchmarks/open_generator.py [--seconds 5] [--users 10]

Starts uvicorn serving apps.asgi_app on core 0. On core 1, first plain
Locust (a FastHttpUser doing `self.client.get("/fast")`, closed loop) gives
the ceiling C of one Locust process against this server. Then
locustfiles/open.py, alone, at offered rates chosen by the suite's own
capacity search (perfsuite.judge.capacity.Search: from C / 2, doubling,
then bisection to within 3%) finds the highest rate at which the generator
holds its schedule: lag p99 under 2 ms and at least 99% of what it offered
answered in the window. Reports that rate as a ratio to C (target: 0.8 or
more). A script, not a timed test: figures are noisy; compare ratios taken
in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _shared import PLAIN, ROOT, pinned, uvicorn_on_core_0

sys.path.insert(0, str(ROOT))

from perfsuite.judge.capacity import Search
from perfsuite.record.open_stats import open_result
from perfsuite.record.results import CapacityStep

TARGET = 0.8
LAG_P99_MS = 2.0
ANSWERED_SHARE = 0.99


def _locust(argv: list[str], seconds: float) -> str:
    command = [sys.executable, "-m", "locust", "--headless", "--only-summary", "--loglevel", "ERROR", *argv]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60, **pinned(1))  # type: ignore[call-overload]
    return done.stdout


def closed_ceiling(plain: Path, url: str, users: int, seconds: float) -> float:
    out = _locust(
        ["-f", str(plain), "-H", url, "-u", str(users), "-r", str(users), "-t", f"{int(seconds)}s", "--json"], seconds
    )
    stats = json.loads(out)
    requests = sum(entry["num_requests"] for entry in stats)
    first = min(entry["start_time"] for entry in stats)
    last = max(entry["last_request_timestamp"] for entry in stats)
    return requests / max(last - first, 1e-9)


def open_step(url: str, rate: float, seconds: float, folder: Path) -> CapacityStep:
    stats = folder / f"open-{rate:g}.json"
    warmup = 1.0
    argv = ["-f", str(ROOT / "locustfiles" / "open.py"), "-H", url, "-u", "1", "-t", f"{int(seconds + warmup) + 10}s",
            "--rate", f"{rate:g}", "--mix", '[{"name": "fast", "path": "/fast"}]',
            "--warmup", f"{warmup:g}", "--duration", f"{seconds:g}", "--open-stats-file", str(stats)]  # fmt: skip
    _locust(argv, seconds + warmup)
    data = json.loads(stats.read_text())
    answered = int(data.get("completed", 0)) + int(data.get("failed", 0))
    result = open_result(data, seconds, answered)
    lag = result.schedule_lag_ms.p99 or 0.0
    share = answered / max(result.offered, 1)
    ok = lag < LAG_P99_MS and share >= ANSWERED_SHARE
    print(f"  open at {rate:8,.0f} req/s: lag p99 {lag:5.2f} ms, answered {share:6.1%} of {result.offered:,} offered"
          f" -> {'holds' if ok else 'behind'}")  # fmt: skip
    return CapacityStep(rate=rate, achieved_rps=result.achieved_rps, ok=ok)  # bisect: the generator is the subject


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain = folder / "plain.py"
        plain.write_text(PLAIN)
        with uvicorn_on_core_0(18_800 + os.getpid() % 1000) as url:
            ceiling = closed_ceiling(plain, url, args.users, args.seconds)
            print(f"plain Locust, closed loop, {args.users} users: {ceiling:,.0f} req/s")
            search = Search(start=ceiling / 2, max_steps=8, precision=0.03)
            while (rate := search.next_rate()) is not None:
                search.add(open_step(url, rate, args.seconds, folder))
    best = search.best or 0.0
    ratio = best / ceiling
    print(f"open generator holds its schedule up to {best:,.0f} req/s: {ratio:.2f}x the closed-loop ceiling"
          f" (target {TARGET}: {'met' if ratio >= TARGET else 'missed'})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
