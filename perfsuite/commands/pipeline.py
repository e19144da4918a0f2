"""The run command's pipeline around its runs: each plan measured (run/),
judged (judge.assess) and recorded (results.json after every run); after the
last, the suite judged (aggregates, SLOs, baseline, verdict) and its files
written (checks.json, junit.xml, baseline, history, reports)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from perfsuite.io.files import WriteFailed
from perfsuite.judge.aggregate import aggregate
from perfsuite.judge.assess import assess, predicted_capacity
from perfsuite.judge.baseline import Baseline, EntryComparison, compare_all, paired
from perfsuite.judge.baseline import build as build_baseline
from perfsuite.judge.baseline import save as save_baseline
from perfsuite.judge.capacity import Search, criterion, start_rate, step_of
from perfsuite.judge.slo import evaluate
from perfsuite.judge.verdict import EXIT_FAILED, Verdict, judge, searched_configs
from perfsuite.judge.verdict import write as write_verdict
from perfsuite.plan.format import Suite
from perfsuite.plan.runs import RunPlan, SearchPlan
from perfsuite.record import history
from perfsuite.record.results import CapacityResult, ModelResult, RunResult, SuiteResults, write_results
from perfsuite.report import junit
from perfsuite.report.files import ReportFailed, write_reports_safely
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

    completed = False
    try:
        for index, plan in enumerate(plans):
            measure(plan, plans[index + 1] if index + 1 < len(plans) else None)
        for search_plan in searches:
            found = search(search_plan, lambda rate, sp=search_plan: measure(sp.at(rate, _next_index(results)), None))
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
        results.finished_at = time.time()
        try:
            write_results(out_dir, results)
        except WriteFailed:
            if completed:
                raise
            # else an interrupt, or this very file failing, is on its way out already
    return results


def trend_notes(stored: list[EntryComparison], baseline_file: str | None) -> list[str]:
    """A stored baseline beside --against or --pair: its changes as a trend, for reading, not for the verdict."""
    return [
        f"trend against {baseline_file}: {entry.key.label}: {c.metric} {c.ratio - 1:+.1%} ({c.verdict})"
        for entry in stored
        for c in entry.comparisons
    ]


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
    """One config's capacity: steps measured at the rates the search names."""
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


@dataclass(frozen=True)
class Afterwards:
    """What to do once the runs are over."""

    baseline: Baseline | None = None
    baseline_file: str | None = None
    environment_warnings: tuple[str, ...] = ()
    history_db: Path | None = None
    save_baseline_to: Path | None = None
    pairs: tuple[tuple[str, str], ...] = ()  # (baseline config, candidate config): --against, --pair
    pairs_label: str = ""  # how the report names the comparison, e.g. "--against HEAD~1"


@dataclass(frozen=True)
class Finished:
    """The suite's verdict, and the files it owns that could not be written (each named, with
    the OS's reason): any of them fails the suite (exit 1), however the runs went."""

    verdict: Verdict
    unwritten: tuple[str, ...] = ()
    reports_written: bool = True

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.unwritten else self.verdict.exit_code


def finish(out_dir: Path, results: SuiteResults, suite: Suite, after: Afterwards) -> Finished:
    """Aggregates, SLOs, baseline, checks.json, junit.xml, history, reports; each file
    written whole or not at all, and one that is not does not stop the others."""
    aggregates = aggregate(results.runs)
    searched = searched_configs(results)  # a search's steps are held to its objective, not to the SLOs
    fixed = [agg for agg in aggregates if (agg.key.scenario, agg.key.server) not in searched]
    slos = {s.name: slo for s in suite.declared.scenarios if (slo := suite.declared.setting(s, "slo")) is not None}
    comparisons, notes = compare_all(after.baseline, fixed) if after.baseline is not None else (None, [])
    baseline_file = after.baseline_file
    if after.pairs:  # both versions measured here, interleaved: compared as a baseline would be
        stored = comparisons
        comparisons, notes = paired(fixed, list(after.pairs))
        notes += trend_notes(stored or [], after.baseline_file)
        if after.environment_warnings:  # the stored baseline's machine: its trend only, not the verdict
            notes.append(f"{after.baseline_file} comes from another machine or other versions: a rough trend")
        baseline_file = after.pairs_label
    verdict = judge(
        results,
        aggregates,
        evaluate(fixed, slos),
        comparisons,
        baseline_file,
        notes,
        [] if after.pairs else list(after.environment_warnings),
    )
    unwritten: list[str] = []

    def attempt(what: str, write: Callable[[], object]) -> bool:
        try:
            write()
            return True
        except (OSError, history.HistoryError) as failure:
            unwritten.append(f"{what}{failure}")
            print(f"error: {what}{failure}", file=sys.stderr)
            return False

    attempt("", lambda: write_verdict(out_dir, verdict))
    attempt("", lambda: junit.write(out_dir, results.suite, verdict))
    # Checked before the first run; should either fail now all the same, the reports still follow.
    if (target := after.save_baseline_to) is not None:  # before the reports: a renderer fault must not cost it
        saved = build_baseline(fixed, results.environment, suite.name)
        if attempt("--save-baseline: ", lambda: save_baseline(target, saved)):
            print(f"baseline: {target}", file=sys.stderr)
    if after.history_db is not None:
        rows = [
            history.HistoryRow(agg.key, agg.runs, {m: agg.value(m) for m in history.METRICS}, agg.cv)
            for agg in fixed  # a search's steps sit at rates of its own choosing: no trend to follow
        ]
        db = after.history_db
        stored = (results.suite, results.started_at, out_dir, results.environment, verdict.exit_code, rows)
        if attempt("this suite is not in the history: ", lambda: history.append(db, *stored)):
            attempt("", lambda: history.snapshot(db, results.suite, out_dir))
    try:
        write_reports_safely(out_dir, results, aggregates)
    except ReportFailed as failure:
        unwritten.append(f"the reports: {failure}")
        return Finished(verdict, tuple(unwritten), reports_written=False)
    return Finished(verdict, tuple(unwritten))
