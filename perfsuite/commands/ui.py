"""`run_suite.py ui FILE --server NAME`: explore a config in Locust's web UI.

Starts the server config(s) exactly as a suite run would (and the scenario's
upstream, if it has one), then Locust's web UI on 127.0.0.1 with the target
host and the scenario's mix preselected (the mix stays editable in the start
form), or the scenario's own locustfile. Several configs each get their own port; the UI's host field switches
between them. Ctrl-C tears everything down through the one stop path.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import sys
from pathlib import Path

import psutil

from perfsuite.conduct.common import EXIT_FAILED, EXIT_INVALID, error, load, stamped
from perfsuite.judge.capacity import DEFAULT_START
from perfsuite.plan.format import Suite
from perfsuite.plan.hosts import bind_problem
from perfsuite.plan.runs import RunPlan, build_plan, build_searches
from perfsuite.run.children import HOST, READY_TIMEOUT_S, locust_process, new_token, server_process, upstream_process
from perfsuite.run.lifecycle import STOP, Interrupted
from perfsuite.run.loadgen import MIX_ARGUMENT_LIMIT, locustfiles_for, mix_arguments, open_arguments
from perfsuite.run.process import WILDCARDS, ManagedProcess, ProcessFailed, describe_exit, free_port, kill_all, stop_all

DEFAULT_UI_PORT = 8089


class UiError(Exception):
    pass


class UiInputError(UiError):
    """A name that is not in the file: nothing was started."""


def _plan_for(suite: Suite, scenario_name: str | None, server: str) -> RunPlan:
    # A capacity search's config opens at the search's first rate; the form's rate is editable.
    searches = [search.at(DEFAULT_START, 0) for search in build_searches(suite)]
    plans = [p for p in build_plan(suite) + searches if p.server_name == server and p.mode in ("steady", "open")]
    if scenario_name is not None:
        plans = [p for p in plans if p.scenario.name == scenario_name]
    if not plans:
        where = f"scenario {scenario_name!r}" if scenario_name else "any steady or open scenario"
        raise UiInputError(f"server {server!r} is not in {where} of {suite.source.name}")
    return plans[0]


def explore(
    suite: Suite,
    servers: list[str],
    scenario: str | None,
    ui_port: int,
    log_dir: Path,
    ready: list[str] | None = None,
    web_host: str = HOST,
) -> int:
    """Run until Ctrl-C; returns the exit code. `ready` receives the UI URL once it is up (for tests)."""
    unknown = [s for s in servers if s not in suite.declared.servers]
    if unknown:
        raise UiInputError(f"unknown server(s) {', '.join(unknown)}; the file has {', '.join(suite.declared.servers)}")
    plans = [_plan_for(suite, scenario, server) for server in servers]
    token = new_token()
    log_dir.mkdir(parents=True, exist_ok=True)
    processes: list[ManagedProcess] = []
    STOP.install(force=kill_all)
    try:
        upstream_url = ""
        first = plans[0]
        if first.upstream is not None:
            port = free_port(HOST)
            upstream_url = f"http://{HOST}:{port}"
            upstream, _ = upstream_process(first, log_dir, token, port)
            processes.append(upstream)
            upstream.start()
            upstream.wait_ready(f"{upstream_url}/__stats", READY_TIMEOUT_S)
        urls = []
        for plan in plans:
            server_dir = log_dir / plan.server_name
            server_dir.mkdir(exist_ok=True)
            child = server_process(plan, suite, server_dir, token, upstream_url)
            processes.append(child.process)
            child.process.start()
            child.process.wait_ready(f"{child.url}/", plan.server.ready_timeout)
            urls.append((plan.server_name, child.url))
        argv = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            locustfiles_for(first, suite.base_dir),  # mix.py, or the scenario's own locustfile
            "-H",
            urls[0][1],
            "--web-host",
            web_host,
            "--web-port",
            str(ui_port),
            "-u",
            str(first.users),
            "-r",
            f"{first.spawn_rate:g}",
            *mix_arguments(first, log_dir, inline_limit=MIX_ARGUMENT_LIMIT),
            *open_arguments(first, None),  # the rate stays editable in the start form
        ]
        locust, _ = locust_process(argv, log_dir, token, first.cpu["loadgen"])
        processes.append(locust)
        locust.start()
        ui_url = f"http://{WILDCARDS.get(web_host, web_host)}:{ui_port}"
        locust.wait_ready(ui_url, READY_TIMEOUT_S)
        bound = bound_addresses(locust.pid, ui_port) or [web_host]
        beyond = [host for host in bound if not loopback(host)]
        shown = f"http://{bound[0]}:{ui_port}" if len(bound) == 1 else f"port {ui_port} on {', '.join(bound)}"
        reach = f"; here: {ui_url}" if beyond else ""
        print(f"Locust web UI: {shown}   (scenario {first.scenario.name}{reach}; Ctrl-C stops everything)")
        for name, url in urls:
            print(f"  {name}: {url}")
        if first.scenario.events:
            print("  (the scenario's events: are not done here: the web UI explores; run the suite for them)")
        print(f"logs: {log_dir}/", flush=True)
        if ready is not None:
            ready.append(ui_url)
        while True:
            code = locust.wait(timeout_s=365 * 86_400)
            raise locust.failure(f"Locust {describe_exit(code)}")
    except Interrupted:
        return 0
    except ProcessFailed as failure:
        raise UiError(str(failure)) from None
    finally:
        stop_all(processes)


def loopback(host: str) -> bool:
    """Whether an address is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bound_addresses(pid: int, port: int) -> list[str]:
    """The addresses the process `pid` (or a child of it) listens on at `port`, as the kernel has them."""
    found: list[str] = []
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        for proc in (process, *process.children(recursive=True)):
            with contextlib.suppress(psutil.Error):
                found += [
                    c.laddr.ip for c in proc.net_connections("inet") if c.status == "LISTEN" and c.laddr.port == port
                ]
    return sorted(set(found))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py ui", description="Explore server configs in Locust's web UI.")
    parser.add_argument("file")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--server", help="the server config to start")
    which.add_argument("--servers", help="several configs, comma-separated, or 'all'")
    parser.add_argument("--scenario", help="whose mix or locustfile to use (default: the first steady or open one)")
    parser.add_argument("--port", type=int, default=DEFAULT_UI_PORT, help=f"web UI port (default {DEFAULT_UI_PORT})")
    parser.add_argument(
        "--web-host", default="127.0.0.1", help="address the web UI binds (default 127.0.0.1; 0.0.0.0 opens it)"
    )
    parser.add_argument("--logs", help="where server and Locust logs go (default: reports/ui-<timestamp>/)")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65_535:  # checked before anything starts
        error(f"--port must be 1..65535, got {args.port}")
        return EXIT_INVALID
    if (problem := bind_problem(args.web_host)) is not None:
        error(f"--web-host {args.web_host}: cannot listen there ({problem.strerror or problem})")
        return EXIT_INVALID
    if not loopback(args.web_host):
        reach = "every interface of this machine" if args.web_host == "0.0.0.0" else args.web_host
        print(
            f"WARNING: --web-host {args.web_host}: the web UI will listen on {reach}, with no login:"
            " anyone who can reach it can start load from this machine and stop it",
            file=sys.stderr,
        )
    suite = load(args.file)
    if suite is None:
        return EXIT_INVALID
    if args.server:
        servers = [args.server]
    elif args.servers == "all":
        servers = list(suite.declared.servers)
    else:
        servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    logs = Path(args.logs).resolve() if args.logs else stamped("ui")
    try:
        return explore(suite, servers, args.scenario, args.port, logs, web_host=args.web_host)
    except UiError as failure:
        error(str(failure))
        return EXIT_INVALID if isinstance(failure, UiInputError) else EXIT_FAILED
    except OSError as failure:  # its logs folder or the mix's file could not be written; all is stopped
        error(str(failure))
        return EXIT_FAILED
