"""Suite -> the ordered list of runs to make (resolved, frozen).

Declared settings stay in the Suite; a RunPlan holds what one run resolves to:
effective load after defaults, burst user counts, and where its files go.
Runs are interleaved across server configs (A B C A B C ...) so drift in the
machine's speed spreads over every config instead of landing on one.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from perfsuite.spec.affinity import Layout, resolve_layout
from perfsuite.spec.format import LoadgenSettings, Scenario, ServerConfig, UpstreamSettings
from perfsuite.spec.loader import Suite

DEFAULT_USERS = 10
DEFAULT_WARMUP_S = 2.0
DEFAULT_DURATION_S = 10.0
QUICK_WARMUP_S = 0.25
QUICK_DURATION_S = 1.0


@dataclass(frozen=True)
class RunPlan:
    index: int  # 1-based position in the suite
    scenario: Scenario
    server_name: str
    server: ServerConfig
    users: int
    spawn_rate: float
    warmup_s: float
    duration_s: float
    repeat: int  # 1-based repetition
    order: str | None  # burst only
    upstream: UpstreamSettings | None
    cpu: Layout
    loadgen: LoadgenSettings | None = None

    @property
    def mode(self) -> str:
        return self.scenario.mode

    @property
    def label(self) -> str:
        level = self.order if self.order else f"{self.users} users"
        return f"{self.scenario.name} / {self.server_name} / {level} / #{self.repeat}"

    @property
    def dirname(self) -> str:
        level = self.order if self.order else f"u{self.users}"
        return f"{self.index:03d}-{self.scenario.name}-{self.server_name}-{level}-r{self.repeat}"

    def mix_json(self) -> str | None:
        if self.scenario.mix is None:
            return None
        entries: list[dict[str, Any]] = [e.model_dump(by_alias=True, exclude_none=True) for e in self.scenario.mix]
        return json.dumps(entries, separators=(",", ":"))

    def burst_size(self) -> int:
        return sum(entry.count or 1 for entry in self.scenario.mix or [])


def _pick(scenario: Scenario, suite: Suite, field: str, default: Any) -> Any:
    value = suite.spec.setting(scenario, field)
    return default if value is None else value


def build_plan(suite: Suite, only: list[str] | None = None, quick: bool = False) -> list[RunPlan]:
    """Every run of the suite in execution order; `only` globs match 'scenario/server'."""
    plans: list[RunPlan] = []
    for scenario in suite.spec.scenarios:
        servers = scenario.servers or list(suite.spec.servers)
        if only:
            servers = [s for s in servers if any(fnmatch.fnmatchcase(f"{scenario.name}/{s}", g) for g in only)]
        repeat = 1 if quick else int(_pick(scenario, suite, "repeat", 1))
        if scenario.mode == "burst":
            total = sum(entry.count or 1 for entry in scenario.mix or [])
            levels = [
                (order, 1 if order == "sequential" else total)
                for order in scenario.order or ["sequential", "concurrent"]
            ]
            warmup, duration = 0.0, scenario.timeout
        else:
            users = list(_pick(scenario, suite, "users", [DEFAULT_USERS]))
            levels = [(None, u) for u in ([max(users)] if quick else users)]
            warmup = float(_pick(scenario, suite, "warmup", DEFAULT_WARMUP_S))
            duration = float(_pick(scenario, suite, "duration", DEFAULT_DURATION_S))
            if quick:
                warmup, duration = min(warmup, QUICK_WARMUP_S), min(duration, QUICK_DURATION_S)
        upstream = suite.spec.setting(scenario, "upstream")
        loadgen = suite.spec.setting(scenario, "loadgen")
        cpu = resolve_layout(scenario.cpu, suite.spec.defaults.cpu)
        for order, users in levels:
            spawn_rate = float(_pick(scenario, suite, "spawn_rate", users)) if order is None else float(users)
            for rep in range(1, repeat + 1):
                for server_name in servers:
                    plans.append(
                        RunPlan(
                            index=len(plans) + 1,
                            scenario=scenario,
                            server_name=server_name,
                            server=suite.spec.servers[server_name],
                            users=users,
                            spawn_rate=spawn_rate,
                            warmup_s=warmup,
                            duration_s=duration,
                            repeat=rep,
                            order=order,
                            upstream=upstream,
                            cpu=cpu,
                            loadgen=None if scenario.mode == "burst" else loadgen,
                        )
                    )
    return plans
