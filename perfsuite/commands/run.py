"""`run_suite.py FILE`: run a scenario file (the default command).

Exit codes: 0 all good; 1 an SLO failed, a metric regressed, a run failed
(the others still ran) or a file the suite owns could not be written; 2
invalid input (nothing started); 3 inconclusive (a measurement that cannot
be trusted); 128+signal when interrupted (130 on Ctrl-C, 129 when the
terminal hangs up, 143 on SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from perfsuite.conduct.common import EXIT_FAILED, EXIT_INVALID, claim_out_dir, error, load, stamped, unwritable
from perfsuite.conduct.finish import Afterwards, finish
from perfsuite.conduct.runs import run_plans
from perfsuite.conduct.versions import AgainstError, Worktrees, against, parse_pairs
from perfsuite.io.files import WriteFailed, append_text, read_text
from perfsuite.io.signals import held
from perfsuite.judge.baseline import Baseline, BaselineError, coverage, environment_differences
from perfsuite.judge.baseline import load as load_baseline
from perfsuite.plan.format import Suite
from perfsuite.plan.key import GroupKey, RunKey
from perfsuite.plan.runs import RunPlan, SearchPlan, build_plan, build_searches, planned, selected
from perfsuite.record import history
from perfsuite.record.fingerprint import fingerprint
from perfsuite.record.results import (
    RESULTS_FILE,
    Environment,
    SchemaVersionError,
    SuiteResults,
    read_results,
    write_results,
)
from perfsuite.report.console import verdict_lines
from perfsuite.report.files import REPORT_HTML, REPORT_MD, step_summary
from perfsuite.report.progress import make_progress
from perfsuite.run.lifecycle import STOP, Interrupted
from perfsuite.run.process import kill_all


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_suite.py", description="Run a scenario file.")
    parser.add_argument("file", help="scenario file (YAML)")
    parser.add_argument("--out", help="output folder (default: reports/<name>-<timestamp>/)")
    parser.add_argument("--only", action="append", metavar="GLOB", help="run only 'scenario/server' matching GLOB")
    parser.add_argument("--quick", action="store_true", help="short warm-ups and durations: a smoke run")
    parser.add_argument("--force", action="store_true", help="write into an --out folder that holds results")
    parser.add_argument("--resume", metavar="DIR", help="run only the runs missing from DIR, then rebuild its reports")
    parser.add_argument("--baseline", metavar="FILE", help="compare with a baseline made by --save-baseline")
    parser.add_argument("--save-baseline", metavar="FILE", help="write this suite's medians and repetitions to FILE")
    parser.add_argument("--strict", action="store_true", help="refuse a baseline from another machine or versions")
    parser.add_argument(
        "--history",
        metavar="DB",
        default=str(history.DEFAULT_DB),
        help=f"SQLite file each finished suite is added to (default {history.DEFAULT_DB})",
    )
    parser.add_argument("--no-history", action="store_true", help="do not add this suite to the history")
    parser.add_argument(
        "--against",
        metavar="REF",
        help="also run each config on git revision REF of its app's repository (NAME@REF), interleaved, and compare",
    )
    parser.add_argument(
        "--pair",
        action="append",
        metavar="A:B",
        help="compare config B with config A of the same run (e.g. two interpreters); repeatable",
    )
    return parser


def resume(
    out_dir: Path, suite: Suite, plans: list[RunPlan], searches: list[SearchPlan]
) -> tuple[SuiteResults, list[RunPlan], list[SearchPlan]] | str:
    """The results so far and the plans and searches still missing, or why DIR cannot be resumed.
    A search cut short starts again: its steps so far are dropped."""
    try:
        results = read_results(out_dir)
    except (OSError, ValueError, SchemaVersionError) as failure:
        return f"--resume {out_dir}: cannot read {RESULTS_FILE}: {failure}"
    if results.suite != suite.name:
        return f"--resume {out_dir}: it holds suite {results.suite!r}, not {suite.name!r}"
    done = {run.key for run in results.runs}
    # A run cut short left a partial folder; a run empties its folder before it starts.
    missing = [plan for plan in plans if plan.key not in done]
    found = {(c.scenario, c.server) for c in results.capacity}
    undone = [s for s in searches if (s.scenario.name, s.server_name) not in found]
    cut = {(s.scenario.name, s.server_name) for s in undone}
    results.runs = [run for run in results.runs if (run.scenario, run.server) not in cut]
    results.interrupted = False
    done_steps = sum(len(c.steps) for c in results.capacity)
    results.planned_runs = planned(plans, undone) + done_steps
    return results, missing, undone


def _baseline(args: argparse.Namespace, environment: Environment) -> tuple[Baseline | None, list[str]] | None:
    """The baseline and its environment warnings; None after an error (exit 2)."""
    if args.baseline is None:
        return None, []
    try:
        baseline = load_baseline(Path(args.baseline))
    except BaselineError as failure:
        error(str(failure))
        return None
    warnings = environment_differences(baseline, environment)
    if warnings and args.strict:
        error(f"--strict: the baseline {args.baseline} comes from another machine or other versions:")
        for warning in warnings:
            print(f"  {warning}", file=sys.stderr)
        return None
    for warning in warnings:
        print(f"WARNING: baseline differs: {warning}", file=sys.stderr)
    return baseline, warnings


SHOWN_KEYS = 10  # of a baseline's or a plan's groups, in a message


def _scenarios(keys: list[GroupKey]) -> str:
    names = list(dict.fromkeys(key.scenario for key in keys))
    more = f" and {len(names) - SHOWN_KEYS} more" if len(names) > SHOWN_KEYS else ""
    return (", ".join(names[:SHOWN_KEYS]) + more) or "nothing"


def _labels(keys: list[GroupKey]) -> str:
    more = f"; and {len(keys) - SHOWN_KEYS} more" if len(keys) > SHOWN_KEYS else ""
    return "; ".join(key.label for key in keys[:SHOWN_KEYS]) + more


def _gate(args: argparse.Namespace, baseline: Baseline, plans: list[RunPlan]) -> bool:
    """Whether the baseline can judge this suite: something in common (else exit 2,
    naming both sides), and with --strict nothing on one side only. What is on one
    side only is said before anything starts."""
    keys = [plan.key.group for plan in plans if not plan.search]  # a search's steps are not compared
    found = coverage(baseline, keys, lambda key: selected(RunKey(key.scenario, key.server, key.level, 1), args.only))
    if not found.compared:
        error(
            f"--baseline {args.baseline}: nothing in common with this suite: the baseline holds "
            f"{_scenarios(sorted(e.key for e in baseline.entries))} (suite {baseline.suite or 'unnamed'!r}); "
            f"this suite runs {_scenarios(keys)}; a gate that compares nothing would pass"
        )
        return False
    parts = []
    if found.not_in_baseline:
        parts.append(f"not in the baseline: {_labels(found.not_in_baseline)}")
    if found.not_planned:
        parts.append(f"in the baseline, not run now: {_labels(found.not_planned)}")
    for part in parts:
        print(f"{'error' if args.strict else 'WARNING'}: --baseline {args.baseline}: {part}", file=sys.stderr)
    if parts and args.strict:
        error(f"--strict: {len(found.compared)} compared, but not everything on both sides (above)")
        return False
    return True


def _unwritable_outputs(args: argparse.Namespace) -> list[str]:
    """What the suite would fail to write at its end, found before anything starts."""
    found = []
    if args.save_baseline is not None and (problem := unwritable(Path(args.save_baseline), "--save-baseline")):
        found.append(problem)
    if not args.no_history:
        db = Path(args.history)
        problem = unwritable(db, "--history", link_allowed=False) or history.problem(db)
        if problem:
            found.append(f"{problem} (--no-history runs without one)")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and (problem := unwritable(Path(summary), "$GITHUB_STEP_SUMMARY", link_allowed=False, appended=True)):
        found.append(problem)
    return found


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    trees = Worktrees()

    def force() -> None:  # a second signal: children killed, worktrees removed, then the suite exits
        kill_all()
        trees.remove()

    # Until the runs begin a signal stops the suite where it is (nothing started); from
    # then on it only asks to stop: the suite stops at its next wait, tears down, keeps
    # what finished and writes the reports.
    STOP.install(force=force, immediate=True)
    try:  # --against's worktrees go on every exit but SIGKILL
        suite = load(args.file)
        if suite is None:
            return EXIT_INVALID
        return _main(args, suite, trees)
    except Interrupted as interrupt:
        print(f"interrupted before anything started ({interrupt})", file=sys.stderr)
        return 128 + interrupt.signum
    finally:
        with held():  # a signal now waits until the worktrees are gone
            trees.remove()


def _compared_versions(
    args: argparse.Namespace, suite: Suite, trees: Worktrees
) -> tuple[Suite, list[tuple[str, str]], str] | None:
    """The suite (doubled by --against) and the pairs to compare; None after an error (exit 2)."""
    if args.against is not None and args.pair:
        error("--against and --pair: choose one")
        return None
    try:
        if args.against is not None:
            doubled, pairs = against(suite, args.against, trees)
            return doubled, pairs, f"--against {args.against}"
        pairs = parse_pairs(suite, args.pair or [])
    except AgainstError as failure:
        for line in str(failure).splitlines():  # every config's problem at REF, each on its own line
            error(line)
        return None
    return suite, pairs, " ".join(f"--pair {a}:{b}" for a, b in pairs)


@dataclass(frozen=True)
class Prepared:
    """Everything checked before anything starts: what to run, against what, into which folder."""

    suite: Suite
    pairs: list[tuple[str, str]]
    pairs_label: str
    environment: Environment
    baseline: Baseline | None
    warnings: list[str]
    plans: list[RunPlan]
    searches: list[SearchPlan]


def _prepare(args: argparse.Namespace, suite: Suite, trees: Worktrees) -> Prepared | None:
    """The checks of the pre-flight, in order; None after an error (exit 2)."""
    versions = _compared_versions(args, suite, trees)
    if versions is None:
        return None
    suite, pairs, pairs_label = versions
    outputs = _unwritable_outputs(args)
    for problem in outputs:
        error(problem)
    if outputs:
        return None
    environment = fingerprint(suite.declared.servers)
    compared = _baseline(args, environment)
    if compared is None:
        return None
    baseline, warnings = compared
    plans = build_plan(suite, only=args.only, quick=args.quick)
    searches = build_searches(suite, only=args.only, quick=args.quick)
    if not plans and not searches:
        error(f"--only {' '.join(args.only or [])} matches no run of {args.file}")
        return None
    # Beside --against or --pair the stored baseline is a trend to read, not the gate: the pairs are.
    if baseline is not None and not pairs and not _gate(args, baseline, plans):
        return None
    return Prepared(suite, pairs, pairs_label, environment, baseline, warnings, plans, searches)


def _main(args: argparse.Namespace, suite: Suite, trees: Worktrees) -> int:
    prepared = _prepare(args, suite, trees)
    if prepared is None:
        return EXIT_INVALID
    suite, plans, searches = prepared.suite, prepared.plans, prepared.searches
    out_dir = Path(args.resume if args.resume else args.out or stamped(suite.name)).resolve()
    holder = "another suite's --resume" if args.resume else "another suite"
    claimed = claim_out_dir(out_dir, force=args.force, existing=bool(args.resume), holder=holder)
    if isinstance(claimed, str):
        error(f"--resume {out_dir}: {claimed}" if args.resume else claimed)
        return EXIT_INVALID
    with claimed:  # the folder is this suite's alone until it ends
        STOP.recording()  # from here a signal is answered with a folder whose record says so
        if args.resume:
            resumed = resume(out_dir, suite, plans, searches)
            if isinstance(resumed, str):
                error(resumed)
                return EXIT_INVALID
            results, plans, searches = resumed
            also = f" and {len(searches)} capacity searches" if searches else ""
            print(
                f"{suite.name}: resuming {out_dir}/: {len(results.runs)} runs done, {len(plans)} to go{also}",
                file=sys.stderr,
            )
        else:
            results = SuiteResults(
                suite=suite.name,
                source=str(suite.source),
                started_at=time.time(),
                planned_runs=planned(plans, searches),
                command=[Path(sys.argv[0]).name, *sys.argv[1:]],
                environment=prepared.environment,
            )
            also = f" and {len(searches)} capacity searches (up to {planned([], searches)} runs)" if searches else ""
            print(f"{suite.name}: {len(plans)} runs{also} -> {out_dir}/", file=sys.stderr)
        try:
            write_results(out_dir, results)
        except WriteFailed as failure:  # before the first run: nothing started
            error(str(failure))
            return EXIT_INVALID
        return _run(args, prepared, out_dir, results, plans, searches)


def _run(
    args: argparse.Namespace,
    prepared: Prepared,
    out_dir: Path,
    results: SuiteResults,
    plans: list[RunPlan],
    searches: list[SearchPlan],
) -> int:
    """The runs, then the suite judged and its files written; the exit code."""
    progress = make_progress(plans)
    interrupted: Interrupted | None = None
    try:
        run_plans(prepared.suite, plans, out_dir, results, progress, searches)
    except Interrupted as interrupt:
        interrupted = interrupt
    except WriteFailed as failure:  # results.json after a run: the runs stop, nothing is left running
        error(f"{failure}; the suite stopped after {len(results.runs)} runs")
        return EXIT_FAILED
    finally:
        with contextlib.suppress(OSError):  # a terminal that hung up
            progress.close()
    after = Afterwards(
        baseline=prepared.baseline,
        baseline_file=args.baseline,
        environment_warnings=tuple(prepared.warnings),
        history_db=None if args.no_history or interrupted is not None else Path(args.history).resolve(),
        save_baseline_to=Path(args.save_baseline) if args.save_baseline and interrupted is None else None,
        pairs=tuple(prepared.pairs),
        pairs_label=prepared.pairs_label,
    )
    finished = finish(out_dir, results, prepared.suite, after)
    if interrupted is not None:
        print(
            f"interrupted ({interrupted}): {len(results.runs)} finished runs kept in {out_dir}/{RESULTS_FILE}; "
            f"finish with --resume {out_dir}",
            file=sys.stderr,
        )
        return 128 + interrupted.signum
    if STOP.signum is not None:  # asked to stop after the last run: everything is written
        print(f"interrupted after the last run; results and reports are complete in {out_dir}/", file=sys.stderr)
        return 128 + STOP.signum
    if finished.reports_written:
        _append_step_summary(out_dir)
        print(f"report: {out_dir / REPORT_HTML} and {REPORT_MD}", file=sys.stderr)
    for line in verdict_lines(finished.verdict):
        print(line, file=sys.stderr)
    if finished.unwritten:
        print(f"failed: {len(finished.unwritten)} of the suite's files could not be written (above)", file=sys.stderr)
    return finished.exit_code


def _append_step_summary(out_dir: Path) -> None:
    """CI: add report.md to the GitHub job summary when $GITHUB_STEP_SUMMARY is set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        text = step_summary(read_text(out_dir / REPORT_MD), out_dir / REPORT_HTML)
        append_text(Path(target), text + "\n")  # never blocks: a FIFO or a device is refused
    except (OSError, ValueError) as failure:  # the reports are written; only the summary is missing
        print(f"WARNING: $GITHUB_STEP_SUMMARY not written: {failure}", file=sys.stderr)
