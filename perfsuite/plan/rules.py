"""The scenario file's rules across fields, one function per section: a
server config, a scenario's mode, its mix, its load generator, its
objectives (SLO and capacity), and warnings. Each returns (path, message)
pairs; the loader gives them their lines. Checks against this machine
(files, interpreters, modules) are perfsuite.plan.preflight's.
"""

from __future__ import annotations

from pathlib import Path

from perfsuite.io.limits import open_file_limit
from perfsuite.plan.affinity import resolve_layout
from perfsuite.plan.format import (
    AUTO,
    MAX_WORKERS,
    Event,
    LoadgenSettings,
    Scenario,
    ServerConfig,
    Slo,
    SuiteFile,
)
from perfsuite.plan.hosts import bind_problem
from perfsuite.plan.interpreters import located
from perfsuite.plan.messages import did_you_mean
from perfsuite.plan.objectives import objective_problems
from perfsuite.plan.preflight import app_problems, cpu_problems, interpreter_problems, locustfile_problem, missing
from perfsuite.plan.problems import PathKey
from perfsuite.plan.runs import beyond_generator, loadgen_processes, objective_of, senders_of
from perfsuite.plan.servers import (
    KIND_OPTIONS,
    LOOPS,
    SERVER_KINDS,
    WORKER_CLASS_OPTIONS,
    ask_all,
    cannot,
    overridden,
    serves,
    workers_as_events_leave,
)

Found = list[tuple[PathKey, str]]
BURST_LIMIT = 10_000  # requests one burst may send
MIN_EVENT_AT_S = 0.5  # an event's before: the measured time it is compared with
EPSILON_S = 1e-6  # 4.1 - 3.1 is 0.9999999999999996 in floating point: a second all the same
EVENT_SPACING_S = 1.0  # after an event, before the next or the window's end: what it did is measured there


def problems(
    declared: SuiteFile, base_dir: Path, positions: list[int] | None = None, server_names: set[str] | None = None
) -> Found:
    """Every rule across fields, on the whole file; on a partly valid file, `positions`
    are its valid scenarios' places in it and `server_names` every server name it declares."""
    server_names = set(declared.servers) if server_names is None else server_names
    found = cpu_problems(declared.defaults.cpu, ("defaults",)) + _slo_problems(
        declared.defaults.slo, ("defaults", "slo")
    )
    # Every interpreter named is asked once, all at once (a config's check then reads the answer).
    ask_all([located(s.python, base_dir) for s in declared.servers.values() if s.python and s.server != "external"])
    for name, server in declared.servers.items():
        found += server_problems(name, server, base_dir)
    seen: dict[str, int] = {}
    for index, scenario in zip(positions or range(len(declared.scenarios)), declared.scenarios, strict=True):
        at: PathKey = ("scenarios", index)
        found += cpu_problems(scenario.cpu, at)
        if scenario.name in seen:
            found.append(
                ((*at, "name"), f"duplicate scenario name {scenario.name!r} (also scenarios.{seen[scenario.name]})")
            )
        seen.setdefault(scenario.name, index)
        for position, server_name in enumerate(scenario.servers or []):
            if server_name not in server_names:
                hint = did_you_mean(server_name, sorted(server_names))
                found.append(((*at, "servers", position), f"unknown server {server_name!r}{hint}"))
        found += _mode_problems(declared, scenario, at, base_dir)
        found += _mix_problems(scenario, at)
        found += _loadgen_problems(declared, scenario, at)
        found += _endpoint_problems(declared, scenario, at)
        found += _objective_problems(declared, scenario, at)
        found += _event_problems(declared, scenario, at)
    return found


def server_problems(name: str, server: ServerConfig, base_dir: Path) -> Found:
    """One server config's rules across its fields, and its checks against this machine:
    its kind's settings, its interpreter, its app_dir, its app's module and interface."""
    if server.server not in SERVER_KINDS:  # the registry holds the kinds: nothing else can be checked
        names = list(SERVER_KINDS)
        choices = ", ".join(map(repr, names[:-1])) + f" or {names[-1]!r}"
        hint = did_you_mean(server.server, names)
        return [(("servers", name, "server"), f"must be one of {choices}, got {server.server!r}{hint}")]
    kind = SERVER_KINDS[server.server]
    external = kind.build_argv is None
    at: PathKey = ("servers", name)
    found: Found = []
    if external and server.url is None:
        found.append((at, "server: external needs url: (e.g. http://10.0.0.5:8000)"))
    if not external and server.app is None:
        found.append((at, "needs app: (module.path:attribute)"))
    if not external and server.url is not None:
        found.append(((*at, "url"), "is only for server: external (the suite starts this one)"))
    if not external and server.python is not None:
        found += interpreter_problems(name, server, base_dir)
    for option in (*KIND_OPTIONS, "app", "app_dir", "python"):
        if external and getattr(server, option) not in (None, 1) and option != "url":
            found.append(((*at, option), "does not apply to server: external (the suite does not start it)"))
        elif option in KIND_OPTIONS and getattr(server, option) is not None and option not in kind.options:
            found.append(((*at, option), f"is not a setting of server {server.server!r}"))
    return found + _server_settings_problems(server, at) + app_problems(name, server, base_dir)


def _server_settings_problems(server: ServerConfig, at: PathKey) -> Found:
    """Settings that hold only together with others, where to listen, and what args: and env: may set."""
    found: Found = []
    for option, worker_class in WORKER_CLASS_OPTIONS.items():
        if getattr(server, option) is not None and (server.worker_class or "sync") != worker_class:
            found.append(((*at, option), f"needs worker_class: {worker_class}"))
    if server.server == "granian" and (server.blocking_threads or 1) > 1 and (server.interface or "asgi") != "wsgi":
        found.append(((*at, "blocking_threads"), "granian runs more than one blocking thread for interface: wsgi only"))
    if server.loop is not None and server.server in LOOPS and server.loop not in LOOPS[server.server]:
        found.append(((*at, "loop"), f"{server.server} takes one of {', '.join(LOOPS[server.server])}"))
    if server.host is not None and (error := bind_problem(server.host)) is not None:
        found.append(((*at, "host"), f"cannot listen on {server.host} here ({error.strerror or error})"))
    if server.max_requests_jitter is not None and server.max_requests is None:
        found.append(((*at, "max_requests_jitter"), "needs max_requests: (the jitter is added to it)"))
    for setting in ("max_requests", "max_requests_jitter"):
        if SERVER_KINDS[server.server].build_argv is None:
            if getattr(server, setting) is not None:
                found.append(((*at, setting), "does not apply to server: external (the suite does not start it)"))
            continue
        if getattr(server, setting) is not None and (why := cannot(server, setting)) is not None:
            found.append(((*at, setting), why))
    for where, text, flag, field_instead in overridden(server):
        found.append(((*at, *where), f"{text!r} would override what the suite sets ({flag}); declare {field_instead}"))
    return found


def _mode_problems(declared: SuiteFile, scenario: Scenario, at: PathKey, base_dir: Path) -> Found:
    """What a scenario sends (a mix or its own locustfile) and the fields its mode takes."""
    found: Found = []
    if scenario.mode == "stream":
        return found + _stream_problems(declared, scenario, at)
    if scenario.mode == "websocket":
        return found + _websocket_problems(declared, scenario, at)
    for field, modes in (("connections", "stream and websocket"), ("stream", "stream"), ("websocket", "websocket")):
        if getattr(scenario, field) is not None:
            found.append(((*at, field), f"applies to {modes} mode only (mode: {modes.split()[0]})"))
    if (scenario.mix is None) == (scenario.locustfile is None):
        found.append((at, "needs exactly one of mix or locustfile"))
    if scenario.locustfile is not None:
        if scenario.mode in ("burst", "open"):
            found.append(((*at, "locustfile"), f"{scenario.mode} mode needs a mix, not a locustfile"))
        if why := missing(base_dir / scenario.locustfile, "file"):
            found.append(((*at, "locustfile"), f"file {scenario.locustfile!r} {why}"))
        elif problem := locustfile_problem(base_dir / scenario.locustfile):
            found.append(((*at, "locustfile"), f"{scenario.locustfile!r} {problem}"))
    if scenario.mode == "burst":
        for field in ("users", "spawn_rate", "warmup", "duration"):
            if getattr(scenario, field) is not None:
                found.append(((*at, field), "does not apply to burst mode (each request is sent once)"))
        total = sum(entry.count or 1 for entry in scenario.mix or [])
        if total > BURST_LIMIT:
            found.append(((*at, "mix"), f"a burst may send at most {BURST_LIMIT} requests, got {total}"))
    elif scenario.order is not None:
        found.append(((*at, "order"), "applies to burst mode only"))
    if scenario.mode == "open":
        return found + _open_problems(declared, scenario, at)
    for field in ("rate", "arrival", "max_in_flight", "capacity"):
        if getattr(scenario, field) is not None:
            found.append(((*at, field), "applies to open mode only (mode: open)"))
    return found


FILES_PER_CONNECTION = 1  # each held stream is a socket in Locust (the server's are in its own processes)
FILES_SPARE = 256  # Locust's own files: its logs, CSVs, imports, its master's sockets


def _stream_problems(declared: SuiteFile, scenario: Scenario, at: PathKey) -> Found:
    found: Found = []
    if scenario.stream is None:
        found.append((at, 'stream mode needs stream: (the route each connection opens, e.g. {path: "/stream"})'))
    if scenario.connections is None:
        found.append((at, "stream mode needs connections: (streams held at once, or a list of them)"))
    if scenario.locustfile is not None:
        found.append(((*at, "locustfile"), "stream mode takes stream: (and a mix beside it), not a locustfile"))
    for field in ("rate", "arrival", "max_in_flight", "order", "websocket"):
        if getattr(scenario, field) is not None:
            found.append(((*at, field), "does not apply to stream mode"))
    if scenario.users is not None and scenario.mix is None:
        found.append(((*at, "users"), "stream mode: users send the mix beside the streams; there is no mix"))
    found += _connection_search_problems(scenario, at)
    return found + _file_problems(declared, scenario, at, declared_connections(scenario))


STREAM_OBJECTIVES = ("gap_p99_ms", "ttfb_p99_ms", "error_rate")


def _connection_search_problems(scenario: Scenario, at: PathKey) -> Found:
    """connections: auto needs an objective of a stream's own figures; capacity: needs the search."""
    capacity = scenario.capacity
    if scenario.connections == AUTO and capacity is None:
        return [((*at, "connections"), 'auto needs an objective: capacity: {gap_p99_ms: "< 200"}')]
    if capacity is None:
        return []
    if scenario.connections != AUTO:
        return [((*at, "capacity"), "applies to connections: auto only (a search for the most connections held)")]
    given = capacity.model_dump(exclude_none=True)
    found: Found = [
        ((*at, "capacity", name), f"does not apply to a connections search (it takes {', '.join(STREAM_OBJECTIVES)})")
        for name in given
        if name not in STREAM_OBJECTIVES
    ]
    if not given:
        found.append(((*at, "capacity"), "needs at least one objective (gap_p99_ms, ttfb_p99_ms, error_rate)"))
    return found + objective_problems(capacity, (*at, "capacity"), capacity=True)


def _websocket_problems(declared: SuiteFile, scenario: Scenario, at: PathKey) -> Found:
    found: Found = []
    spec = scenario.websocket
    if spec is None:
        found.append((at, 'websocket mode needs websocket: (e.g. {path: "/ws/echo", rate: 10})'))
    elif spec.fan_out and scenario.connections is not None:
        found.append(((*at, "connections"), "a fan-out holds websocket.subscribers connections (and a publisher)"))
    elif not spec.fan_out and scenario.connections is None:
        found.append((at, "websocket echo needs connections: (or websocket.subscribers for a fan-out)"))
    if scenario.connections == AUTO:
        found.append(((*at, "connections"), "auto applies to stream mode (a search for the most streams held)"))
    if spec is not None and not spec.fan_out and spec.publisher is not None:
        found.append(((*at, "websocket", "publisher"), "applies to a fan-out (websocket.subscribers) only"))
    for field in ("rate", "arrival", "max_in_flight", "capacity", "order", "stream", "mix", "locustfile", "users"):
        if getattr(scenario, field) is not None:
            found.append(((*at, field), "does not apply to websocket mode"))
    for name in scenario.servers or list(declared.servers):
        server = declared.servers.get(name)
        if server is not None and server.server != "external" and not _serves_asgi(server):
            found.append(
                ((*at, "servers"), f"{name} serves WSGI ({_config_text(server)}): WebSockets need an ASGI server")
            )
    held = ([spec.subscribers + 1] if spec.fan_out and spec.subscribers else []) if spec is not None else []
    return found + _file_problems(declared, scenario, at, held or declared_connections(scenario))


def declared_connections(scenario: Scenario) -> list[int]:
    """The connections a scenario declares (none for auto: its search stays within the file limit)."""
    return list(scenario.connections) if isinstance(scenario.connections, list) else []


def _serves_asgi(server: ServerConfig) -> bool:
    return server.interface != "wsgi" and "asgi" in serves(server)


def _config_text(server: ServerConfig) -> str:
    if server.server == "gunicorn":
        return f"gunicorn {server.worker_class or 'sync'}"
    return f"{server.server} interface: wsgi" if server.interface == "wsgi" else server.server


def _file_problems(declared: SuiteFile, scenario: Scenario, at: PathKey, held: list[int]) -> Found:
    """Connections the open-file limit cannot hold: each is a socket in a Locust process."""
    limit = open_file_limit()
    layout = resolve_layout(scenario.cpu, declared.defaults.cpu)
    processes = max(1, loadgen_processes(declared.setting(scenario, "loadgen"), layout))
    for connections in held:
        if connections * FILES_PER_CONNECTION / processes + FILES_SPARE > limit:
            return [
                (
                    (*at, "connections"),
                    f"{connections:,} connections need about {connections // processes + FILES_SPARE:,} open files"
                    f" per Locust process; this machine allows {limit:,} (ulimit -n, raised to -Hn): lower it, or"
                    " spread the load over more Locust processes (loadgen: {processes: N})",
                )
            ]
    return []


def _open_problems(declared: SuiteFile, scenario: Scenario, at: PathKey) -> Found:
    found: Found = []
    if scenario.rate is None:
        found.append((at, "open mode needs rate: (requests per second offered, or a list of them)"))
    for field in ("users", "spawn_rate"):
        if getattr(scenario, field) is not None:
            found.append(((*at, field), "does not apply to open mode (arrivals wait for no user): use rate:"))
    if scenario.rate == AUTO and objective_of(declared, scenario) is None:
        found.append(
            (
                (*at, "rate"),
                'auto needs an objective: capacity: {p99_ms: "< 500"}, or an slo: with a latency or error_rate',
            )
        )
    streams_only = [m for m in ("gap_p99_ms", "ttfb_p99_ms") if scenario.capacity and getattr(scenario.capacity, m)]
    for metric in streams_only:
        found.append(((*at, "capacity", metric), "applies to stream mode's connections: auto only"))
    if scenario.capacity is not None and scenario.rate != AUTO:
        found.append(((*at, "capacity"), "applies to rate: auto only (a capacity search)"))
    elif scenario.capacity is not None and not scenario.capacity.model_dump(exclude_none=True):
        found.append(((*at, "capacity"), "needs at least one objective (p99_ms, error_rate, ...)"))
    return found


def _event_problems(declared: SuiteFile, scenario: Scenario, at: PathKey) -> Found:
    """Events under load: modes that hold them, times inside the window, and what each server can do."""
    found: Found = []
    if not scenario.events:
        for field in ("max_failed_per_event", "recover_within"):
            if field in scenario.model_fields_set:
                found.append(((*at, field), "applies with events: only"))
        return found
    if scenario.mode not in ("steady", "open"):
        return [((*at, "events"), f"apply to steady and open modes only, not {scenario.mode} mode")]
    if scenario.rate == AUTO:
        return [((*at, "events"), "apply to runs at a declared rate, not to a capacity search (rate: auto)")]
    loadgen = declared.setting(scenario, "loadgen")
    if loadgen is not None and loadgen.workers is not None:
        return [((*at, "events"), "need every request's timing, which Locust workers on other machines do not send")]
    duration = float(declared.setting(scenario, "duration"))
    names = scenario.servers or list(declared.servers)
    configs = {name: declared.servers[name] for name in names if name in declared.servers}
    ordered = sorted(enumerate(scenario.events), key=lambda item: item[1].at)
    last = None
    for index, event in ordered:
        where: PathKey = (*at, "events", index)
        if (why := _event_time_problem(event.at, last, duration)) is not None:
            found.append(((*where, "at"), why))
        last = event.at
        if event.do == "scale" and not event.workers:
            found.append(((*where, "workers"), "scale needs workers: +N or -N (not 0)"))
        elif event.do != "scale" and event.workers is not None:
            found.append(((*where, "workers"), "applies to do: scale only"))
        if event.seed is not None and event.do != "kill_worker":
            found.append(((*where, "seed"), "applies to do: kill_worker only"))
        for name, config in configs.items():
            if (why := _event_server_problem(name, config, event)) is not None:
                found.append(((*where, "do"), why))
    for name, config in configs.items():  # the workers each event leaves, where the kind can do them all
        if all(_event_server_problem(name, config, event) is None for _, event in ordered):
            counts = workers_as_events_leave(config, [(event.do, event.workers) for _, event in ordered])
            found += [
                ((*at, "events", index, "workers"), f"would leave server {name!r} with {count} workers")
                for (index, _), count in zip(ordered, counts, strict=True)
                if not 1 <= count <= MAX_WORKERS
            ][:1]
    return found


def _event_time_problem(at: float, last: float | None, duration: float) -> str | None:
    """An event's time: inside the window with time before it, after it, and from the event before."""
    if at >= duration:
        return f"{at:g}s is not inside the measured window (duration {duration:g}s)"
    if at > duration - EVENT_SPACING_S + EPSILON_S:
        return (
            f"{at:g}s leaves under {EVENT_SPACING_S:g}s of the window after it (duration {duration:g}s):"
            " what it did cannot be measured"
        )
    if at < MIN_EVENT_AT_S:
        return f"{at:g}s leaves no measured time before it to compare with (at least 0.5s)"
    if last is not None and at - last < EVENT_SPACING_S - EPSILON_S:
        return f"{at:g}s is within {EVENT_SPACING_S:g}s of the event before it ({last:g}s): each needs time after it"
    return None


def _event_server_problem(name: str, config: ServerConfig, event: Event) -> str | None:
    """Why `config` cannot do `event`, or None."""
    kind = SERVER_KINDS.get(config.server)
    if kind is None:
        return None
    if kind.build_argv is None:
        return f"server {name!r} is external: the suite cannot {event.do} it"
    if (why := cannot(config, event.do)) is not None:
        return f"server {name!r}: {why}"
    return None


def _mix_problems(scenario: Scenario, at: PathKey) -> Found:
    """Each entry's weight or count as its mode takes it, and names that tell entries apart."""
    found: Found = []
    for position, entry in enumerate(scenario.mix or []):
        if scenario.mode == "burst" and entry.weight is not None:
            found.append(((*at, "mix", position, "weight"), "burst mode takes count, not weight"))
        if scenario.mode != "burst" and entry.count is not None:
            found.append(((*at, "mix", position, "count"), f"{scenario.mode} mode takes weight, not count"))
    if (
        scenario.mode != "burst"
        and scenario.mix
        and sum(e.weight if e.weight is not None else 1 for e in scenario.mix) == 0
    ):
        found.append(((*at, "mix"), "every weight is 0: nothing to send"))
    return found


def _loadgen_problems(declared: SuiteFile, scenario: Scenario, at: PathKey) -> Found:
    """Locust processes here or workers elsewhere, and where a master listens."""
    loadgen: LoadgenSettings | None = declared.setting(scenario, "loadgen")
    if loadgen is None:
        return []
    where = (*at, "loadgen") if scenario.loadgen else ("defaults", "loadgen")
    found: Found = []
    if loadgen.processes not in (None, 0) and loadgen.workers is not None:
        found.append((where, "processes (here) and workers (elsewhere) do not combine"))
    if loadgen.processes == 0:
        found.append(((*where, "processes"), "must be -1 or at least 1, got 0"))
    if loadgen.master_bind is not None and loadgen.workers is None:
        found.append(((*where, "master_bind"), "needs workers: (how many to wait for)"))
    if loadgen.master_bind is not None:
        host, port = loadgen.master_bind.rsplit(":", 1)
        if not 1 <= int(port) <= 65_535:
            found.append(((*where, "master_bind"), f"port must be 1..65535, got {int(port)}"))
        elif (bind := bind_problem(host)) is not None:
            found.append(((*where, "master_bind"), f"cannot listen on {host} here ({bind.strerror or bind})"))
    if scenario.mode == "burst" and (loadgen.processes or loadgen.workers) and scenario.loadgen:
        found.append(((*at, "loadgen"), "burst mode runs in one Locust process"))
    return found


def _endpoint_problems(declared: SuiteFile, scenario: Scenario, at: PathKey) -> Found:
    """An SLO per endpoint names a mix entry; no two entries share a name."""
    found: Found = []
    names = [entry.name for entry in scenario.mix or []]
    slo = declared.setting(scenario, "slo")
    where = (*at, "slo") if scenario.slo else ("defaults", "slo")
    for endpoint in slo.endpoints if slo else {}:
        if scenario.mix is not None and endpoint not in names:
            found.append(
                ((*where, "endpoints", endpoint), f"no mix entry named {endpoint!r}{did_you_mean(endpoint, names)}")
            )
    for position, entry_name in enumerate(names):
        if entry_name in names[:position]:
            found.append(((*at, "mix", position, "name"), f"duplicate mix entry name {entry_name!r}"))
    return found


def _slo_problems(slo: Slo | None, at: PathKey) -> Found:
    if slo is None:
        return []
    found = objective_problems(slo, at)
    for name, endpoint in slo.endpoints.items():
        found += objective_problems(endpoint, (*at, "endpoints", name))
    return found


def _objective_problems(declared: SuiteFile, scenario: Scenario, at: PathKey) -> Found:
    """A scenario's own SLO and its capacity objective (declared, or taken from the SLO)
    that no run can meet (perfsuite.plan.objectives); the defaults' SLO is checked once."""
    found = _slo_problems(scenario.slo, (*at, "slo")) + _target_problems(scenario, (*at, "target"))
    if scenario.mode != "open" or scenario.rate != AUTO:
        return found
    if scenario.capacity is not None:
        return found + objective_problems(scenario.capacity, (*at, "capacity"), capacity=True)
    taken = objective_of(declared, scenario)
    where = (*at, "slo") if scenario.slo else ("defaults", "slo")
    known = {message for _, message in [*found, *_slo_problems(declared.defaults.slo, ("defaults", "slo"))]}
    return found + [
        (path, f"{message} (rate: auto takes its capacity objective from this slo)")
        for path, message in objective_problems(taken, where, capacity=True)
        if message not in known
    ]


def _target_problems(scenario: Scenario, at: PathKey) -> Found:
    """A target the model can size for: a latency bounded from above, in a mode with a model."""
    target = scenario.target
    if target is None:
        return []
    if scenario.mode in ("burst", "stream", "websocket"):
        return [(at, f"applies to steady and open mode (not to {scenario.mode} mode)")]
    if scenario.locustfile is not None:
        return [(at, "needs a mix: the model cannot know a custom locustfile's requests")]
    found = objective_problems(target, at, capacity=True)
    if not any(getattr(target, metric) is not None for metric in ("avg_ms", "p50_ms", "p95_ms", "p99_ms")):
        found.append((at, 'needs a latency to hold at that rate, e.g. p99_ms: "< 200"'))
    return found


def warnings(declared: SuiteFile) -> Found:
    """What is valid but will not measure what it says: an open rate beyond its generator."""
    found: Found = []
    for index, scenario in enumerate(declared.scenarios):
        if scenario.mode != "open" or not isinstance(scenario.rate, list):
            continue
        senders = senders_of(declared.setting(scenario, "loadgen"), resolve_layout(scenario.cpu, declared.defaults.cpu))
        for position, rate in enumerate(scenario.rate):
            if (why := beyond_generator(rate, senders)) is not None:
                found.append(
                    (
                        ("scenarios", index, "rate", *([position] if len(scenario.rate) > 1 else [])),
                        f"{why}: the run will be flagged loadgen_behind; spread it with loadgen: {{processes: N}}",
                    )
                )
    return found
