"""The children of a run, built one way for the runner, `ui` and `calibrate`:
the server, the upstream, Locust; and the environment each gets.

A child's environment is an allow-list, never the caller's whole environment
(as pyperf's create_environ): the variables a process needs to run (PATH,
HOME, locale, temporary folder, time zone, user), what the suite sets
(PYTHONPATH as it builds it, PYTHONUNBUFFERED, PERFSUITE_TOKEN, UPSTREAM_URL,
the upstream's delay), and the config's own `env:`. Anything else exported by
the caller (GUNICORN_CMD_ARGS, WEB_CONCURRENCY, UVICORN_*, GRANIAN_*,
LOCUST_*, PYTHONPATH, ...) never reaches a child unless a config declares it.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from perfsuite import ROOT
from perfsuite.plan.format import ServerConfig, Suite
from perfsuite.plan.runs import RunPlan
from perfsuite.plan.servers import build_argv, stop_signal
from perfsuite.run.process import WILDCARDS, ManagedProcess, ProcessFailed, check_port, free_port

HOST = "127.0.0.1"


READY_TIMEOUT_S = 30.0
TOKEN_VARIABLE = "PERFSUITE_TOKEN"  # set in every child's environment, to find strays
INHERITED = ("PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TZ", "USER", "LOGNAME", "SYSTEMROOT")
INHERITED_PREFIXES = ("LC_",)


def new_token() -> str:
    """The value of PERFSUITE_TOKEN for the children of this command."""
    return f"{os.getpid()}-{int(time.time() * 1000)}"


@dataclass(frozen=True)
class ChildEnvironment:
    """What a child is given: inherited names (values from the caller) and what the suite set."""

    inherited: dict[str, str] = field(default_factory=dict)
    set_by_suite: dict[str, str] = field(default_factory=dict)

    @property
    def full(self) -> dict[str, str]:
        return {**self.inherited, **self.set_by_suite}


def child_environment(token: str, **variables: str) -> ChildEnvironment:
    caller = os.environ
    inherited = {
        name: value for name, value in caller.items() if name in INHERITED or name.startswith(INHERITED_PREFIXES)
    }
    return ChildEnvironment(inherited, {TOKEN_VARIABLE: token, "PYTHONUNBUFFERED": "1", **variables})


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


def app_dir(plan: RunPlan, suite: Suite) -> Path:
    return (suite.base_dir / plan.server.app_dir).resolve() if plan.server.app_dir else Path.cwd()


def server_environment(plan: RunPlan, suite: Suite, token: str, upstream_url: str = "") -> ChildEnvironment:
    """The server's environment: the app's folder first on PYTHONPATH (then
    a PYTHONPATH the config declares), the upstream's URL, the config's env:."""
    declared = dict(plan.server.env)
    python_path = os.pathsep.join(p for p in (str(app_dir(plan, suite)), declared.pop("PYTHONPATH", "")) if p)
    extra = {"UPSTREAM_URL": upstream_url} if upstream_url else {}
    return child_environment(token, PYTHONPATH=python_path, **extra, **declared)


@dataclass
class ServerChild:
    process: ManagedProcess
    environment: ChildEnvironment
    url: str


def server_process(plan: RunPlan, suite: Suite, log_dir: Path, token: str, upstream_url: str = "") -> ServerChild:
    """The server of a plan, not yet started, with its environment and URL."""
    environment = server_environment(plan, suite, token, upstream_url)
    host, port = server_address(plan.server)
    process = ManagedProcess(
        "server",
        build_argv(plan.server, host, port),
        log_path=log_dir / "server.log",
        env=environment.full,
        cwd=app_dir(plan, suite),
        cpus=plan.cpu["server"],
        stop_signal=stop_signal(plan.server),
    )
    return ServerChild(process, environment, f"http://{WILDCARDS.get(host, host)}:{port}")


def locust_process(
    argv: list[str], run_dir: Path, token: str, cpus: list[int] | None, pass_fds: tuple[int, ...] = ()
) -> tuple[ManagedProcess, ChildEnvironment]:
    environment = child_environment(token)
    process = ManagedProcess(
        "locust",
        argv,
        log_path=run_dir / "locust.log",
        env=environment.full,
        cwd=run_dir,
        cpus=cpus,
        pass_fds=pass_fds,
    )
    return process, environment


def upstream_process(plan: RunPlan, run_dir: Path, token: str, port: int) -> tuple[ManagedProcess, ChildEnvironment]:
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
    environment = child_environment(
        token,
        PYTHONPATH=str(ROOT),
        UPSTREAM_DELAY_MS=str(plan.upstream.delay_ms),
        UPSTREAM_JITTER_MS=str(plan.upstream.jitter_ms),
    )
    process = ManagedProcess(
        "upstream", argv, log_path=run_dir / "upstream.log", env=environment.full, cwd=ROOT, cpus=plan.cpu["upstream"]
    )
    return process, environment
