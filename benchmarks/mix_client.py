"""Benchmark: the steady mix locustfile against a plain FastHttpUser, same server.

    .venv/bin/python benchmarks/mix_client.py [--seconds 8] [--rounds 3] [--users 10]

Starts uvicorn serving apps.asgi_app on core 0 and, on core 1, alternately
(A B A B ...) Locust with locustfiles/mix.py (one entry, /fast) and with a
locustfile whose user only does `self.client.get("/fast")`. Each round
measures requests per second over the last `seconds` of a headless run
(Locust's own total over its own duration, from --json). Reports each round
and the median ratio mix / plain (target: 0.97 or more). A script, not a
timed test: figures are noisy; compare ratios taken in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _shared import PLAIN, ROOT, pinned, uvicorn_on_core_0

TARGET = 0.97


def _rps(locustfile: str, url: str, users: int, seconds: float, extra: list[str]) -> float:
    run_for = ["-u", str(users), "-r", str(users), "-t", f"{int(seconds)}s"]
    quiet = ["--json", "--only-summary", "--loglevel", "ERROR"]
    argv = [sys.executable, "-m", "locust", "-f", locustfile, "--headless", "-H", url, *run_for, *quiet, *extra]
    limit = seconds + 60
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=limit, **pinned(1))  # type: ignore[call-overload]
    stats = json.loads(done.stdout)
    requests = sum(entry["num_requests"] for entry in stats)
    first = min(entry["start_time"] for entry in stats)
    last = max(entry["last_request_timestamp"] for entry in stats)
    return requests / max(last - first, 1e-9)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.py"
        plain.write_text(PLAIN)
        with uvicorn_on_core_0(18_700 + os.getpid() % 1000) as url:
            mix = ["--mix", '[{"name": "fast", "path": "/fast"}]']
            ratios = []
            for round_ in range(1, args.rounds + 1):
                a = _rps(str(ROOT / "locustfiles" / "mix.py"), url, args.users, args.seconds, mix)
                b = _rps(str(plain), url, args.users, args.seconds, [])
                ratios.append(a / b)
                print(f"round {round_}: mix.py {a:,.0f} req/s, plain FastHttpUser {b:,.0f} req/s, ratio {a / b:.3f}")
    median = statistics.median(ratios)
    print(f"median ratio {median:.3f} (target {TARGET}: {'met' if median >= TARGET else 'missed'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
