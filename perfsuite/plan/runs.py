"""Suite -> the ordered list of runs to make (resolved, frozen).

Declared settings stay in the Suite; a RunPlan holds what one run resolves to:
its key, effective load after defaults, burst user counts, and its cores.
Runs are interleaved across server configs (A B C A B C ...) so drift in the
machine's speed spreads over every config instead of landing on one.
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass, replace
from typing import Any

from perfsuite.plan.affinity import Layout, resolve_layout
from perfsuite.plan.appfacts import AppFacts, describe
from perfsuite.plan.concurrency import NoModel
from perfsuite.plan.format import (
    AUTO,
    CapacityObjective,
    LoadgenSettings,
    MixEntry,
    Scenario,
    ServerConfig,
    Suite,
    SuiteFile,
    UpstreamSettings,
)
from perfsuite.plan.key import Level, RunKey
from perfsuite.plan.servers import slots

QUICK_WARMUP_S = 0.25
QUICK_DURATION_S = 1.0
SEARCH_STEPS = 8  # a capacity search's most steps
QUICK_SEARCH_STEPS = 3
NO_ERRORS = "<= 0"


def loadgen_processes(loadgen: LoadgenSettings | None, cpu: Layout) -> int:
    """Locust worker processes on this machine (0: Locust runs in one process)."""
    wanted = loadgen.processes if loadgen is not None else None
    if not wanted:
        return 0
    if wanted == -1:  # one per core not given to the server
        if cpu["loadgen"]:
            return len(cpu["loadgen"])
        return max(1, (os.cpu_count() or 1) - len(cpu["server"] or []))
    return wanted


# Requests per second one open.py process schedules on time on a 2-core machine of this
# project (benchmarks/open_generator.py: 4,220 held; README, "The open generator's ceiling").
GENERATOR_RATE = 4_000.0


def beyond_generator(rate: float, senders: int) -> str | None:
    """Why an open rate is more than its generator schedules on time, or None."""
    if rate <= senders * GENERATOR_RATE:
        return None
    many = senders > 1
    return (
        f"{rate:,.0f} req/s is above what {senders} generator process{'es' if many else ''}"
        f" {'schedule' if many else 'schedules'} on time here (about {GENERATOR_RATE:,.0f}/s each,"
        " benchmarks/open_generator.py)"
    )


def senders_of(loadgen: LoadgenSettings | None, cpu: Layout) -> int:
    """Processes that send requests: local workers, workers elsewhere, or the one Locust."""
    if loadgen is not None and loadgen.workers is not None:
        return loadgen.workers
    return loadgen_processes(loadgen, cpu) or 1


def allowed_errors(declared: SuiteFile, scenario: Scenario) -> str:
    """The error rate a scenario accepts, as a comparison: its own
    `max_error_rate`, else its own SLO's `error_rate`, else the same under
    `defaults:` in that order, else none at all."""
    for source in (scenario, declared.defaults):
        if source.max_error_rate is not None:
            return f"<= {_decimal(source.max_error_rate)}"
        if source.slo is not None and source.slo.error_rate is not None:
            return " ".join(source.slo.error_rate.split())
    return NO_ERRORS


def _decimal(value: float) -> str:
    """0.00001 as '0.00001', never '1e-05' (a comparison takes plain decimals)."""
    return f"{value:.12f}".rstrip("0").rstrip(".") or "0"


@dataclass(frozen=True)
class RunPlan:
    index: int  # 1-based position in the suite
    key: RunKey
    scenario: Scenario
    server: ServerConfig
    users: int
    spawn_rate: float
    warmup_s: float
    duration_s: float
    upstream: UpstreamSettings | None
    cpu: Layout
    loadgen: LoadgenSettings | None = None
    allowed_errors: str = NO_ERRORS  # failed / sent must meet this comparison
    app: AppFacts | None = None  # what the model may know of the app (its source, read once)
    search: bool = False  # a step of a capacity search
    user_levels: tuple[int, ...] = ()  # steady: every user count this scenario runs (as defaults resolve it)

    @property
    def server_name(self) -> str:
        return self.key.server

    @property
    def server_cores(self) -> int:
        """The cores the server may run on: those it is pinned to, else the machine's."""
        return len(self.cpu["server"] or []) or (os.cpu_count() or 1)

    @property
    def repeat(self) -> int:
        return self.key.repeat

    @property
    def order(self) -> str | None:
        """Burst only: sequential or concurrent."""
        return self.key.level.order

    @property
    def mode(self) -> str:
        return self.scenario.mode

    @property
    def rate(self) -> float:
        """Open mode: requests per second offered."""
        assert self.key.level.rate is not None, "not an open run"
        return self.key.level.rate

    @property
    def connections(self) -> int:
        """Stream mode: streams held at once (a user each)."""
        assert self.key.level.connections is not None, "not a stream run"
        return self.key.level.connections

    def stream_json(self) -> str | None:
        """Stream mode: what each stream user opens, for locustfiles/stream.py."""
        spec = self.scenario.stream
        if self.mode != "stream" or spec is None:
            return None
        found: dict[str, Any] = {"name": spec.label, "path": spec.path}
        if spec.headers:
            found["headers"] = spec.headers
        if spec.interval is not None:
            found["interval_ms"] = spec.interval * 1000
        return json.dumps(found, separators=(",", ":"))

    def websocket_json(self) -> str | None:
        """Websocket mode: what each user does, for locustfiles/websocket.py."""
        spec = self.scenario.websocket
        if self.mode != "websocket" or spec is None:
            return None
        found: dict[str, Any] = {"name": spec.label, "path": spec.path, "rate": spec.rate, "bytes": spec.bytes}
        if spec.fan_out:
            found["publisher"] = spec.publisher or spec.path
        return json.dumps(found, separators=(",", ":"))

    @property
    def label(self) -> str:
        return self.key.label

    @property
    def dirname(self) -> str:
        return self.key.dirname(self.index)

    def mix_json(self) -> str | None:
        if self.scenario.mix is None:
            return None
        entries: list[dict[str, Any]] = [
            e.model_dump(by_alias=True, exclude_none=True, exclude={"service_ms"}) for e in self.scenario.mix
        ]
        return json.dumps(entries, separators=(",", ":"))

    def to_probe(self) -> list[MixEntry]:
        """Mix entries whose service time the model must measure: of an app
        not the suite's own, with no `service_ms:` declared (steady and open runs)."""
        if self.mode not in ("steady", "open") or self.app is None or self.app.own:
            return []
        if self.server.server == "external":
            return []
        return [entry for entry in self.scenario.mix or [] if entry.service_ms is None]

    def to_measure_inside(self) -> list[MixEntry]:
        """The mix, where the model measures the config's rate with 1, 2, 4, ... requests inside
        (perfsuite.plan.concurrency.Slots.measured: Django under ASGI); else none."""
        mix = self.scenario.mix or []
        if self.mode not in ("steady", "open") or self.server.server == "external" or not mix:
            return []
        try:
            measured = slots(self.server, self.app, [entry.path for entry in mix], self.server_cores).measured
        except NoModel:
            return []
        return list(mix) if measured else []

    def inside_counts(self) -> tuple[list[int], bool]:
        """The counts inside the probe measures the config's rate at beside its ladder (a closed
        loop's users in this scenario, none for open runs), and whether it goes on until the rate
        stops growing: open runs and a `target:` need the station's highest rate, closed loops no
        more than their most users."""
        counts = sorted(self.user_levels) if self.mode == "steady" else []
        return counts, not counts or self.scenario.target is not None

    def burst_size(self) -> int:
        return sum(entry.count or 1 for entry in self.scenario.mix or [])


def selected(key: RunKey, only: list[str] | None) -> bool:
    """Whether `--only` globs (matching 'scenario/server') keep a run."""
    return not only or any(fnmatch.fnmatchcase(key.selector, glob) for glob in only)


def objective_of(declared: SuiteFile, scenario: Scenario) -> CapacityObjective | None:
    """What a capacity search holds each rate to: the scenario's `capacity:`,
    else the latencies and error rate of its `slo:` (or the defaults'), else nothing."""
    if scenario.capacity is not None:
        return scenario.capacity
    slo = declared.setting(scenario, "slo")
    if slo is None:
        return None
    fields = {m: getattr(slo, m) for m in ("error_rate", "avg_ms", "p50_ms", "p95_ms", "p99_ms")}
    objective = CapacityObjective(**fields)
    return objective if any(value is not None for value in fields.values()) else None


@dataclass(frozen=True)
class SearchPlan:
    """`rate: auto` (or a stream scenario's `connections: auto`): one config's capacity
    search; its steps are open runs at rates (stream runs at connections) chosen as the
    search goes (perfsuite.judge.capacity)."""

    scenario: Scenario
    server_name: str
    objective: CapacityObjective
    template: RunPlan  # every setting of a step but its rate and index
    max_steps: int = 8
    spawn_rate: float | None = None  # a connections search: as declared (default: each step's users in a second)

    @property
    def selector(self) -> str:
        return f"{self.scenario.name}/{self.server_name}"

    @property
    def of_connections(self) -> bool:
        """A search for the most streams held, not for a rate."""
        return self.scenario.mode == "stream"

    def at(self, value: float, index: int) -> RunPlan:
        """The step at `value`: a rate, or (of_connections) a number of connections."""
        if self.of_connections:
            held = max(1, round(value))
            key = RunKey(self.scenario.name, self.server_name, Level(connections=held), 1)
            users = held + mix_users(self.scenario)
            spawn = self.spawn_rate if self.spawn_rate is not None else float(users)
            return replace(self.template, index=index, key=key, users=users, spawn_rate=spawn, search=True)
        key = RunKey(self.scenario.name, self.server_name, Level(rate=value), 1)
        return replace(self.template, index=index, key=key, search=True)


def planned(plans: list[RunPlan], searches: list[SearchPlan]) -> int:
    """Runs to expect: each plan, and each search's most steps."""
    return len(plans) + sum(search.max_steps for search in searches)


MIX_USERS_BESIDE_STREAMS = 1  # stream mode: users sending the mix, where `users` does not say


def mix_users(scenario: Scenario) -> int:
    """Stream mode: the users that send the mix beside the streams (0 without a mix)."""
    if scenario.mode != "stream" or not scenario.mix:
        return 0
    return max(scenario.users) if scenario.users else MIX_USERS_BESIDE_STREAMS


def build_plan(suite: Suite, only: list[str] | None = None, quick: bool = False) -> list[RunPlan]:
    """Every run of the suite in execution order; `only` globs match 'scenario/server'."""
    return [plan for plan in _plans(suite, only, quick) if isinstance(plan, RunPlan)]


def build_searches(suite: Suite, only: list[str] | None = None, quick: bool = False) -> list[SearchPlan]:
    """The capacity searches of the suite's `rate: auto` scenarios, in order."""
    return [plan for plan in _plans(suite, only, quick) if isinstance(plan, SearchPlan)]


def _plans(suite: Suite, only: list[str] | None, quick: bool) -> list[RunPlan | SearchPlan]:
    plans: list[RunPlan | SearchPlan] = []
    runs = 0
    declared = suite.declared
    facts: dict[str, AppFacts | None] = {}
    for scenario in declared.scenarios:
        servers = scenario.servers or list(declared.servers)
        repeat = 1 if quick else int(declared.setting(scenario, "repeat"))
        upstream = declared.setting(scenario, "upstream")
        loadgen = declared.setting(scenario, "loadgen")
        cpu = resolve_layout(scenario.cpu, declared.defaults.cpu)
        errors = allowed_errors(declared, scenario)
        search = (scenario.mode == "open" and scenario.rate == AUTO) or (
            scenario.mode == "stream" and scenario.connections == AUTO
        )
        if scenario.mode == "burst":
            total = sum(entry.count or 1 for entry in scenario.mix or [])
            levels = [
                (Level(order=order), 1 if order == "sequential" else total)
                for order in scenario.order or ["sequential", "concurrent"]
            ]
            warmup, duration = 0.0, scenario.timeout
        else:
            if scenario.mode == "open":  # one sending process per Locust process: arrivals need no users
                senders = senders_of(loadgen, cpu)
                rates = list(scenario.rate) if isinstance(scenario.rate, list) and not search else [1.0]
                levels = [(Level(rate=r), senders) for r in ([max(rates)] if quick else rates)]
            elif scenario.mode == "stream":  # a user per held stream, and the mix's users beside them
                beside = mix_users(scenario)
                held = [1] if search or not isinstance(scenario.connections, list) else list(scenario.connections)
                levels = [(Level(connections=c), c + beside) for c in ([max(held)] if quick else held)]
            elif scenario.mode == "websocket":  # a user per connection; a fan-out's one publisher beside
                spec = scenario.websocket
                if spec is not None and spec.subscribers is not None:
                    levels = [(Level(connections=spec.subscribers), spec.subscribers + 1)]
                else:
                    held = list(scenario.connections) if isinstance(scenario.connections, list) else [1]
                    levels = [(Level(connections=c), c) for c in ([max(held)] if quick else held)]
            else:
                user_levels: list[int] = list(declared.setting(scenario, "users"))
                if quick:
                    user_levels = [max(user_levels)]
                levels = [(Level(users=u), u) for u in user_levels]
            warmup = float(declared.setting(scenario, "warmup"))
            duration = float(declared.setting(scenario, "duration"))
            if quick:
                warmup = min(warmup, QUICK_WARMUP_S)
                # Events keep their window: each must fall inside it with time to recover after.
                duration = duration if scenario.events else min(duration, QUICK_DURATION_S)
        for level, users in levels:
            rate = declared.setting(scenario, "spawn_rate") if level.rate is None and level.order is None else None
            spawn_rate = float(rate if rate is not None else users)
            for rep in range(1, (1 if search else repeat) + 1):
                for server_name in servers:
                    key = RunKey(scenario.name, server_name, level, rep)
                    if not selected(key, only):
                        continue
                    if server_name not in facts:
                        facts[server_name] = describe(declared.servers[server_name], suite.base_dir)
                    plan = RunPlan(
                        index=runs + 1,
                        key=key,
                        scenario=scenario,
                        server=declared.servers[server_name],
                        users=users,
                        spawn_rate=spawn_rate,
                        warmup_s=warmup,
                        duration_s=duration,
                        upstream=upstream,
                        cpu=cpu,
                        loadgen=None if scenario.mode == "burst" else loadgen,
                        allowed_errors=errors,
                        app=facts[server_name],
                        user_levels=tuple(user for level, user in levels if level.users is not None),
                    )
                    if search:
                        objective = objective_of(declared, scenario)
                        assert objective is not None, "validation requires an objective for rate: auto"
                        steps = QUICK_SEARCH_STEPS if quick else SEARCH_STEPS
                        declared_spawn = declared.setting(scenario, "spawn_rate")
                        spawn = None if declared_spawn is None else float(declared_spawn)
                        plans.append(SearchPlan(scenario, server_name, objective, plan, steps, spawn))
                    else:
                        runs += 1
                        plans.append(plan)
    return plans
