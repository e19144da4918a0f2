"""Scenario file -> validated Suite, or every problem at once.

Each problem names the file, the line where it can be known, and the field's
path (`servers.gunicorn-sync-1.workers: must be an integer >= 1, got 0`).
YAML is read as YAML 1.2 by ruamel.yaml's round-trip parser: it keeps each
key's line, refuses duplicate keys, constructs no Python objects, and accepts
`{path: /slow?delay_ms=5000}` in a flow mapping, which PyYAML (YAML 1.1) rejects.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML, CommentedMap, CommentedSeq
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError

from perfsuite.io.files import FileRefused, read_bytes, read_text
from perfsuite.plan.affinity import resolve_layout
from perfsuite.plan.appcheck import infer, locate, nearby, server_roots
from perfsuite.plan.format import (
    AUTO,
    CapacityObjective,
    CpuSettings,
    EndpointSlo,
    LoadgenSettings,
    LoadSettings,
    MixEntry,
    Scenario,
    ServerConfig,
    Slo,
    Suite,
    SuiteFile,
    UpstreamSettings,
)
from perfsuite.plan.hosts import bind_problem
from perfsuite.plan.interpreters import InterpreterError, ask, ask_all, located, modules_for
from perfsuite.plan.objectives import objective_problems
from perfsuite.plan.runs import beyond_generator, objective_of, senders_of
from perfsuite.plan.servers import LOOPS, SERVER_KINDS, WORKER_CLASS_OPTIONS, overridden, serves

PathKey = tuple[str | int, ...]
MAX_DIGITS = 4_301  # Python refuses to turn a longer run of digits into an int


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(Exception):
    """The scenario file is invalid; `problems` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000  # after aliases are expanded: a 668-byte alias bomb reaches billions
MAX_DEPTH = 64


class TooLarge(Exception):
    def __init__(self, path: PathKey, message: str) -> None:
        super().__init__(message)
        self.path = path


def _plain(node: Any, path: PathKey, lines: dict[PathKey, int], tags: list[PathKey]) -> Any:
    """Bounded: raises TooLarge past MAX_NODES values (counted with aliases
    expanded, before anything is copied) or MAX_DEPTH levels."""
    if len(lines) > MAX_NODES:
        raise TooLarge(path, f"more than {MAX_NODES:,} values once YAML aliases are expanded")
    if len(path) > MAX_DEPTH:
        raise TooLarge(path, f"nested more than {MAX_DEPTH} levels deep")
    """ruamel's round-trip tree -> plain Python values, recording each path's line.

    Explicit tags (`!!python/...`, `!foo`) are never constructed; they are
    collected in `tags` and refused, except `!!str` on a scalar."""
    tag = getattr(getattr(node, "tag", None), "value", None)
    if isinstance(node, TaggedScalar):
        if tag != "tag:yaml.org,2002:str":
            tags.append(path)
        return str(node.value)
    if tag is not None:
        tags.append(path)
    if isinstance(node, CommentedMap):
        result = {}
        for key, value in node.items():
            key_path = (*path, str(key))
            with contextlib.suppress(KeyError, TypeError):  # merged keys have no position of their own
                lines[key_path] = node.lc.key(key)[0] + 1
            lines.setdefault(key_path, lines.get(path, 1))
            result[_plain(key, key_path, lines, tags) if not isinstance(key, str) else str(key)] = _plain(
                value, key_path, lines, tags
            )
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            item_path = (*path, index)
            with contextlib.suppress(KeyError, TypeError, IndexError):
                lines[item_path] = node.lc.item(index)[0] + 1
            lines.setdefault(item_path, lines.get(path, 1))
            items.append(_plain(value, item_path, lines, tags))
        return items
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _dotted(path: PathKey) -> str:
    return ".".join(str(part) for part in path)


# Allowed keys by where they appear, for "did you mean" hints.
def _fields(model: type[Any]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _vocabulary(path: PathKey) -> list[str]:
    parent = path[:-1]
    if not parent:
        return _fields(SuiteFile)
    if parent == ("defaults",):
        return _fields(LoadSettings)
    if parent[-1:] == ("upstream",):
        return _fields(UpstreamSettings)
    if parent[-1:] == ("cpu",):
        return _fields(CpuSettings)
    if parent[-1:] == ("slo",):
        return _fields(Slo)
    if parent[-1:] == ("loadgen",):
        return _fields(LoadgenSettings)
    if parent[-1:] == ("capacity",):
        return _fields(CapacityObjective)
    if len(parent) >= 2 and parent[-2] == "endpoints":
        return _fields(EndpointSlo)
    if len(parent) == 2 and parent[0] == "servers":
        return _fields(ServerConfig)
    if len(parent) == 2 and parent[0] == "scenarios":
        return _fields(Scenario)
    if len(parent) == 4 and parent[0] == "scenarios" and parent[2] == "mix":
        return _fields(MixEntry)
    return []


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_PATTERN_HELP = {
    **{
        metric: "must be a comparison such as '< 200' or '>= 100' (quote it in YAML)"
        for metric in ("rps", "error_rate", "avg_ms", "p50_ms", "p95_ms", "p99_ms")
    },
    "app": "must look like module.path:attribute (e.g. apps.wsgi_app:app), or module.path:function() for a factory",
    "path": "must start with exactly one / and hold no spaces or control characters (write a space as %20)",
    "env[key]": "must be an environment variable name (letters, digits and _, not starting with a digit)",
    "headers[key]": "must be a header name (letters, digits and !#$%&'*+.^_`|~-)",
    "host": "must be an IPv4 address or localhost (e.g. 127.0.0.1, 0.0.0.0)",
    "url": "must look like http://HOST:PORT",
    "name": "must be letters, digits, '.', '_' or '-', starting with a letter or digit",
}


def _describe(error: dict[str, Any], path: PathKey) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    leaf = next((p for p in reversed(path) if isinstance(p, str)), "")
    if leaf == "[key]" and len(path) >= 3:  # a mapping's key: named by the mapping's field
        leaf = f"{path[-3]}[key]"
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown field" + did_you_mean(str(path[-1]), _vocabulary(path))
    if kind in ("greater_than_equal", "greater_than"):
        sign = ">=" if kind == "greater_than_equal" else ">"
        bound = ctx.get("ge", ctx.get("gt"))
        whole = is_int and isinstance(bound, int)  # an integer field's bound is an integer
        return f"must be {'an integer ' if whole else ''}{sign} {bound:g}, got {value!r}"
    if kind in ("less_than_equal", "less_than"):
        sign = "<=" if kind == "less_than_equal" else "<"
        return f"must be {sign} {ctx.get('le', ctx.get('lt'))}, got {value!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be an integer, got {value!r}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {value!r}"
    if kind == "string_type":
        return f"must be a string, got {value!r}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {value!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping, got {value!r}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in str(expected).replace(" or ", ", ").split(",")]
        return f"must be one of {expected}, got {value!r}" + did_you_mean(str(value), options)
    if kind == "string_pattern_mismatch":
        return f"{_PATTERN_HELP.get(leaf, 'has the wrong form')}, got {value!r}"
    if kind in ("too_short", "too_long"):
        return "must not be empty" if kind == "too_short" and ctx.get("min_length") == 1 else error["msg"].lower()
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def _one_per_union(errors: list[Any]) -> list[Any]:
    """`rate: number | list | auto` fails as each alternative: one message is
    kept, the one for what was written (text: auto; anything else: numbers)."""
    auto = [e for e in errors if e["type"] == "literal_error" and "'auto'" in str(e.get("ctx", {}).get("expected"))]
    kept = [e for e in errors if e not in auto]
    for literal in auto:
        where = tuple(literal["loc"])[:-1]
        others = [e for e in kept if tuple(e["loc"])[: len(where)] == where]
        if isinstance(literal.get("input"), str) or not others:
            kept = [e for e in kept if e not in others] + [literal]
    # The alternative's own name (list[...], literal['auto']) is no place in the file.
    return [{**e, "loc": tuple(p for p in e["loc"] if not _union_tag(p))} for e in kept]


UNION_TAG = re.compile(r"^(list|literal|function-[a-z]+|constrained-[a-z]+)\[")  # pydantic's names for alternatives


def _union_tag(part: Any) -> bool:
    return isinstance(part, str) and UNION_TAG.match(part) is not None


def _resolve(path: PathKey, lines: dict[PathKey, int]) -> tuple[PathKey, int | None]:
    """The longest prefix of a pydantic location that exists in the file."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return path[:end], lines[path[:end]]
    return (), lines.get(())


def _cpu_problems(cpu: CpuSettings | None, at: PathKey) -> list[tuple[PathKey, str]]:
    if cpu is None:
        return []
    available = sorted(os.sched_getaffinity(0))
    found = []
    for role in ("server", "loadgen", "upstream"):
        for position, core in enumerate(getattr(cpu, role) or []):
            if core not in available:
                shown = ", ".join(map(str, available))
                found.append(((*at, "cpu", role, position), f"core {core} is not available here (available: {shown})"))
    return found


def _missing(path: Path, kind: str) -> str | None:
    """Why `path` is not a `kind` ("file" or "directory") here, or None if it is."""
    try:
        if path.is_dir() if kind == "directory" else path.is_file():
            return None
        path.stat()  # it exists, as something else; or the reason it cannot be looked at
    except OSError as error:
        return "does not exist" if error.errno == errno.ENOENT else f"cannot be looked at ({error.strerror or error})"
    return f"is not a {kind}"


def _locustfile_problem(path: Path) -> str | None:
    """Why Locust could not import `path` as a locustfile, found without running it."""
    if path.suffix != ".py":
        return "is not a Python file (.py): Locust imports a locustfile as a module"
    try:  # compiled from bytes, as an import reads it: a BOM or a coding line is honoured
        compile(read_bytes(path, MAX_FILE_BYTES), str(path), "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        return f"is not valid Python (line {error.lineno}: {error.msg})"
    except (OSError, ValueError, RecursionError, MemoryError) as error:  # unreadable, not UTF-8, a NUL byte
        return f"cannot be read as Python ({str(error)[:200] or type(error).__name__})"
    return None


def _roots(server: ServerConfig, base_dir: Path) -> list[Path]:
    return server_roots(server.app_dir, server.env, base_dir)


def _module_problems(name: str, server: ServerConfig, base_dir: Path) -> list[tuple[PathKey, str]]:
    """A module the server could not import, found without importing it."""
    assert server.app is not None
    module = server.app.partition(":")[0]
    roots = _roots(server, base_dir)
    if locate(module, roots, installed=server.python is None):  # another interpreter: its packages are its own
        return []
    where = " or ".join(str(root) for root in roots)
    hint = did_you_mean(module, nearby(module, roots))
    return [(("servers", name, "app"), f"module {module!r} is neither in {where} nor installed{hint}")]


def _interpreter_problems(name: str, server: ServerConfig, base_dir: Path) -> list[tuple[PathKey, str]]:
    """A `python:` that cannot run the server: missing, not executable, or without the server's modules."""
    assert server.python is not None
    python = located(server.python, base_dir)
    try:
        found = ask(python, modules_for(server))
    except InterpreterError as error:
        return [(("servers", name, "python"), str(error))]
    if found.missing:
        missing = ", ".join(found.missing)
        return [
            (("servers", name, "python"), f"{python} (Python {found.python}) cannot import {missing}; install it there")
        ]
    return []


def with_interpreters(declared: SuiteFile, base_dir: Path) -> SuiteFile:
    """The servers' `python:` made absolute (the suite runs servers from other folders)."""
    servers = {
        name: server.model_copy(update={"python": located(server.python, base_dir)}) if server.python else server
        for name, server in declared.servers.items()
    }
    return declared.model_copy(update={"servers": servers})


def _interface_problems(name: str, server: ServerConfig, base_dir: Path) -> list[tuple[PathKey, str]]:
    """An app whose interface the config cannot serve, where that can be known:
    a declared `interface:` is believed; otherwise the app's source is read."""
    assert server.app is not None
    served = serves(server)
    if server.interface is not None:
        app_is, unless = f"interface: {server.interface} says the app is {server.interface.upper()}", ""
        wrong = server.interface not in served
    else:
        found = infer(server.app, _roots(server, base_dir))
        if found is None:
            return []
        app_is = f"{server.app} is {found.kind.upper()} ({found.evidence})"
        unless = " (if that reading of the source is wrong, declare interface:)"
        wrong = found.kind not in served
    if not wrong:
        return []
    field = "interface" if server.interface else "worker_class" if server.worker_class else "server"
    if server.server == "gunicorn":
        what = f"gunicorn's {server.worker_class or 'sync'} worker"
    elif server.server == "granian":
        what = f"granian with interface: {server.interface or 'asgi'}"
    else:
        what = server.server
    shown = " or ".join(sorted(i.upper() for i in served))
    return [
        (("servers", name, field), f"{what} serves {shown}, but {app_is}; {SERVER_KINDS[server.server].fix}{unless}")
    ]


def _partial(data: Any) -> tuple[SuiteFile, list[int], set[str]] | None:
    """The parts of a file that are valid on their own, so the checks across
    fields run beside the format errors: every problem is listed at once.
    Returns them as a SuiteFile (unvalidated as a whole), the positions of its
    valid scenarios, and every server name the file declares."""
    if not isinstance(data, dict):
        return None

    def valid(model: type[Any], raw: Any) -> Any:
        try:
            return model.model_validate(raw)
        except ValidationError:
            return None

    raw_servers = data.get("servers") if isinstance(data.get("servers"), dict) else {}
    servers = {name: found for name, raw in raw_servers.items() if (found := valid(ServerConfig, raw)) is not None}
    raw_scenarios = data.get("scenarios") if isinstance(data.get("scenarios"), list) else []
    scenarios = [(index, found) for index, raw in enumerate(raw_scenarios) if (found := valid(Scenario, raw))]
    defaults = valid(LoadSettings, data.get("defaults", {})) or LoadSettings()
    declared = SuiteFile.model_construct(
        name=None, defaults=defaults, servers=servers, scenarios=[scenario for _, scenario in scenarios]
    )
    return declared, [index for index, _ in scenarios], {str(name) for name in raw_servers}


SERVER_OPTIONS = (
    "worker_class", "threads", "worker_connections", "asgi_loop", "http_parser", "loop", "http",
    "interface", "host", "port", "runtime_mode", "runtime_threads", "blocking_threads", "backpressure",
    "task_impl",
)  # fmt: skip


def server_problems(name: str, server: ServerConfig, base_dir: Path) -> list[tuple[PathKey, str]]:
    """One server config's checks across its fields and against this machine: its
    kind's options, its interpreter, its app_dir, its app's module and interface
    (`--against REF` runs them again on each config's code at REF)."""
    found: list[tuple[PathKey, str]] = []
    kind = SERVER_KINDS[server.server]
    external = kind.build_argv is None
    if external and server.url is None:
        found.append((("servers", name), "server: external needs url: (e.g. http://10.0.0.5:8000)"))
    if not external and server.app is None:
        found.append((("servers", name), "needs app: (module.path:attribute)"))
    if not external and server.url is not None:
        found.append((("servers", name, "url"), "is only for server: external (the suite starts this one)"))
    if not external and server.python is not None:
        found += _interpreter_problems(name, server, base_dir)
    for option in (*SERVER_OPTIONS, "app", "app_dir", "python"):
        if external and getattr(server, option) not in (None, 1) and option != "url":
            found.append(
                (("servers", name, option), "does not apply to server: external (the suite does not start it)")
            )
            continue
        if option in ("app", "app_dir", "python"):
            continue
        if getattr(server, option) is not None and option not in kind.options:
            found.append(((("servers", name, option)), f"is not a setting of server {server.server!r}"))
    for option, worker_class in WORKER_CLASS_OPTIONS.items():
        if getattr(server, option) is not None and (server.worker_class or "sync") != worker_class:
            found.append((("servers", name, option), f"needs worker_class: {worker_class}"))
    if server.server == "granian" and (server.blocking_threads or 1) > 1 and (server.interface or "asgi") != "wsgi":
        found.append(
            (
                ("servers", name, "blocking_threads"),
                "granian runs more than one blocking thread for interface: wsgi only",
            )
        )
    if server.loop is not None and server.server in LOOPS and server.loop not in LOOPS[server.server]:
        found.append((("servers", name, "loop"), f"{server.server} takes one of {', '.join(LOOPS[server.server])}"))
    if server.host is not None and (error := bind_problem(server.host)) is not None:
        found.append((("servers", name, "host"), f"cannot listen on {server.host} here ({error.strerror or error})"))
    for where, text, flag, field_instead in overridden(server):
        found.append(
            (
                ("servers", name, *where),
                f"{text!r} would override what the suite sets ({flag}); declare {field_instead}",
            )
        )
    if server.app_dir is not None and (missing := _missing(base_dir / server.app_dir, "directory")):
        found.append((("servers", name, "app_dir"), f"directory {server.app_dir!r} {missing}"))
    elif not external and server.app is not None:
        missing = _module_problems(name, server, base_dir)
        found += missing or _interface_problems(name, server, base_dir)
    return found


def _semantic_problems(
    declared: SuiteFile, base_dir: Path, positions: list[int] | None = None, server_names: set[str] | None = None
) -> list[tuple[PathKey, str]]:
    """Checks across fields; on a partly valid file (`_partial`), `positions`
    are its valid scenarios' places in the file and `server_names` every server name."""
    server_names = set(declared.servers) if server_names is None else server_names
    found: list[tuple[PathKey, str]] = _cpu_problems(declared.defaults.cpu, ("defaults",))
    found += _slo_problems(declared.defaults.slo, ("defaults", "slo"))
    # Every interpreter named is asked once, all at once (a config's check then reads the answer).
    ask_all(located(s.python, base_dir) for s in declared.servers.values() if s.python and s.server != "external")
    for name, server in declared.servers.items():
        found += server_problems(name, server, base_dir)
    seen: dict[str, int] = {}
    for index, scenario in zip(positions or range(len(declared.scenarios)), declared.scenarios, strict=True):
        at: PathKey = ("scenarios", index)
        found += _cpu_problems(scenario.cpu, at)
        if scenario.name in seen:
            found.append(
                ((*at, "name"), f"duplicate scenario name {scenario.name!r} (also scenarios.{seen[scenario.name]})")
            )
        seen.setdefault(scenario.name, index)
        for position, server_name in enumerate(scenario.servers or []):
            if server_name not in server_names:
                hint = did_you_mean(server_name, sorted(server_names))
                found.append(((*at, "servers", position), f"unknown server {server_name!r}{hint}"))
        if (scenario.mix is None) == (scenario.locustfile is None):
            found.append((at, "needs exactly one of mix or locustfile"))
        if scenario.locustfile is not None:
            if scenario.mode in ("burst", "open"):
                found.append(((*at, "locustfile"), f"{scenario.mode} mode needs a mix, not a locustfile"))
            if missing := _missing(base_dir / scenario.locustfile, "file"):
                found.append(((*at, "locustfile"), f"file {scenario.locustfile!r} {missing}"))
            elif problem := _locustfile_problem(base_dir / scenario.locustfile):
                found.append(((*at, "locustfile"), f"{scenario.locustfile!r} {problem}"))
        if scenario.mode == "burst":
            for field in ("users", "spawn_rate", "warmup", "duration", "repeat"):
                if field != "repeat" and getattr(scenario, field) is not None:
                    found.append(((*at, field), "does not apply to burst mode (each request is sent once)"))
            total = sum(entry.count or 1 for entry in scenario.mix or [])
            if total > 10_000:
                found.append(((*at, "mix"), f"a burst may send at most 10000 requests, got {total}"))
        elif scenario.order is not None:
            found.append(((*at, "order"), "applies to burst mode only"))
        if scenario.mode == "open":
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
            if scenario.capacity is not None and scenario.rate != AUTO:
                found.append(((*at, "capacity"), "applies to rate: auto only (a capacity search)"))
            elif scenario.capacity is not None and not scenario.capacity.model_dump(exclude_none=True):
                found.append(((*at, "capacity"), "needs at least one objective (p99_ms, error_rate, ...)"))
        else:
            for field in ("rate", "arrival", "max_in_flight", "capacity"):
                if getattr(scenario, field) is not None:
                    found.append(((*at, field), "applies to open mode only (mode: open)"))
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
        names = [entry.name for entry in scenario.mix or []]
        loadgen = declared.setting(scenario, "loadgen")
        if loadgen is not None:
            where_lg = (*at, "loadgen") if scenario.loadgen else ("defaults", "loadgen")
            if loadgen.processes not in (None, 0) and loadgen.workers is not None:
                found.append((where_lg, "processes (here) and workers (elsewhere) do not combine"))
            if loadgen.processes == 0:
                found.append(((*where_lg, "processes"), "must be -1 or at least 1, got 0"))
            if loadgen.master_bind is not None and loadgen.workers is None:
                found.append(((*where_lg, "master_bind"), "needs workers: (how many to wait for)"))
            if loadgen.master_bind is not None:
                host, port = loadgen.master_bind.rsplit(":", 1)
                if not 1 <= int(port) <= 65_535:
                    found.append(((*where_lg, "master_bind"), f"port must be 1..65535, got {int(port)}"))
                elif (bind := bind_problem(host)) is not None:
                    reason = bind.strerror or bind
                    found.append(((*where_lg, "master_bind"), f"cannot listen on {host} here ({reason})"))
            if scenario.mode == "burst" and (loadgen.processes or loadgen.workers) and scenario.loadgen:
                found.append(((*at, "loadgen"), "burst mode runs in one Locust process"))
        slo = declared.setting(scenario, "slo")
        where = (*at, "slo") if scenario.slo else ("defaults", "slo")
        for endpoint in slo.endpoints if slo else {}:
            if scenario.mix is not None and endpoint not in names:
                hint = did_you_mean(endpoint, names)
                found.append(((*where, "endpoints", endpoint), f"no mix entry named {endpoint!r}{hint}"))
        for position, entry_name in enumerate(names):
            if entry_name in names[:position]:
                found.append(((*at, "mix", position, "name"), f"duplicate mix entry name {entry_name!r}"))
        found += _objective_problems(declared, scenario, at)
    return found


def _warnings(declared: SuiteFile) -> list[tuple[PathKey, str]]:
    """What is valid but will not measure what it says: an open rate beyond its generator."""
    found = []
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


def _slo_problems(slo: Slo | None, at: PathKey) -> list[tuple[PathKey, str]]:
    if slo is None:
        return []
    found = objective_problems(slo, at)
    for name, endpoint in slo.endpoints.items():
        found += objective_problems(endpoint, (*at, "endpoints", name))
    return found


def _objective_problems(declared: SuiteFile, scenario: Scenario, at: PathKey) -> list[tuple[PathKey, str]]:
    """A scenario's own SLO and its capacity objective (declared, or taken from the SLO)
    that no run can meet (perfsuite.plan.objectives); the defaults' SLO is checked once."""
    found = _slo_problems(scenario.slo, (*at, "slo"))
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


def load_suite(path: Path) -> Suite:
    """Read and validate a scenario file; raise ScenarioError listing every problem."""
    shown = str(path)
    try:
        text = read_text(path, MAX_FILE_BYTES)  # a FIFO or a device is refused, never opened blocking
    except FileRefused as error:
        raise ScenarioError([Problem(shown, None, "", error.reason)]) from None
    except OSError as error:
        raise ScenarioError([Problem(shown, None, "", f"cannot read file: {error.strerror or error}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(shown, None, "", "is not UTF-8 text")]) from None
    try:
        tree = YAML(typ="rt", pure=True).load(text)
    except RecursionError:
        raise ScenarioError([Problem(shown, None, "", f"nested too deeply (at most {MAX_DEPTH} levels)")]) from None
    except ValueError as error:  # a scalar YAML cannot turn into a value, e.g. an integer of 5000 digits
        huge = re.search(rf"\d{{{MAX_DIGITS},}}", text)
        line = text.count("\n", 0, huge.start()) + 1 if huge else None
        raise ScenarioError([Problem(shown, line, "", f"a value cannot be read: {str(error).split(';')[0]}")]) from None
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        if isinstance(error, DuplicateKeyError):
            problem = problem.split(" with value")[0]
        raise ScenarioError([Problem(shown, line, "", f"YAML error: {problem}")]) from None
    if not isinstance(tree, CommentedMap):
        raise ScenarioError([Problem(shown, 1, "", "must be a mapping with servers: and scenarios:")])
    lines: dict[PathKey, int] = {(): 1}
    tags: list[PathKey] = []
    try:
        data = _plain(tree, (), lines, tags)
    except TooLarge as error:
        top = error.path[:1]  # deeper paths repeat through aliases; the top-level key has its own line
        raise ScenarioError([Problem(shown, lines.get(top), _dotted(top), str(error))]) from None
    if tags:
        raise ScenarioError([Problem(shown, lines.get(p), _dotted(p), "YAML tags are not allowed here") for p in tags])
    try:
        declared = SuiteFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in _one_per_union(error.errors(include_url=False)):
            loc = tuple(item["loc"])
            where, line = _resolve(loc, lines)
            # An unknown or missing field is named in full, though the file has no line of its own for it.
            shown_path = loc if item["type"] in ("extra_forbidden", "missing") else where
            shown_path = tuple(p for p in shown_path if p != "[key]")
            problems.append(Problem(shown, line, _dotted(shown_path), _describe(dict(item), loc)))
        partial = _partial(data)
        if partial is not None:
            known = {(p.field, p.message) for p in problems}
            for at, message in _semantic_problems(partial[0], path.resolve().parent, partial[1], partial[2]):
                if (_dotted(at), message) not in known:
                    problems.append(Problem(shown, _resolve(at, lines)[1], _dotted(at), message))
        problems.sort(key=lambda p: p.line or 0)
        raise ScenarioError(problems) from None
    base_dir = path.resolve().parent
    semantic = _semantic_problems(declared, base_dir)
    if semantic:
        raise ScenarioError([Problem(shown, _resolve(p, lines)[1], _dotted(p), m) for p, m in semantic])
    declared = with_interpreters(declared, base_dir)
    warnings = tuple(str(Problem(shown, _resolve(p, lines)[1], _dotted(p), m)) for p, m in _warnings(declared))
    return Suite(
        name=declared.name or path.stem, source=path.resolve(), base_dir=base_dir, declared=declared, warnings=warnings
    )
