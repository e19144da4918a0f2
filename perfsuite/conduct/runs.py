"""A suite's runs, one after another: each plan measured (perfsuite.run),
judged (judge.assess) and recorded (results.json after every run), then
each capacity search stepped; perfsuite.conduct.finish takes it from there."""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from perfsuite.io.files import WriteFailed
from perfsuite.judge.assess import assess, held_slots, predicted_capacity
from perfsuite.judge.capacity import Search, criterion, start_connections, start_rate, step_of, stream_step_of
from perfsuite.judge.sizing import size
from perfsuite.plan.format import Suite
from perfsuite.plan.runs import RunPlan, SearchPlan
from perfsuite.record.results import CapacityResult, ModelResult, RunResult, SuiteResults, write_results
from perfsuite.run.children import new_token
from perfsuite.run.lifecycle import STOP, Interrupted
from perfsuite.run.runner import RunSequence


class Progress(Protocol):
    def run_started(self, plan: RunPlan, total: int) -> None: ...
    def tick(self, plan: RunPlan, run_dir: Path) -> None: ...
    def run_finished(self, plan: RunPlan, result: RunResult, total: int) -> None: ...


def run_plans(
    suite: Suite,
    plans: list[RunPlan],
    out_dir: Path,
    results: SuiteResults,
    progress: Progress,
    searches: Sequence[SearchPlan] = (),
) -> SuiteResults:
    """Run every plan in order, then every capacity search, recording each run
    in results.json as it ends (and each search's capacity once it is found).
    The caller has written results.json once already: a folder where it cannot
    be written is refused before anything starts. WriteFailed stops the runs."""
    sequence = RunSequence(suite, out_dir, new_token())
    total = max(results.planned_runs, len(plans))  # a resumed suite counts the runs it already has

    def measure(plan: RunPlan, following: RunPlan | None) -> RunResult:
        STOP.check()
        progress.run_started(plan, total)
        measured = sequence.run(plan, following, on_tick=lambda run_dir: progress.tick(plan, run_dir))
        result = judged(plan, measured)
        results.runs.append(result)
        write_results(out_dir, results)
        progress.run_finished(plan, result, total)
        return result

    def step(search_plan: SearchPlan, rate: float) -> RunResult:
        return measure(search_plan.at(rate, _next_index(results)), None)

    completed = False
    try:
        for index, plan in enumerate(plans):
            measure(plan, plans[index + 1] if index + 1 < len(plans) else None)
        for search_plan in searches:
            found = search(search_plan, functools.partial(step, search_plan))
            results.capacity.append(found)
            results.planned_runs -= search_plan.max_steps - len(found.steps)  # planned: its most steps
            write_results(out_dir, results)
        completed = True
    except Interrupted:
        results.interrupted = True
        raise
    finally:
        sequence.close()
        results.runs.sort(key=lambda run: run.index)  # a resumed suite appends runs out of order
        results.sizing = size(suite, results)
        results.finished_at = time.time()
        try:
            write_results(out_dir, results)
        except WriteFailed:
            if completed:
                raise
            # else an interrupt, or this very file failing, is on its way out already
    return results


def judged(plan: RunPlan, measured: RunResult) -> RunResult:
    """The run assessed; should the model itself fail on it, the run is kept with the model n/a."""
    try:
        return assess(plan, measured)
    except Exception as failure:  # a measured run is never lost to its judging
        why = f"the model failed on this run ({type(failure).__name__}: {failure})"
        print(f"WARNING: {plan.label}: {why}", file=sys.stderr)
        return measured.model_copy(update={"model": ModelResult(applies=False, why_not=why)})


def _next_index(results: SuiteResults) -> int:
    return max((run.index for run in results.runs), default=0) + 1


def search(plan: SearchPlan, measure: Callable[[float], RunResult]) -> CapacityResult:
    """One config's capacity: steps measured at the rates (or connections) the search names."""
    if plan.of_connections:
        return search_connections(plan, measure)
    found = Search(start=start_rate(predicted_capacity(plan.template)), max_steps=plan.max_steps)
    model_at: dict[float, float] = {}
    while (rate := found.next_rate()) is not None:
        result = measure(rate)
        found.add(step_of(result, plan.objective))
        if result.model is not None and result.model.capacity_rps is not None:
            model_at[rate] = result.model.capacity_rps
            found.tell(result.model.capacity_rps)
    best = found.best
    # The model's figure from the step nearest the capacity (its CPU per request is measured at that load).
    nearest = min(model_at, key=lambda r: abs(r - (best or 0.0)), default=None)
    return CapacityResult(
        scenario=plan.scenario.name,
        server=plan.server_name,
        rps=best,
        criterion=criterion(plan.objective),
        model_rps=None if nearest is None else round(model_at[nearest], 3),
        bound="loadgen" if found.generator_bound else "server",
        converged=found.converged,
        steps=found.steps,
    )


def search_connections(plan: SearchPlan, measure: Callable[[float], RunResult]) -> CapacityResult:
    """The most streams a config holds at once while its objective holds: doubling from its
    slots (or 16), then bisecting to within one connection."""
    slots = held_slots(plan.template)
    found = Search(start=start_connections(slots), max_steps=plan.max_steps, whole=True)
    while (value := found.next_rate()) is not None:
        found.add(stream_step_of(measure(value), plan.objective))
    best = found.best
    return CapacityResult(
        scenario=plan.scenario.name,
        server=plan.server_name,
        rps=None,
        connections=None if best is None else int(best),
        of="connections",
        criterion=criterion(plan.objective),
        model_connections=None if math.isinf(slots) else slots,
        bound="loadgen" if found.generator_bound else "server",
        converged=found.converged,
        steps=found.steps,
    )
