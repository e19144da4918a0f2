"""The end of a suite: its runs judged together (aggregates, SLOs, a baseline
or the pairs of --against/--pair, the verdict) and its files written
(checks.json, junit.xml, the baseline, the history, the reports), each whole
or not at all, one that fails not stopping the others."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perfsuite.judge.aggregate import aggregate
from perfsuite.judge.baseline import Baseline, EntryComparison, compare_all, paired
from perfsuite.judge.baseline import build as build_baseline
from perfsuite.judge.baseline import save as save_baseline
from perfsuite.judge.slo import evaluate
from perfsuite.judge.verdict import EXIT_FAILED, Verdict, judge, searched_configs
from perfsuite.judge.verdict import write as write_verdict
from perfsuite.plan.format import Suite
from perfsuite.record import history
from perfsuite.record.results import SuiteResults
from perfsuite.report import junit
from perfsuite.report.files import ReportFailed, write_reports_safely


def trend_notes(stored: list[EntryComparison], baseline_file: str | None) -> list[str]:
    """A stored baseline beside --against or --pair: its changes as a trend, for reading, not for the verdict."""
    return [
        f"trend against {baseline_file}: {entry.key.label}: {c.metric} {c.ratio - 1:+.1%} ({c.verdict})"
        for entry in stored
        for c in entry.comparisons
    ]


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
        frozenset(s.name for s in suite.declared.scenarios if s.expect_loadgen_limit),
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
        db, env, code = after.history_db, results.environment, verdict.exit_code
        added = lambda: history.append(db, results.suite, results.started_at, out_dir, env, code, rows)  # noqa: E731
        if attempt("this suite is not in the history: ", added):
            attempt("", lambda: history.snapshot(db, results.suite, out_dir))
    try:
        write_reports_safely(out_dir, results, aggregates)
    except ReportFailed as failure:
        unwritten.append(f"the reports: {failure}")
        return Finished(verdict, tuple(unwritten), reports_written=False)
    return Finished(verdict, tuple(unwritten))
