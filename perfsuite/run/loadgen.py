"""Locust as a subprocess: its argv for a run, and reading back what it wrote.

Locust runs in its own process (importing it monkey-patches everything with
gevent). Final numbers come from its --json-file output, never from the last
_stats.csv, which a 1 s timer rewrites and shutdown does not refresh.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfsuite import ROOT
from perfsuite.io.files import read_text, write_file
from perfsuite.plan.runs import RunPlan, loadgen_processes
from perfsuite.record import request_errors
from perfsuite.record.deploy import Request, parse_log
from perfsuite.record.histogram import EndpointStats, endpoints_from_locust_json
from perfsuite.record.results import RequestError

LOCUSTFILES = ROOT / "locustfiles"
LOCUST_PREFIX = "locust"  # locust_stats.csv, locust_stats_history.csv, locust.json, ...
TIMING_FILE = "timing.json"
OPEN_FILE = "open.json"  # open mode: offered, completed, failed, unfinished, send latency, schedule lag
STREAM_FILE = "stream.json"  # stream mode: counts, TTFB, gaps, TTLB, held every 0.1 s
WEBSOCKET_FILE = "websocket.json"  # websocket mode: sent, received, lost, round trips or deliveries, held
ERRORS_FILE = "locust_errors.json"  # the window's failed requests, final (Locust's failures CSV lags)
MIX_FILE = "mix.json"
REQUEST_LOG = "requests.csv"  # with events or recycling: every request's timing (REQUEST_LOG.start: the window's start)
MIX_ARGUMENT_LIMIT = 64 * 1024  # a mix up to this size may travel as an argument (the web UI can edit it)
DEFAULT_MAX_IN_FLIGHT = 1000
GRACE_S = 30.0  # Locust start-up and shutdown beyond the planned time


def locustfiles_for(plan: RunPlan, base_dir: Path) -> str:
    if plan.mode == "burst":
        return str(LOCUSTFILES / "burst.py")
    if plan.mode in ("open", "stream", "websocket"):
        return str(LOCUSTFILES / f"{plan.mode}.py")
    if plan.scenario.locustfile is not None:
        own = (base_dir / plan.scenario.locustfile).resolve()
        return f"{LOCUSTFILES / '_window.py'},{own}"
    return str(LOCUSTFILES / "mix.py")


WORKERS_WAIT_S = 300.0
DEFAULT_MASTER_BIND = "127.0.0.1:5557"


def local_processes(plan: RunPlan) -> int:
    """Locust worker processes on this machine (0: Locust runs in one process)."""
    return loadgen_processes(plan.loadgen, plan.cpu)


def master_bind(plan: RunPlan) -> tuple[str, int] | None:
    if plan.loadgen is None or plan.loadgen.workers is None:
        return None
    host, port = (plan.loadgen.master_bind or DEFAULT_MASTER_BIND).rsplit(":", 1)
    return host, int(port)


def worker_command(plan: RunPlan) -> str | None:
    """What to run on each worker machine, from a checkout of this repository."""
    bind = master_bind(plan)
    if bind is None:
        return None
    locustfile = f"{plan.mode}.py" if plan.mode in ("open", "stream", "websocket") else "mix.py"
    return f"locust -f locustfiles/{locustfile} --worker --master-host {bind[0]} --master-port {bind[1]}"


def loadgen_arguments(plan: RunPlan, master_port: int | None = None) -> list[str]:
    """Locust's processes or master. Local worker processes talk to their
    master on loopback, on a port of the run's own (`master_port`): two runs'
    Locusts may be up at once, and Locust's default 5557 on all interfaces
    would let the next run's workers join this run's master."""
    processes = local_processes(plan)
    if processes:
        argv = ["--processes", str(processes), "--master-bind-host", "127.0.0.1"]
        if master_port is not None:
            argv += ["--master-bind-port", str(master_port), "--master-port", str(master_port)]
        return argv
    bind = master_bind(plan)
    if bind is not None and plan.loadgen is not None:
        return [
            "--master",
            "--master-bind-host",
            bind[0],
            "--master-bind-port",
            str(bind[1]),
            "--expect-workers",
            str(plan.loadgen.workers),
            "--expect-workers-max-wait",
            f"{WORKERS_WAIT_S:g}",
        ]
    return []


def logs_requests(plan: RunPlan) -> bool:
    """Every request is logged where the server changes under load as declared: events, or max_requests
    (not on Locust workers elsewhere: their logs stay on their machines)."""
    if plan.mode not in ("steady", "open") or (plan.loadgen is not None and plan.loadgen.workers is not None):
        return False
    return bool(plan.scenario.events) or plan.server.max_requests is not None


REQUEST_LOG_WAIT_S = 10.0  # Locust's local workers write theirs as they quit


def read_request_log(run_dir: Path, workers: int = 0) -> list[Request]:
    """Every request Locust logged, its `workers` local processes' logs too (each written whole: waited
    for up to REQUEST_LOG_WAIT_S); OutcomeError if one is missing or cannot be read."""
    deadline = time.monotonic() + REQUEST_LOG_WAIT_S
    while workers and len(list(run_dir.glob(f"{REQUEST_LOG}.worker-*[0-9]"))) < workers:
        if time.monotonic() > deadline:
            raise OutcomeError(f"{workers} Locust workers were to write {REQUEST_LOG}.worker-PID; some did not")
        time.sleep(0.05)
    found: list[Request] = []
    paths = [*sorted(run_dir.glob(f"{REQUEST_LOG}.worker-*[0-9]"))] if workers else [run_dir / REQUEST_LOG]
    for path in paths:
        if not path.exists():
            raise OutcomeError(f"Locust wrote no {path.name}")
        try:
            found += parse_log(read_text(path))
        except (OSError, ValueError) as error:
            raise OutcomeError(f"cannot read Locust's {path.name}: {error}") from None
    return found


def time_limit_s(plan: RunPlan) -> float:
    """How long the suite lets Locust run before calling it hung."""
    waiting = WORKERS_WAIT_S if master_bind(plan) is not None else 0.0
    return plan.warmup_s + plan.duration_s + GRACE_S + waiting


def locust_argv(
    plan: RunPlan,
    url: str,
    run_dir: Path,
    base_dir: Path,
    gate_fd: int | None = None,
    gate_timeout_s: float = 600.0,
    master_port: int | None = None,
) -> list[str]:
    """Locust's argv for a run; with `gate_fd` it waits until the suite
    writes the server's URL to that pipe before it starts."""
    prefix = str(run_dir / LOCUST_PREFIX)
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        locustfiles_for(plan, base_dir),
        "--headless",
        "-H",
        url,
        "-u",
        str(plan.users),
        "-r",
        f"{plan.spawn_rate:g}",
        # Locust's own limit is a backstop only; _window.py ends the run on time.
        "-t",
        f"{math.ceil(plan.warmup_s + plan.duration_s) + 10}s",
        "--csv",
        prefix,
        "--csv-full-history",
        "--json-file",
        prefix,
        "--html",
        str(run_dir / "locust.html"),
        "--only-summary",
        "--exit-code-on-error",
        "0",  # failures are data; a non-zero exit means Locust broke
        "--timing-file",
        str(run_dir / TIMING_FILE),
        "--errors-file",
        str(run_dir / ERRORS_FILE),
    ]
    if gate_fd is not None:
        argv += ["--start-gate-fd", str(gate_fd), "--start-gate-timeout", f"{gate_timeout_s:g}"]
    argv += loadgen_arguments(plan, master_port)
    if plan.mode == "burst":
        argv += ["--order", plan.order or "sequential"]
    else:
        argv += ["--warmup", f"{plan.warmup_s:g}", "--duration", f"{plan.duration_s:g}"]
    if logs_requests(plan):
        argv += ["--request-log", str(run_dir / REQUEST_LOG)]
    argv += open_arguments(plan, run_dir / OPEN_FILE)
    argv += stream_arguments(plan, run_dir / STREAM_FILE)
    argv += websocket_arguments(plan, run_dir / WEBSOCKET_FILE)
    return argv + mix_arguments(plan, run_dir)


def websocket_arguments(plan: RunPlan, stats_file: Path | None) -> list[str]:
    """Websocket mode's options for locustfiles/websocket.py, and the user classes to run."""
    spec = plan.websocket_json()
    if spec is None:
        return []
    fan_out = plan.scenario.websocket is not None and plan.scenario.websocket.fan_out
    argv = ["--websocket", spec, "--connections", str(plan.key.level.connections)]
    argv += ["--ws-stats-file", str(stats_file)] if stats_file is not None else []
    return argv + (["PublisherUser", "SubscriberUser"] if fan_out else ["EchoUser"])


def stream_arguments(plan: RunPlan, stats_file: Path | None) -> list[str]:
    """Stream mode's options for locustfiles/stream.py, and the user classes to run (none for other modes)."""
    stream = plan.stream_json()
    if stream is None:
        return []
    argv = ["--stream", stream, "--connections", str(plan.connections)]
    argv += ["--stream-stats-file", str(stats_file)] if stats_file is not None else []
    return argv + ["StreamUser"] + (["BesideUser"] if plan.scenario.mix else [])


def open_arguments(plan: RunPlan, stats_file: Path | None) -> list[str]:
    """Open mode's options for locustfiles/open.py (none for other modes)."""
    if plan.mode != "open":
        return []
    argv = [
        "--rate",
        f"{plan.rate:g}",
        "--arrival",
        plan.scenario.arrival or "constant",
        "--max-in-flight",
        str(plan.scenario.max_in_flight or DEFAULT_MAX_IN_FLIGHT),
    ]
    return argv + (["--open-stats-file", str(stats_file)] if stats_file is not None else [])


def mix_arguments(plan: RunPlan, folder: Path, inline_limit: int = 0) -> list[str]:
    """The mix for Locust: in a file in `folder` (an argument is bounded by the
    kernel's limit), or as `--mix` itself when no longer than `inline_limit`."""
    mix = plan.mix_json()
    if mix is None:
        return []
    if len(mix.encode("utf-8")) <= inline_limit:
        return ["--mix", mix]
    return ["--mix-file", str(write_file(folder / MIX_FILE, mix))]


@dataclass(frozen=True)
class LoadOutcome:
    endpoints: dict[str, EndpointStats]
    timing: dict[str, Any]
    errors: list[RequestError]
    open: dict[str, Any] | None = None  # open mode: what open.py wrote
    stream: dict[str, Any] | None = None  # stream mode: what stream.py wrote
    websocket: dict[str, Any] | None = None  # websocket mode: what websocket.py wrote


class OutcomeError(Exception):
    pass


def read_outcome(run_dir: Path) -> LoadOutcome:
    try:
        data = json.loads(read_text(run_dir / f"{LOCUST_PREFIX}.json"))
        timing = json.loads(read_text(run_dir / TIMING_FILE))
        workers = [json.loads(read_text(p)) for p in sorted(run_dir.glob(f"{TIMING_FILE}.worker-*"))]
    except FileNotFoundError as error:
        raise OutcomeError(f"Locust wrote no {Path(error.filename).name}") from None
    except (OSError, ValueError) as error:
        raise OutcomeError(f"cannot read Locust's output: {error}") from None
    if workers:  # requests happen on the workers; the master keeps the window
        firsts = [w["first_request_start"] for w in workers if w.get("first_request_start")]
        lasts = [w["last_response_end"] for w in workers if w.get("last_response_end")]
        timing = {
            **timing,
            "first_request_start": min(firsts, default=None),
            "last_response_end": max(lasts, default=None),
            "completed": sum(w.get("completed", 0) for w in workers),
            "worker_requests": [w.get("completed", 0) for w in workers],
        }
    try:
        endpoints = endpoints_from_locust_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise OutcomeError(f"cannot read Locust's {LOCUST_PREFIX}.json: {type(error).__name__}: {error}") from None
    return LoadOutcome(
        endpoints=endpoints,
        timing=timing,
        errors=_errors(run_dir),
        open=_written(run_dir, OPEN_FILE),
        stream=_written(run_dir, STREAM_FILE),
        websocket=_written(run_dir, WEBSOCKET_FILE),
    )


def _written(run_dir: Path, name: str) -> dict[str, Any] | None:
    """A mode's own output (open.json, stream.json), if its locustfile wrote one."""
    path = run_dir / name
    if not path.exists():
        return None
    try:
        data = json.loads(read_text(path))
    except (OSError, ValueError) as error:
        raise OutcomeError(f"cannot read {name}: {error}") from None
    if not isinstance(data, dict):
        raise OutcomeError(f"cannot read {name}: not a JSON object")
    return data


def _errors(run_dir: Path) -> list[RequestError]:
    path = run_dir / ERRORS_FILE
    if not path.exists():  # a custom locustfile may quit before _window.py writes it
        return []
    try:
        return request_errors.parse(json.loads(read_text(path)))
    except (OSError, ValueError) as error:
        raise OutcomeError(f"cannot read Locust's {ERRORS_FILE}: {error}") from None
