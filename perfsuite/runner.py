"""Run plans -> run results: one run at a time, each with a fresh server.

A run: pick a free port, start the server (own process group, pinned), probe
it until it answers, run Locust, read Locust's JSON, stop everything. A run
that fails is recorded with its reason and the suite goes on; an interrupt
stops the suite after the same teardown. results.json is rewritten after
every run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from perfsuite.affinity import default_layout
from perfsuite.lifecycle import STOP, Interrupted
from perfsuite.loader import Suite
from perfsuite.loadgen import LoadOutcome, OutcomeError, locust_argv, read_outcome, time_limit_s
from perfsuite.plan import RunPlan
from perfsuite.process import ManagedProcess, ProcessFailed, free_port
from perfsuite.results import EndpointResult, Latency, Overhead, RunResult, SuiteResults, write_results
from perfsuite.servers import build_argv
from perfsuite.stats import merge

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0
TOKEN_VARIABLE = "PERFSUITE_TOKEN"  # set in every child's environment, to find strays


class Progress(Protocol):
    def run_started(self, plan: RunPlan, total: int) -> None: ...
    def run_finished(self, plan: RunPlan, result: RunResult, total: int) -> None: ...


class RunFailed(Exception):
    pass


def server_environment(plan: RunPlan, suite: Suite, token: str) -> tuple[dict[str, str], dict[str, str], Path]:
    """(full environment, the part the suite set, working directory) for a server."""
    app_dir = (suite.base_dir / plan.server.app_dir).resolve() if plan.server.app_dir else Path.cwd()
    python_path = os.pathsep.join(p for p in (str(app_dir), os.environ.get("PYTHONPATH", "")) if p)
    added = {"PYTHONPATH": python_path, "PYTHONUNBUFFERED": "1", TOKEN_VARIABLE: token, **plan.server.env}
    return {**os.environ, **added}, added, app_dir


def _summarize(plan: RunPlan, outcome: LoadOutcome) -> dict[str, object]:
    timing = outcome.timing
    total = merge(outcome.endpoints.values())
    if plan.mode == "burst":
        expected = plan.burst_size()
        if timing.get("completed", 0) < expected:
            raise RunFailed(f"burst incomplete: {timing.get('completed', 0)} of {expected} responses")
        elapsed = float(timing["last_response_end"]) - float(timing["first_request_start"])
    else:
        if not total.requests:
            raise RunFailed("no request completed in the measured window")
        elapsed = float(timing["measure_end"]) - float(timing["measure_start"])
    elapsed = max(elapsed, 1e-9)
    return {
        "requests": total.requests,
        "failures": total.failures,
        "rps": round(total.requests / elapsed, 4),
        "elapsed_s": round(elapsed, 4),
        "latency_ms": Latency(**total.latency()),
        "endpoints": {
            name: EndpointResult(
                requests=stats.requests,
                failures=stats.failures,
                rps=round(stats.requests / elapsed, 4),
                latency_ms=Latency(**stats.latency()),
                histogram={str(k): v for k, v in stats.histogram.items()},
            )
            for name, stats in outcome.endpoints.items()
        },
    }


def run_one(plan: RunPlan, suite: Suite, out_dir: Path, token: str) -> RunResult:
    run_dir = out_dir / "runs" / plan.dirname
    run_dir.mkdir(parents=True, exist_ok=True)
    layout = default_layout()
    started = time.time()
    port = free_port(HOST)
    url = f"http://{HOST}:{port}"
    env, added_env, app_dir = server_environment(plan, suite, token)
    server = ManagedProcess(
        "server", build_argv(plan.server, HOST, port),
        log_path=run_dir / "server.log", env=env, cwd=app_dir, cpus=layout["server"],
    )  # fmt: skip
    fields: dict[str, object] = {}
    status, error = "ok", None
    processes: list[ManagedProcess] = []
    teardown_s = 0.0
    try:
        processes.append(server)
        server.start()
        server.wait_ready(f"{url}/", READY_TIMEOUT_S)
        locust = ManagedProcess(
            "locust", locust_argv(plan, url, run_dir, suite.base_dir),
            log_path=run_dir / "locust.log", env={**os.environ, TOKEN_VARIABLE: token},
            cwd=run_dir, cpus=layout["loadgen"],
        )  # fmt: skip
        processes.append(locust)
        locust.start()
        code = locust.wait(time_limit_s(plan))
        if code != 0:
            raise locust.failure(f"Locust exited with code {code}")
        server_code = server.poll()
        if server_code is not None:
            raise server.failure(f"server exited with code {server_code} during the run")
        outcome = read_outcome(run_dir)
        fields = _summarize(plan, outcome)
        first = outcome.timing.get("first_request_start")
        fields["_start_s"] = (float(first) - started) if first else None
    except (ProcessFailed, RunFailed, OutcomeError) as failure:
        status, error = "error", str(failure)
    finally:
        teardown_started = time.monotonic()
        for process in reversed(processes):
            process.stop()
        teardown_s = time.monotonic() - teardown_started
    start_s = fields.pop("_start_s", None)
    return RunResult(
        index=plan.index,
        scenario=plan.scenario.name,
        server=plan.server_name,
        mode=plan.mode,  # type: ignore[arg-type]
        order=plan.order,  # type: ignore[arg-type]
        users=plan.users,
        repeat=plan.repeat,
        status=status,  # type: ignore[arg-type]
        error=error,
        run_dir=str(run_dir.relative_to(out_dir)),
        started_at=started,
        overhead=Overhead(
            start_s=None if start_s is None else round(float(start_s), 3),  # type: ignore[arg-type]
            teardown_s=round(teardown_s, 3),
            total_s=None if start_s is None else round(float(start_s) + teardown_s, 3),  # type: ignore[arg-type]
        ),
        server_kind=plan.server.server,
        server_argv=server.argv,
        server_env=added_env,
        affinity=layout,
        settings={"warmup_s": plan.warmup_s, "duration_s": plan.duration_s, "spawn_rate": plan.spawn_rate},
        **fields,  # type: ignore[arg-type]
    )


def run_suite(
    suite: Suite,
    plans: list[RunPlan],
    out_dir: Path,
    results: SuiteResults,
    progress: Progress,
    on_update: Callable[[SuiteResults], None],
) -> SuiteResults:
    """Run every plan in order, recording each; `on_update` writes the reports."""
    token = f"{os.getpid()}-{int(time.time() * 1000)}"
    write_results(out_dir, results)
    try:
        for plan in plans:
            STOP.check()
            progress.run_started(plan, len(plans))
            result = run_one(plan, suite, out_dir, token)
            results.runs.append(result)
            write_results(out_dir, results)
            progress.run_finished(plan, result, len(plans))
    except Interrupted:
        results.interrupted = True
        raise
    finally:
        results.finished_at = time.time()
        write_results(out_dir, results)
        on_update(results)
    return results
