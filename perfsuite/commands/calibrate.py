"""`run_suite.py calibrate`: how many requests per second one Locust process
can drive on this machine, so users know the ceiling before trusting a number
near it.

It runs the cheapest config (uvicorn, one worker, `/fast`) through the same
runner as any suite, with Locust and the server on separate cores, and reads
Locust's own CPU: at >= 90% of its core Locust was the limit, and the figure
is the ceiling; below that the server was, and the ceiling is higher. When
Debian's `wrk` is installed it also measures the same server with wrk, a load
generator in C, as an independent reference for what the server can do.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from perfsuite import ROOT
from perfsuite.conduct.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, claim_out_dir, error, stamped
from perfsuite.io.files import write_file
from perfsuite.plan.affinity import default_layout
from perfsuite.plan.durations import parse_duration
from perfsuite.plan.format import Suite, SuiteFile
from perfsuite.plan.runs import build_plan
from perfsuite.run.children import child_environment, new_token, server_process
from perfsuite.run.lifecycle import STOP, Interrupted
from perfsuite.run.process import ManagedProcess, kill_all, stop_all
from perfsuite.run.runner import run_one

WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")


def calibration_suite(users: int, warmup_s: float, duration_s: float) -> Suite:
    declared = SuiteFile.model_validate(
        {
            "servers": {"uvicorn-1": {"server": "uvicorn", "app": "apps.asgi_app:app", "workers": 1}},
            "scenarios": [
                {
                    "name": "calibrate",
                    "users": users,
                    "warmup": warmup_s,
                    "duration": duration_s,
                    "mix": [{"name": "fast", "path": "/fast"}],
                }
            ],
        }
    )
    root = ROOT
    return Suite(name="calibrate", source=root / "<calibrate>", base_dir=root, declared=declared)


def run_wrk(suite: Suite, out_dir: Path, seconds: float, connections: int, token: str) -> float | None:
    """Requests per second wrk gets from a fresh copy of the same server, or None without wrk."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    plan = build_plan(suite)[0]
    layout = default_layout()
    wrk_dir = out_dir / "wrk"
    wrk_dir.mkdir(parents=True, exist_ok=True)
    child = server_process(plan, suite, wrk_dir, token)
    server, url = child.process, child.url
    argv = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", f"{url}/fast"]
    load = ManagedProcess(
        "wrk",
        argv,
        log_path=wrk_dir / "wrk.log",
        env=child_environment(token).full,
        cwd=wrk_dir,
        cpus=layout["loadgen"],
    )
    try:
        server.start()
        server.wait_ready(f"{url}/", plan.server.ready_timeout)
        load.start()
        load.wait(seconds + 30)
    finally:
        stop_all([load, server])
    found = WRK_RPS.search(load.tail(50))
    return float(found.group(1)) if found else None


def calibrate(out_dir: Path, users: int = 50, warmup_s: float = 2.0, duration_s: float = 10.0) -> dict[str, Any]:
    suite = calibration_suite(users, warmup_s, duration_s)
    token = new_token()
    result = run_one(build_plan(suite)[0], suite, out_dir, token)
    loadgen, server = result.loadgen_resources, result.server_resources
    saturated = loadgen is not None and loadgen.saturated
    summary: dict[str, Any] = {
        "status": result.status,
        "error": result.error,
        "locust_rps": result.rps,
        "locust_cpu_percent": loadgen.cpu_percent.model_dump() if loadgen else None,
        "server_cpu_percent": server.cpu_percent.model_dump() if server else None,
        "locust_saturated": saturated,
        "locust_share_above_90_percent": loadgen.share_above_90_percent if loadgen else None,
        "users": users,
        "duration_s": duration_s,
        "affinity": result.affinity.model_dump(),
        "run_dir": result.run_dir,
    }
    if result.status == "ok":
        summary["wrk_rps"] = run_wrk(suite, out_dir, duration_s, users, token)
    write_file(out_dir / "calibration.json", json.dumps(summary, indent=1) + "\n")
    return summary


def describe(summary: dict[str, Any]) -> str:
    if summary["status"] != "ok":
        return f"calibration failed: {summary['error']}"
    rps = summary["locust_rps"]
    cpu = (summary.get("locust_cpu_percent") or {}).get("mean")
    lines = [f"one Locust process drove {rps:,.0f} req/s against uvicorn /fast (Locust CPU {cpu}% of its core)."]
    if summary["locust_saturated"]:
        lines.append(
            f"Locust was the limit: treat ~{rps:,.0f} req/s per Locust process as this machine's ceiling;"
            " a result near it is a lower bound (use loadgen processes, or another machine)."
        )
    else:
        lines.append(
            f"Locust was not saturated: the server was the limit, so one Locust process drives more than "
            f"{rps:,.0f} req/s here."
        )
    wrk = summary.get("wrk_rps")
    if wrk:
        lines.append(f"wrk got {wrk:,.0f} req/s from the same server: Locust reached {rps / wrk:.0%} of that.")
    elif wrk is None:
        lines.append("(install Debian's wrk to compare against an independent load generator)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="run_suite.py calibrate", description="Measure the requests per second one Locust process can drive here."
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", default="10s", help="measured window (default 10s)")
    parser.add_argument("--out", help="output folder (default: reports/calibrate-<timestamp>/)")
    args = parser.parse_args(argv)
    try:
        duration = parse_duration(args.duration)
    except ValueError as failure:
        error(f"--duration {failure}")
        return EXIT_INVALID
    if not 1 <= args.users <= 100_000 or duration <= 0:
        error("--users must be 1..100000 and --duration positive")
        return EXIT_INVALID
    out_dir = Path(args.out).resolve() if args.out else stamped("calibrate")
    claimed = claim_out_dir(out_dir, force=True, holder="a calibration")
    if isinstance(claimed, str):
        error(claimed)
        return EXIT_INVALID
    STOP.install(force=kill_all)
    try:
        with claimed:
            summary = calibrate(out_dir, users=args.users, duration_s=duration)
    except Interrupted as interrupt:
        return 128 + interrupt.signum
    except OSError as failure:  # calibration.json could not be written (the run itself records its failures)
        error(str(failure))
        return EXIT_FAILED
    print(describe(summary))
    print(f"details: {out_dir / 'calibration.json'}", file=sys.stderr)
    return EXIT_OK if summary["status"] == "ok" else EXIT_FAILED
