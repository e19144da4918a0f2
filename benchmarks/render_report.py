"""Benchmark: render report.md and report.html for a suite of 100 runs.

Target: under 3 s on a 2-core machine. A script, not a timed test:
    .venv/bin/python benchmarks/render_report.py [--runs 100] [--repeat 3]

The suite is synthetic but shaped like a real one: 10 scenarios x 10 server
configs, every run with a 30-second Locust history, resources and a model,
built from the real runs in tests/data/fixture_run/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perfsuite.record.results import read_results  # noqa: E402
from perfsuite.report.files import write_reports  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "fixture_run"
HISTORY_HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
    "99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size"
)


def build(out: Path, runs: int) -> None:
    source = json.loads((FIXTURE / "results.json").read_text())
    steady = next(r for r in source["runs"] if r["scenario"] == "io-concurrent" and r["status"] == "ok")
    burst = next(r for r in source["runs"] if r["mode"] == "burst")
    per_scenario = 10
    result_runs = []
    for index in range(runs):
        scenario, server = divmod(index, per_scenario)
        template = burst if scenario == 0 else steady
        run = json.loads(json.dumps(template))
        run.update(
            index=index + 1,
            scenario=f"scenario-{scenario}",
            server=f"server-{server}",
            rps=template["rps"] * (1 + server / 10),
            run_dir=f"runs/{index + 1:03d}",
        )
        if scenario == 0:
            run["order"] = "sequential" if server % 2 == 0 else "concurrent"
        run_dir = out / run["run_dir"]
        run_dir.mkdir(parents=True)
        start = 1_800_000_000
        rows = [
            f"{start + t},10,,Aggregated,0,0,100,110,120,130,140,150,160,170,180,190,200,{t * 37},0,100,100,1,200,10"
            for t in range(31)
        ]
        (run_dir / "locust_stats_history.csv").write_text(HISTORY_HEADER + "\n" + "\n".join(rows) + "\n")
        (run_dir / "timing.json").write_text(json.dumps({"measure_start": start + 5.0}))
        result_runs.append(run)
    source["runs"], source["planned_runs"] = result_runs, runs
    (out / "results.json").write_text(json.dumps(source))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        build(out, args.runs)
        results = read_results(out)
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            write_reports(out, results)  # the first call includes importing matplotlib
            timings.append(time.perf_counter() - started)
        size = (out / "report.html").stat().st_size
        shutil.copy(out / "report.html", Path(tempfile.gettempdir()) / "benchmark-report.html")
    print(
        f"{args.runs} runs: report.md + report.html in "
        + ", ".join(f"{t:.2f} s" for t in timings)
        + f" (first includes imports); report.html {size / 1e6:.1f} MB; target < 3 s"
    )
    return 0 if max(timings) < 3.0 else 1


if __name__ == "__main__":
    sys.exit(main())
