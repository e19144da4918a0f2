"""Run plans -> run results: one run at a time, each with fresh processes.

A run: free ports, the upstream if the scenario has one, the server (own
process group, pinned), a readiness probe for each, Locust, then Locust's
JSON, the resource samples, the upstream's own latency, the model and the
flags; then everything stops. A run that fails is recorded with its reason
and the suite goes on; an interrupt stops the suite after the same teardown.
results.json is rewritten after every run.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx

from perfsuite import ROOT
from perfsuite.judge.expectation import TOLERANCE, NoModel, expect
from perfsuite.judge.flags import run_flags
from perfsuite.record.histogram import merge
from perfsuite.record.results import EndpointResult, Latency, Overhead, RunResult, SuiteResults, write_results
from perfsuite.run.lifecycle import STOP, Interrupted
from perfsuite.run.loadgen import (
    WORKERS_WAIT_S,
    LoadOutcome,
    OutcomeError,
    local_processes,
    locust_argv,
    read_outcome,
    time_limit_s,
    worker_command,
)
from perfsuite.run.process import (
    WILDCARDS,
    ManagedProcess,
    ProcessFailed,
    check_port,
    describe_exit,
    free_port,
    stop_all,
    wait_for_http,
)
from perfsuite.run.resources import ResourceSampler, Sample, summarize
from perfsuite.spec.format import ServerConfig
from perfsuite.spec.loader import Suite
from perfsuite.spec.plan import RunPlan
from perfsuite.spec.servers import build_argv, is_external, recycles_workers

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0
TOKEN_VARIABLE = "PERFSUITE_TOKEN"  # set in every child's environment, to find strays
APPS_ROOT = ROOT  # where apps/upstream.py lives


class Progress(Protocol):
    def run_started(self, plan: RunPlan, total: int) -> None: ...
    def tick(self, plan: RunPlan, run_dir: Path) -> None: ...
    def run_finished(self, plan: RunPlan, result: RunResult, total: int) -> None: ...


class RunFailed(Exception):
    pass


def new_token() -> str:
    """The value of PERFSUITE_TOKEN for the children of this command."""
    return f"{os.getpid()}-{int(time.time() * 1000)}"


def server_cores(plan: RunPlan) -> int:
    return len(plan.cpu["server"] or []) or (os.cpu_count() or 1)


def server_environment(plan: RunPlan, suite: Suite, token: str) -> tuple[dict[str, str], dict[str, str], Path]:
    """(full environment, the part the suite set, working directory) for a server."""
    app_dir = (suite.base_dir / plan.server.app_dir).resolve() if plan.server.app_dir else Path.cwd()
    python_path = os.pathsep.join(p for p in (str(app_dir), os.environ.get("PYTHONPATH", "")) if p)
    added = {"PYTHONPATH": python_path, "PYTHONUNBUFFERED": "1", TOKEN_VARIABLE: token, **plan.server.env}
    return {**os.environ, **added}, added, app_dir


def server_address(config: ServerConfig) -> tuple[str, int]:
    """(host, port) a server binds: its own, else loopback and a free port.
    A port the config asks for is checked first (PortTaken names the holder)."""
    host = config.host or HOST
    if config.port is None:
        try:
            return host, free_port(host)
        except OSError as error:
            raise ProcessFailed(f"cannot listen on {host} ({error.strerror or error})") from None
    check_port(host, config.port)
    return host, config.port


def server_process(
    plan: RunPlan, suite: Suite, log_dir: Path, token: str, extra_env: dict[str, str] | None = None
) -> tuple[ManagedProcess, dict[str, str], str]:
    """The server of a plan, not yet started; the environment the suite set for it; its URL."""
    env, added, app_dir = server_environment(plan, suite, token)
    added.update(extra_env or {})
    host, port = server_address(plan.server)
    process = ManagedProcess(
        "server",
        build_argv(plan.server, host, port),
        log_path=log_dir / "server.log",
        env={**env, **added},
        cwd=app_dir,
        cpus=plan.cpu["server"],
    )
    return process, added, f"http://{WILDCARDS.get(host, host)}:{port}"


def locust_process(argv: list[str], run_dir: Path, token: str, cpus: list[int] | None) -> ManagedProcess:
    return ManagedProcess(
        "locust",
        argv,
        log_path=run_dir / "locust.log",
        env={**os.environ, TOKEN_VARIABLE: token},
        cwd=run_dir,
        cpus=cpus,
    )


def upstream_process(plan: RunPlan, run_dir: Path, token: str, port: int) -> ManagedProcess:
    assert plan.upstream is not None
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "apps.upstream:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",  # its start-up lines stay: a failed run's tail shows the upstream's pid and port
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(APPS_ROOT),
        TOKEN_VARIABLE: token,
        "UPSTREAM_DELAY_MS": str(plan.upstream.delay_ms),
        "UPSTREAM_JITTER_MS": str(plan.upstream.jitter_ms),
    }
    return ManagedProcess(
        "upstream", argv, log_path=run_dir / "upstream.log", env=env, cwd=APPS_ROOT, cpus=plan.cpu["upstream"]
    )


def _upstream_stats(url: str, start: float, end: float) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{url}/__stats", params={"since": start, "until": end}, timeout=10)
        return dict(response.json())
    except (httpx.HTTPError, ValueError):
        return None


def _summarize(plan: RunPlan, outcome: LoadOutcome) -> dict[str, Any]:
    timing = outcome.timing
    total = merge(outcome.endpoints.values())
    if plan.mode == "burst" and timing.get("completed", 0) < plan.burst_size():
        raise RunFailed(f"burst incomplete: {timing.get('completed', 0)} of {plan.burst_size()} responses")
    if plan.mode == "steady" and not total.requests:
        raise RunFailed("no request completed in the measured window")
    start, end = _window(plan, timing)
    elapsed = max(end - start, 1e-9)
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


def _window(plan: RunPlan, timing: dict[str, Any]) -> tuple[float, float]:
    if plan.mode == "burst":
        return float(timing["first_request_start"]), float(timing["last_response_end"])
    return float(timing["measure_start"]), float(timing["measure_end"])


def _per_request(resources: dict[str, Any] | None, requests: int) -> float | None:
    cpu_seconds = (resources or {}).get("cpu_seconds")
    return cpu_seconds / requests if cpu_seconds is not None and requests else None


def _model(
    plan: RunPlan, fields: dict[str, Any], server: dict[str, Any] | None, loadgen: dict[str, Any] | None
) -> dict[str, Any]:
    if plan.mode == "burst":
        return {"applies": False, "why_not": "burst runs are compared in the classic table instead"}
    if plan.scenario.mix is None:
        return {"applies": False, "why_not": "custom locustfile: its requests are not known"}
    paths = {entry.name: entry.path for entry in plan.scenario.mix}
    sent = {name: (paths[name], ep.requests) for name, ep in fields["endpoints"].items() if name in paths}
    per_request = _per_request(server, fields["requests"])
    cores = server_cores(plan)
    delay = plan.upstream.delay_ms if plan.upstream else None
    try:
        expectation = expect(
            plan.server,
            sent,
            plan.users,
            delay,
            per_request,
            cores,
            client_s_per_request=_per_request(loadgen, fields["requests"]),
        )
    except NoModel as why:
        return {"applies": False, "why_not": str(why)}
    ratio = fields["rps"] / expectation.expected_rps if expectation.expected_rps else None
    # A count of requests in a window resolves throughput no finer than one
    # wave: closed-loop users that start together with deterministic waits
    # complete in waves of min(users, slots), so a short window can hold one
    # wave more or less than the steady rate gives.
    wave = min(plan.users, expectation.slots)
    tolerance = max(TOLERANCE, wave / max(expectation.expected_rps * fields["elapsed_s"], 1e-9))
    return {
        "applies": True,
        **expectation.as_dict(),
        "measured_rps": fields["rps"],
        "measured_latency_ms": fields["latency_ms"].avg,
        "ratio": None if ratio is None else round(ratio, 4),
        "tolerance": round(tolerance, 4),
    }


def _faults(
    plan: RunPlan, server: ManagedProcess | None, upstream: ManagedProcess | None, sampler: ResourceSampler
) -> Callable[[], None]:
    """A check, run while Locust runs, that raises on a fault that spoils the
    run: the server or the upstream exited, or a server worker did."""
    recycles = recycles_workers(plan.server)

    def check() -> None:
        for process in (server, upstream):
            if process is not None and (code := process.poll()) is not None:
                raise process.failure(f"{process.name} {describe_exit(code)} during the run")
        lost = sampler.lost("server")
        if server is not None and lost and not recycles:
            pids = ", ".join(map(str, lost))
            raise server.failure(
                f"a server worker (pid {pids}) exited during the run: what was measured is not the configured server"
            )

    return check


def run_one(
    plan: RunPlan, suite: Suite, out_dir: Path, token: str, on_tick: Callable[[Path], None] | None = None
) -> RunResult:
    run_dir = out_dir / "runs" / plan.dirname
    shutil.rmtree(run_dir, ignore_errors=True)  # a run's folder holds that run's files only (--force, --resume)
    run_dir.mkdir(parents=True)
    started = time.time()
    external = is_external(plan.server)
    url = str(plan.server.url).rstrip("/") if external else ""
    upstream: ManagedProcess | None = None
    server: ManagedProcess | None = None
    added_env: dict[str, str] = {}
    sampler = ResourceSampler(run_dir / "resources.csv")
    fields: dict[str, Any] = {}
    status, error = "ok", None
    failure: Exception | None = None
    processes: list[ManagedProcess] = []
    try:
        # Both are made first (a taken port starts nothing), then start at once:
        # the app calls the upstream only when a request comes.
        upstream_url = ""
        if plan.upstream is not None:
            upstream_port = free_port(HOST)
            upstream_url = f"http://{HOST}:{upstream_port}"
            upstream = upstream_process(plan, run_dir, token, upstream_port)
        if not external:
            extra = {"UPSTREAM_URL": upstream_url} if upstream_url else None
            server, added_env, url = server_process(plan, suite, run_dir, token, extra)
        for process in (upstream, server):
            if process is not None:
                processes.append(process)
                process.start()
        if upstream is not None:
            upstream.wait_ready(f"{upstream_url}/__stats", READY_TIMEOUT_S)
        if server is not None:
            server.wait_ready(f"{url}/", plan.server.ready_timeout)
        else:
            wait_for_http(f"{url}/", plan.server.ready_timeout)  # external: only that it answers
        locust = locust_process(locust_argv(plan, url, run_dir, suite.base_dir), run_dir, token, plan.cpu["loadgen"])
        processes.append(locust)
        locust.start()
        command = worker_command(plan)
        if command is not None:
            print(
                f"waiting for {plan.loadgen.workers} Locust workers (up to {WORKERS_WAIT_S:.0f} s); on each worker "
                f"machine, from a checkout of this repository, run:\n  {command}",
                file=sys.stderr,
                flush=True,
            )
        for role, process in (("server", server), ("loadgen", locust), ("upstream", upstream)):
            if process is not None:
                sampler.watch(role, process.pid)
        sampler.start()
        faults = _faults(plan, server, upstream, sampler)
        code = locust.wait(time_limit_s(plan), on_tick=(lambda: on_tick(run_dir)) if on_tick else None, check=faults)
        samples: list[Sample] = sampler.stop()
        if code != 0:
            raise locust.failure(f"Locust {describe_exit(code)}")
        faults()
        outcome = read_outcome(run_dir)
        fields = _summarize(plan, outcome)
        first = outcome.timing.get("first_request_start")
        fields["_start_s"] = (float(first) - started) if first else None
        start, end = _window(plan, outcome.timing)
        locust_workers = local_processes(plan)
        loadgen_cores = (
            min(locust_workers, len(plan.cpu["loadgen"] or []) or (os.cpu_count() or 1)) if locust_workers else 1
        )
        for role in ("server", "loadgen", "upstream"):
            cores = loadgen_cores if role == "loadgen" else 1
            fields[f"{role}_resources"] = summarize(samples, role, start, end, fields["requests"], cores)
        if plan.loadgen is not None:
            fields["loadgen"] = {
                "processes": locust_workers or None,
                "workers": plan.loadgen.workers,
                "worker_requests": outcome.timing.get("worker_requests"),
            }
        if upstream is not None and plan.upstream is not None:
            fields["upstream"] = {
                "delay_ms": plan.upstream.delay_ms,
                "jitter_ms": plan.upstream.jitter_ms,
                "stats": _upstream_stats(upstream_url, start, end),
            }
        fields["model"] = _model(plan, fields, fields["server_resources"], fields["loadgen_resources"])
        fields["flags"] = run_flags(
            requests=fields["requests"],
            failures=fields["failures"],
            loadgen=fields["loadgen_resources"],
            upstream=(fields.get("upstream") or {}).get("stats"),
            server=fields["server_resources"],
            server_cores=server_cores(plan),
            model=fields["model"],
        )
    except (ProcessFailed, RunFailed, OutcomeError) as caught:
        status, failure = "error", caught
    finally:
        sampler.stop()
        teardown_s = stop_all(processes)
    if failure is not None:
        error = str(failure)  # after teardown: the logs it quotes are complete
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
            start_s=None if start_s is None else round(float(start_s), 3),
            teardown_s=round(teardown_s, 3),
            total_s=None if start_s is None else round(float(start_s) + teardown_s, 3),
        ),
        server_kind=plan.server.server,
        server_argv=server.argv if server is not None else [],
        server_env=added_env,
        affinity=plan.cpu,
        settings={"warmup_s": plan.warmup_s, "duration_s": plan.duration_s, "spawn_rate": plan.spawn_rate},
        **fields,
    )


def run_suite(
    suite: Suite,
    plans: list[RunPlan],
    out_dir: Path,
    results: SuiteResults,
    progress: Progress,
) -> SuiteResults:
    """Run every plan in order, recording each in results.json as it ends."""
    token = new_token()
    total = max(results.planned_runs, len(plans))  # a resumed suite counts the runs it already has
    write_results(out_dir, results)
    try:
        for plan in plans:
            STOP.check()
            progress.run_started(plan, total)
            result = run_one(plan, suite, out_dir, token, on_tick=lambda run_dir, p=plan: progress.tick(p, run_dir))
            results.runs.append(result)
            write_results(out_dir, results)
            progress.run_finished(plan, result, total)
    except Interrupted:
        results.interrupted = True
        raise
    finally:
        results.runs.sort(key=lambda run: run.index)  # a resumed suite appends runs out of order
        results.finished_at = time.time()
        write_results(out_dir, results)
    return results
