"""The sizing answer (pure): for a scenario's `target:` (a rate, latencies to
hold), each config's rate under the objective, and so the replicas, cores
and memory that serve the target, ranked by cores, then memory.

One replica's rate comes from the scenario's capacity search where it runs
one, held its rates to the target's latencies and found the server's limit
(measured), else from the model (predicted: the highest rate at which
its predicted latencies hold, perfsuite.judge.openmodel); both are kept.
Its CPU and memory come from the config's run at the highest throughput (its
CPU per request measured under the most load): memory is the PSS summed
over the server's processes at its peak; cores are those its workers can use
(one per worker process, no more than it is pinned to)."""

from __future__ import annotations

import math

from perfsuite.judge.capacity import criterion
from perfsuite.judge.slo import parse
from perfsuite.plan.format import CapacityObjective, Scenario, Suite, Target
from perfsuite.plan.runs import objective_of
from perfsuite.record.results import CapacityResult, RunResult, SizingResult, SuiteResults

LATENCIES = ("avg_ms", "p50_ms", "p95_ms", "p99_ms")


def target_seconds(target: Target) -> dict[str, float]:
    """A target's latencies as seconds each must stay under."""
    return {m: parse(t)[1] / 1000 for m in LATENCIES if (t := getattr(target, m)) is not None}


def sizing_arrival(mode: str, arrival: str | None) -> str:
    """What the prediction assumes of arrivals: an open scenario's own; for steady runs,
    a Poisson stream (many independent clients, as production traffic is)."""
    return (arrival or "constant") if mode == "open" else "poisson"


def bracketed(found: CapacityResult) -> bool:
    """The search found the server's limit: a rate passed, a higher one failed, and the
    generator did not end it (else its best is a lower bound, and the model answers)."""
    best = found.rps
    return best is not None and found.bound == "server" and any(not s.ok and s.rate > best for s in found.steps)


def _basis(runs: list[RunResult]) -> RunResult | None:
    """The run whose model and resources answer for the config: the most throughput with a prediction."""
    known = [r for r in runs if r.ok and r.model is not None and r.model.applies and r.model.objective_rps]
    return max(known, key=lambda r: r.open.achieved_rps if r.open else r.rps, default=None)


def same_latencies(objective: CapacityObjective | None, target: Target) -> bool:
    """Whether a capacity search held its rates to the target's latencies (its error rate aside)."""
    return objective is not None and criterion(objective.model_copy(update={"error_rate": None})) == criterion(target)


def answer(
    scenario: Scenario,
    server: str,
    runs: list[RunResult],
    found: CapacityResult | None,
    searched_for: CapacityObjective | None = None,
) -> SizingResult:
    """One config's answer to the scenario's target, or why there is none. A search's figure
    answers only where it held rates to the target's latencies (`searched_for`)."""
    target = scenario.target
    assert target is not None
    base = SizingResult(scenario=scenario.name, server=server, target_rps=target.rate, objective=criterion(target))
    run = _basis(runs)
    fits = found is not None and bracketed(found) and same_latencies(searched_for, target)
    measured = found.rps if found is not None and fits else None
    predicted = run.model.objective_rps if run is not None and run.model is not None else None
    capacity = measured if measured else predicted
    if run is None or not capacity:
        why = next((r.model.why_not for r in runs if r.model is not None and r.model.why_not), None)
        unbounded = any(
            r.model is not None and r.model.applies and r.model.slots is None and not r.model.cpu_s for r in runs
        )
        reason = why or (
            "no run succeeded"
            if not any(r.ok for r in runs)
            else "the model sets this config no bound (unbounded slots, no CPU measured): run a capacity search"
            if unbounded
            else "no rate meets the objective"
        )
        return base.model_copy(update={"measured_rps": measured, "why_not": reason})
    assert run.model is not None
    resources = run.server_resources
    memory = resources.pss_mb.peak_total if resources is not None else None
    cores = run.model.cores
    replicas = math.ceil(target.rate / capacity - 1e-9)
    return base.model_copy(
        update={
            "capacity_rps": round(capacity, 3),
            "capacity_source": "measured" if measured else "predicted",
            "predicted_rps": predicted,
            "measured_rps": measured,
            "arrival": sizing_arrival(scenario.mode, scenario.arrival),
            "from_run": run.index,
            "cores_per_replica": cores,
            "memory_mb_per_replica": memory,
            "replicas": replicas,
            "cores": None if cores is None else replicas * cores,
            "memory_mb": None if memory is None else round(replicas * memory, 1),
            "cpu_busy": None if run.model.cpu_s is None else round(target.rate * run.model.cpu_s, 3),
            "rps_per_core": round(capacity / cores, 3) if cores else None,
            "rps_per_gb": round(capacity / (memory / 1024), 3) if memory else None,
        }
    )


def size(suite: Suite, results: SuiteResults) -> list[SizingResult]:
    """Every scenario's target answered for each config it ran, ranked within the scenario."""
    sized: list[SizingResult] = []
    searched = {(c.scenario, c.server): c for c in results.capacity}
    for scenario in suite.declared.scenarios:
        runs = [r for r in results.runs if r.scenario == scenario.name]
        if scenario.target is None or not runs:
            continue
        servers = list(dict.fromkeys(r.server for r in runs))
        answers = [
            answer(
                scenario,
                name,
                [r for r in runs if r.server == name],
                searched.get((scenario.name, name)),
                objective_of(suite.declared, scenario),
            )
            for name in servers
        ]
        order = sorted(
            (a for a in answers if a.replicas is not None),
            key=lambda a: (a.cores if a.cores is not None else math.inf, a.memory_mb or math.inf),
        )
        ranks = {a.server: i for i, a in enumerate(order, start=1)}
        sized += sorted(
            (a.model_copy(update={"rank": ranks.get(a.server)}) for a in answers),
            key=lambda a: ranks.get(a.server, math.inf),
        )
    return sized
