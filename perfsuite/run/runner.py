"""A run plan -> a measured RunResult, with fresh processes, as phases:

  start    the upstream (if any), the server and Locust at once; Locust
           imports while the server warms up, and holds its start at a gate
  ready    the upstream and the server answer; the service-time probe (once
           per config, of an app not the suite's own: perfsuite.run.probe);
           then open Locust's gate
  measure  sample resources while Locust runs its warm-up and window;
           a server, upstream or worker lost mid-run ends the run at once;
           once the window is over the server stops while Locust writes reports
  collect  Locust's JSON and timing, resource summaries, the upstream's account
  teardown one stop path for every child, on every exit (ok, failed, interrupted)

What the numbers mean (the model's expectation, flags) is not decided here:
perfsuite.judge.assess adds it. A run that fails is recorded with its reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from perfsuite.io.files import write_file
from perfsuite.plan.format import Suite
from perfsuite.plan.runs import RunPlan, beyond_generator, senders_of
from perfsuite.plan.servers import is_external, kind_of, recycles_workers
from perfsuite.record.deploy import Request, event_results, recycling, timeline
from perfsuite.record.histogram import merge
from perfsuite.record.open_stats import open_result, window_latency
from perfsuite.record.results import (
    RUNS_FOLDER,
    Affinity,
    ChildEnv,
    EndpointResult,
    Latency,
    LoadgenResult,
    Overhead,
    ProbeResult,
    RunResult,
    RunSettings,
    UpstreamResult,
    UpstreamStats,
)
from perfsuite.record.stream_stats import stream_result, websocket_result
from perfsuite.run.children import (
    HOST,
    READY_TIMEOUT_S,
    ChildEnvironment,
    locust_process,
    server_process,
    upstream_process,
)
from perfsuite.run.events import EventDriver
from perfsuite.run.lifecycle import Interrupted
from perfsuite.run.loadgen import (
    OPEN_FILE,
    REQUEST_LOG,
    STREAM_FILE,
    TIMING_FILE,
    WEBSOCKET_FILE,
    WORKERS_WAIT_S,
    LoadOutcome,
    OutcomeError,
    local_processes,
    locust_argv,
    logs_requests,
    master_bind,
    read_outcome,
    read_request_log,
    time_limit_s,
    worker_command,
)
from perfsuite.run.probe import LONGEST_S as PROBE_LONGEST_S
from perfsuite.run.probe import inner_rates, probe
from perfsuite.run.process import (
    ManagedProcess,
    Overran,
    ProcessFailed,
    describe_exit,
    free_port,
    stop_all,
    wait_for_http,
)
from perfsuite.run.resources import ResourceSampler, Sample, summarize
from perfsuite.run.socketqueue import summarize_queue

GATE_MARGIN_S = 30.0 + PROBE_LONGEST_S  # Locust waits at its gate this much beyond the readiness timeouts
UNKNOWN_HOST = "http://127.0.0.1:9"  # Locust's -H until its gate tells it the server's URL
LOG_COMPLETE, LOG_SLACK = 0.97, 5  # the request log holds at least this share of Locust's count, less a few
EARLY_LOADGEN_MIN_WARMUP_S = 1.5  # a warm-up this long hides the next run's Locust import (~0.5 s of CPU)


class RunFailed(Exception):
    pass


SUITE_ERROR_LOG = "suite_error.log"


def unexpected(error: Exception, run_dir: Path) -> RunFailed:
    """What the suite did not foresee, as this run's error; the traceback goes to the run's folder."""
    with contextlib.suppress(OSError):
        run_dir.mkdir(parents=True, exist_ok=True)
        write_file(run_dir / SUITE_ERROR_LOG, "".join(traceback.format_exception(error)))
    return RunFailed(f"the suite failed at this run ({type(error).__name__}: {error}); traceback in {SUITE_ERROR_LOG}")


def _upstream_stats(url: str, start: float, end: float) -> UpstreamStats | None:
    try:
        response = httpx.get(f"{url}/__stats", params={"since": start, "until": end}, timeout=10)
        return UpstreamStats.model_validate(response.json())
    except (httpx.HTTPError, ValueError):
        return None


def window(plan: RunPlan, timing: dict[str, Any]) -> tuple[float, float]:
    if plan.mode == "burst":
        return float(timing["first_request_start"]), float(timing["last_response_end"])
    return float(timing["measure_start"]), float(timing["measure_end"])


def measured_fields(plan: RunPlan, outcome: LoadOutcome) -> dict[str, Any]:
    """Totals, rates and latencies of the window, from Locust's output."""
    timing = outcome.timing
    total = merge(outcome.endpoints.values())
    if plan.mode == "burst" and timing.get("completed", 0) < plan.burst_size():
        raise RunFailed(f"burst incomplete: {timing.get('completed', 0)} of {plan.burst_size()} responses")
    if plan.mode in ("steady", "open") and not total.requests:
        raise RunFailed("no request completed in the measured window")
    start, end = window(plan, timing)
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
                histogram={f"{k:g}": v for k, v in stats.histogram.items()},
            )
            for name, stats in outcome.endpoints.items()
        },
        "request_errors": outcome.errors,
        **_open_fields(plan, outcome, elapsed, total.requests),
    }


def held_fields(plan: RunPlan, outcome: LoadOutcome, samples: list[Sample]) -> dict[str, Any]:
    """Stream and websocket modes' sections: what Locust wrote beside the server's memory as connections ramped."""
    if plan.mode not in ("stream", "websocket"):
        return {}
    written = outcome.stream if plan.mode == "stream" else outcome.websocket
    name = STREAM_FILE if plan.mode == "stream" else WEBSOCKET_FILE
    if written is None:
        raise RunFailed(f"Locust wrote no {name}")
    memory: dict[float, float] = {}
    for sample in samples:
        if sample.role == "server":
            memory[sample.t] = memory.get(sample.t, 0.0) + sample.pss_mb
    start, end = window(plan, outcome.timing)
    connections = plan.key.level.connections or 0
    try:
        if plan.mode == "stream":
            found: Any = stream_result(written, max(end - start, 1e-9), (start, end), list(memory.items()), connections)
        else:
            found = websocket_result(written, (start, end), list(memory.items()), connections)
    except (ValueError, TypeError) as error:
        raise RunFailed(f"cannot read {name}: {error}") from None
    return {plan.mode: found}


def deploy_fields(
    plan: RunPlan, driver: EventDriver, requests: list[Request], window_span: tuple[float, float]
) -> dict[str, Any]:
    """Across each event, per second, and recycling: from every request's timing and the workers watched."""
    done, snapshots = driver.done, driver.snapshots
    fields: dict[str, Any] = {"timeline": timeline(requests, window_span, snapshots)}
    if plan.scenario.events:
        missed = len(plan.scenario.events) - len(done)
        if missed:
            raise RunFailed(f"{missed} of {len(plan.scenario.events)} events were not done within the window")
        fields["events"] = event_results(requests, window_span, done, snapshots)
    if recycles_workers(plan.server):
        fields["recycling"] = recycling(requests, window_span, snapshots, [d.fired_at for d in done])
    return fields


def _open_fields(plan: RunPlan, outcome: LoadOutcome, elapsed: float, answered: int) -> dict[str, Any]:
    if plan.mode != "open":
        return {}
    if outcome.open is None:
        raise RunFailed(f"Locust wrote no {OPEN_FILE}")
    try:
        return {"open": open_result(outcome.open, elapsed, answered), "latency_ms": window_latency(outcome.open)}
    except ValueError as error:
        raise RunFailed(f"cannot read {OPEN_FILE}: {error}") from None


class Run:
    """One run's children and what they yield, phase by phase."""

    def __init__(
        self,
        plan: RunPlan,
        suite: Suite,
        out_dir: Path,
        token: str,
        on_tick: Callable[[Path], None] | None = None,
        probes: dict[tuple[str, str], ProbeResult] | None = None,
    ) -> None:
        self.plan = plan
        self.suite = suite
        self.token = token
        self.on_tick = on_tick
        self.run_dir = out_dir / RUNS_FOLDER / plan.dirname
        self.external = is_external(plan.server)
        self.url = str(plan.server.url).rstrip("/") if self.external else ""
        self.upstream_url = ""
        self.server: ManagedProcess | None = None
        self.upstream: ManagedProcess | None = None
        self.locust: ManagedProcess | None = None
        self.children: list[ManagedProcess] = []  # started, in order; teardown stops them all
        self.environments: dict[str, ChildEnvironment] = {}
        self.sampler = ResourceSampler(self.run_dir / "resources.csv")
        self.samples: list[Sample] = []
        self.started = time.time()  # children made (maybe ahead of its turn)
        self.turn_started = self.started  # the previous run torn down: this run's turn
        self.fields: dict[str, Any] = {}
        self.first_request: float | None = None
        self.window_over = False  # every Locust process stopped its users
        self.stopping_server = False  # stopped at the window's end, before Locust's exit
        self.gate: tuple[int, int] | None = None  # the pipe Locust waits on: (its end, ours)
        self.on_load_started: Callable[[], None] | None = None  # e.g. start the next run's Locust
        self.on_window_over: Callable[[], None] | None = None  # e.g. start the next run's children
        self.start_failure: Exception | None = None  # a failure while starting ahead of its turn
        self.started_all = False  # start() done: every child is up
        self.probes = {} if probes is None else probes  # the sequence's: a config is probed once
        self.probe: ProbeResult | None = None
        self.driver: EventDriver | None = None  # events done to the server, and its workers watched

    # -- phases ---------------------------------------------------------------

    def _folder(self) -> None:
        if not self.run_dir.exists() or not self.children:
            if self.run_dir.is_symlink():  # planted where this run's folder goes: replaced, never followed
                self.run_dir.unlink()
            shutil.rmtree(self.run_dir, ignore_errors=True)  # a run's folder holds that run's files only
            self.run_dir.mkdir(parents=True)

    def _make_locust(self, wait_s: float) -> None:
        """Locust on its own cores, held at its gate: a pipe on which the
        suite writes the server's URL once the server answers (Locust may be
        started before the server's port is even chosen)."""
        plan = self.plan
        self.gate = os.pipe()
        gate_s = plan.server.ready_timeout + (READY_TIMEOUT_S if plan.upstream else 0.0) + GATE_MARGIN_S + wait_s
        master_port = free_port(HOST) if local_processes(plan) else None
        argv = locust_argv(
            plan, self.url or UNKNOWN_HOST, self.run_dir, self.suite.base_dir, self.gate[0], gate_s, master_port
        )
        self.locust, self.environments["loadgen"] = locust_process(
            argv, self.run_dir, self.token, plan.cpu["loadgen"], pass_fds=(self.gate[0],)
        )

    def start_loadgen(self, wait_s: float) -> None:
        """Only Locust, ahead of its turn: it imports (about 0.5 s of CPU, on
        its own cores) during another run's warm-up, then waits at its gate
        without using the CPU for `wait_s` more."""
        if self.locust is not None:
            return
        self._folder()
        self._make_locust(wait_s)
        self._launch()

    def start(self) -> None:
        """Every child not yet started is made first (a taken port starts
        nothing), then all start at once."""
        self._folder()
        plan = self.plan
        if plan.upstream is not None:
            port = free_port(HOST)
            self.upstream_url = f"http://{HOST}:{port}"
            self.upstream, self.environments["upstream"] = upstream_process(plan, self.run_dir, self.token, port)
        if not self.external:
            child = server_process(plan, self.suite, self.run_dir, self.token, self.upstream_url)
            self.server, self.environments["server"], self.url = child.process, child.environment, child.url
        if self.locust is None:
            self._make_locust(0.0)
        self._launch()
        self.started_all = True

    def _launch(self) -> None:
        for process in (self.upstream, self.server, self.locust):
            if process is not None and not process.started:
                self.children.append(process)
                process.start()
                if process is self.locust and self.gate is not None:
                    os.close(self.gate[0])  # Locust's end now

    def _close_gate(self, url: str = "") -> None:
        """Open the gate (write the URL), or with no URL just close it: Locust then gives up."""
        if self.gate is None:
            return
        with contextlib.suppress(OSError):
            if url:
                os.write(self.gate[1], url.encode("utf-8"))  # far below PIPE_BUF: one atomic write
        ends = self.gate if self.locust is None or not self.locust.started else self.gate[1:]
        for fd in ends:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.gate = None

    def ready(self) -> None:
        """The upstream and the server answer HTTP; then Locust may start."""
        assert self.locust is not None
        locust_alive = self._exited_check(self.locust, "before the server was ready")
        if self.upstream is not None:
            self.upstream.wait_ready(f"{self.upstream_url}/__stats", READY_TIMEOUT_S)
        if self.server is not None:
            self.server.wait_ready(f"{self.url}/", self.plan.server.ready_timeout, also=locust_alive)
        else:
            # External: only that it answers.
            wait_for_http(f"{self.url}/", self.plan.server.ready_timeout, locust_alive)
        self._probe()
        if self.plan.mode in ("stream", "websocket") and self.server is not None:  # memory, none held: the base
            self.sampler.watch("server", self.server.pid)
            self.sampler.sample_once()
        self._close_gate(self.url)

    def _probe(self) -> None:
        """Each entry's service time on the idle server, and where the model needs it the server's rate
        with 1, 2, 4, ... requests inside; once per config (perfsuite.run.probe)."""
        entries, inside = self.plan.to_probe(), self.plan.to_measure_inside()
        if not entries and not inside:
            return
        key = (self.plan.key.scenario, self.plan.key.server)
        if key not in self.probes:
            found = probe(self.url, entries, self.server.pid if self.server is not None else None)
            update: dict[str, object] = {"run_index": self.plan.index}
            if inside:
                measured = [e.service_ms for e in found.entries.values() if e.samples]
                declared = [e.service_ms for e in inside if e.service_ms is not None]
                service_s = max(measured + declared, default=0.0) / 1000
                users, to_flat = self.plan.inside_counts()
                update["inner"] = inner_rates(self.url, inside, service_s, self.plan.cpu.get("loadgen"), users, to_flat)
            self.probes[key] = found.model_copy(update=update)
        self.probe = self.probes[key]

    def measure(self) -> None:
        assert self.locust is not None
        plan = self.plan
        command = worker_command(plan)
        if command is not None and plan.loadgen is not None:
            print(
                f"waiting for {plan.loadgen.workers} Locust workers (up to {WORKERS_WAIT_S:.0f} s); on each worker "
                f"machine, from a checkout of this repository, run:\n  {command}",
                file=sys.stderr,
                flush=True,
            )
        for role, process in (("server", self.server), ("loadgen", self.locust), ("upstream", self.upstream)):
            if process is not None:
                self.sampler.watch(role, process.pid)
        if self.server is not None and (port := urlsplit(self.url).port) is not None:
            self.sampler.watch_port(port)
        if self.server is not None and logs_requests(plan):
            start_file = self.run_dir / f"{REQUEST_LOG}.start"
            self.driver = EventDriver(plan.scenario.events or [], kind_of(plan.server), self.server.pid, start_file)
        self.sampler.start()
        if self.on_load_started is not None:
            self.on_load_started()
        tick = (lambda: self.on_tick(self.run_dir)) if self.on_tick else None  # type: ignore[misc]
        try:
            code = self.locust.wait(time_limit_s(plan), on_tick=tick, check=self._while_measuring)
        except Overran as overran:
            if plan.mode != "open":
                raise
            senders = senders_of(plan.loadgen, plan.cpu)
            beyond = beyond_generator(plan.rate, senders)
            why = (
                f"the open generator was behind its schedule and could not end on time ({beyond})"
                if beyond
                else f"{plan.rate:g} req/s offered from {senders} Locust process(es), within what they schedule:"
                " requests the server held past the window, or the generator stalled"
            )
            raise self.locust.failure(f"{overran.message}: {why}") from None
        self.samples = self.sampler.stop()
        if code != 0:
            raise self.locust.failure(f"Locust {describe_exit(code)}")
        self._faults()

    def collect(self) -> None:
        plan = self.plan
        outcome = read_outcome(self.run_dir)
        fields = measured_fields(plan, outcome)
        fields.update(held_fields(plan, outcome, self.samples))
        first = outcome.timing.get("first_request_start")
        self.first_request = float(first) if first else None
        start, end = window(plan, outcome.timing)
        workers = local_processes(plan)
        loadgen_cores = min(workers, len(plan.cpu["loadgen"] or []) or (os.cpu_count() or 1)) if workers else 1
        for role in ("server", "loadgen", "upstream"):
            cores = loadgen_cores if role == "loadgen" else 1
            fields[f"{role}_resources"] = summarize(self.samples, role, start, end, fields["requests"], cores)
        if self.driver is not None:
            requests = read_request_log(self.run_dir, workers)
            logged = sum(1 for r in requests if start <= r.end < end)
            if logged < LOG_COMPLETE * fields["requests"] - LOG_SLACK:  # Locust's own count of the window
                raise RunFailed(
                    f"Locust's request log holds {logged:,} of the {fields['requests']:,} requests it counted in the"
                    " window: what was measured across the events would be incomplete"
                )
            fields.update(deploy_fields(plan, self.driver, requests, (start, end)))
        if self.server is not None and (queue := summarize_queue(self.sampler.queue, start, end)) is not None:
            fields["queue"] = queue.model_copy(update={"unseen": kind_of(plan.server).queue_unseen(plan.server)})
        if plan.loadgen is not None:
            fields["loadgen"] = LoadgenResult(
                processes=workers or None,
                workers=plan.loadgen.workers,
                worker_requests=outcome.timing.get("worker_requests"),
            )
        if self.upstream is not None and plan.upstream is not None:
            fields["upstream"] = UpstreamResult(
                delay_ms=plan.upstream.delay_ms,
                jitter_ms=plan.upstream.jitter_ms,
                stats=_upstream_stats(self.upstream_url, start, end),
            )
        self.fields = fields

    def teardown(self) -> float:
        self._close_gate()
        self.sampler.stop()
        return stop_all(self.children)

    # -- checks ---------------------------------------------------------------

    def _exited_check(self, process: ManagedProcess, when: str) -> Callable[[], None]:
        def check() -> None:
            if (code := process.poll()) is not None:
                raise process.failure(f"{process.name} {describe_exit(code)} {when}")

        return check

    def _while_measuring(self) -> None:
        """Checked while Locust runs. Once the window is over (Locust wrote its
        timing marks at its test_stop: no request is in flight any more) the
        server is stopped at once, while Locust still writes its reports."""
        if self.window_over:
            return
        if self.driver is not None:
            self.driver.tick()
        self._faults()
        if self._all_users_stopped():
            self.sampler.sample_once()
            self._faults()  # a worker lost up to the window's end still counts
            self.window_over = True
            if self.server is not None and self._may_stop_server_early():
                self.stopping_server = True
                self.server.begin_stop()
            if self.on_window_over is not None:
                self.on_window_over()

    def _may_stop_server_early(self) -> bool:
        """Not under a custom locustfile: its own test_stop hooks may still call the server."""
        return self.plan.scenario.locustfile is None

    def _all_users_stopped(self) -> bool:
        """Each Locust process writes its timing marks once its users are
        stopped; workers on other machines write none here, so with them the
        server waits for Locust's exit."""
        if master_bind(self.plan) is not None or not (self.run_dir / TIMING_FILE).exists():
            return False
        workers = local_processes(self.plan)
        return not workers or len(list(self.run_dir.glob(f"{TIMING_FILE}.worker-*"))) >= workers

    def _faults(self) -> None:
        """Raise on a fault that spoils the run: the server or the upstream
        exited, or a server worker did (unless the config recycles workers)."""
        if self.stopping_server:
            return  # what was measured is complete; the server is being stopped
        for process in (self.server, self.upstream):
            if process is not None and (code := process.poll()) is not None:
                raise process.failure(f"{process.name} {describe_exit(code)} during the run")
        lost = self.sampler.lost("server")
        if self.driver is not None:  # an event's own: the worker killed, those a reload or scale-down stops
            lost = [pid for pid in lost if pid not in self.driver.may_exit]
        if self.server is not None and lost and not recycles_workers(self.plan.server):
            pids = ", ".join(map(str, lost))
            raise self.server.failure(
                f"a server worker (pid {pids}) exited during the run: what was measured is not the configured server"
            )

    # -- the record -----------------------------------------------------------

    def result(self, teardown_s: float, failure: Exception | None, out_dir: Path) -> RunResult:
        plan = self.plan
        # Two wall clocks (Locust's and ours): a clock stepped back mid-run reads 0, never a negative cost.
        start_s = None if self.first_request is None else max(0.0, self.first_request - self.turn_started)
        return RunResult(
            index=plan.index,
            scenario=plan.key.scenario,
            server=plan.key.server,
            mode=plan.mode,
            order=plan.order,
            users=plan.users,
            rate=plan.key.level.rate,
            connections=plan.key.level.connections,
            repeat=plan.repeat,
            status="ok" if failure is None else "error",
            error=None if failure is None else str(failure),  # after teardown: the logs it quotes are complete
            run_dir=str(self.run_dir.relative_to(out_dir)),
            started_at=self.turn_started,
            overhead=Overhead(
                start_s=None if start_s is None else round(start_s, 3),
                teardown_s=round(teardown_s, 3),
                total_s=None if start_s is None else round(start_s + teardown_s, 3),
            ),
            server_kind=plan.server.server,
            server_argv=self.server.argv if self.server is not None else [],
            server_env=self.environments["server"].set_by_suite if "server" in self.environments else {},
            child_env={
                role: ChildEnv(set_by_suite=env.set_by_suite, inherited=sorted(env.inherited))
                for role, env in self.environments.items()
            },
            affinity=Affinity(**plan.cpu),
            settings=RunSettings(warmup_s=plan.warmup_s, duration_s=plan.duration_s, spawn_rate=plan.spawn_rate),
            probe=self.probe,
            search=plan.search,
            **(self.fields if failure is None else {}),
        )


class RunSequence:
    """Plans measured one after another, overlapped where nothing measured
    can suffer: once a run's window is over, the next run's children start
    (a server takes about as long to start as Locust to write its reports
    and the previous server to stop); the next run's gate opens only after
    the previous run's teardown, so no two runs ever send load at once."""

    def __init__(self, suite: Suite, out_dir: Path, token: str) -> None:
        self.suite = suite
        self.out_dir = out_dir
        self.token = token
        self.prepared: Run | None = None
        self.probes: dict[tuple[str, str], ProbeResult] = {}  # (scenario, server) -> its probe

    def _run_for(self, plan: RunPlan) -> Run:
        """The run started ahead for `plan`, or a new one (a run started ahead for another plan is stopped)."""
        if self.prepared is not None and self.prepared.plan is plan:
            return self.prepared
        self.close()
        return Run(plan, self.suite, self.out_dir, self.token, probes=self.probes)

    def _prepare(self, plan: RunPlan, loadgen_only: bool = False, wait_s: float = 0.0) -> None:
        """Start `plan`'s Locust alone (during a warm-up long enough to hide
        its import), or every child not started yet (once a window is over;
        a server on a fixed port waits for its turn: the port is still held)."""
        run = self.prepared = self._run_for(plan)
        if run.start_failure is not None:
            return
        try:
            if loadgen_only or plan.server.port is not None:
                run.start_loadgen(wait_s)
            else:
                run.start()
        except Exception as failure:  # whatever it is, it belongs to that run's turn, not this one's
            run.start_failure = failure

    def run(
        self, plan: RunPlan, next_plan: RunPlan | None = None, on_tick: Callable[[Path], None] | None = None
    ) -> RunResult:
        """Measure `plan`; a failure is recorded in the result, never raised
        (an interrupt is: the suite stops, after the same teardown)."""
        run = self._run_for(plan)
        self.prepared = None
        run.on_tick = on_tick
        run.turn_started = time.time()
        # Remote workers join a master on a fixed address: one run at a time.
        if next_plan is not None and master_bind(plan) is None and master_bind(next_plan) is None:
            if plan.warmup_s >= EARLY_LOADGEN_MIN_WARMUP_S:
                wait_s = plan.warmup_s + plan.duration_s
                run.on_load_started = lambda: self._prepare(next_plan, loadgen_only=True, wait_s=wait_s)
            run.on_window_over = lambda: self._prepare(next_plan)
        failure: Exception | None = run.start_failure
        try:
            if failure is None:
                if not run.started_all:
                    run.start()
                run.ready()
                run.measure()
                run.collect()
        except Interrupted:
            raise
        except (ProcessFailed, RunFailed, OutcomeError, OSError) as caught:
            failure = caught
        except Exception as caught:  # one failure boundary per run: the others still run
            failure = unexpected(caught, run.run_dir)
        finally:
            teardown_s = run.teardown()
        return run.result(teardown_s, failure, self.out_dir)

    def close(self) -> None:
        """Stop a run started ahead of a turn that will not come (interrupted, or the last);
        its folder goes too: a run that never had its turn leaves nothing, as one not started."""
        if self.prepared is not None:
            self.prepared.teardown()
            shutil.rmtree(self.prepared.run_dir, ignore_errors=True)
            self.prepared = None


def run_one(
    plan: RunPlan, suite: Suite, out_dir: Path, token: str, on_tick: Callable[[Path], None] | None = None
) -> RunResult:
    """Measure one plan alone (calibrate)."""
    return RunSequence(suite, out_dir, token).run(plan, on_tick=on_tick)
