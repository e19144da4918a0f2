"""`run_suite.py FILE`: run a scenario file (the default command).

Exit codes: 0 all good; 1 an SLO failed, a metric regressed or a run failed
(the others still ran); 2 invalid input (nothing started); 3 inconclusive (a
measurement that cannot be trusted); 128+signal when interrupted (130 on Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from perfsuite.commands.against import AgainstError, Worktrees, against, parse_pairs
from perfsuite.commands.common import EXIT_FAILED, EXIT_INVALID, error, load, prepare_out_dir, stamped, unwritable
from perfsuite.commands.pipeline import Afterwards, finish, run_plans
from perfsuite.judge.baseline import Baseline, BaselineError, environment_differences
from perfsuite.judge.baseline import load as load_baseline
from perfsuite.record import history
from perfsuite.record.fingerprint import fingerprint
from perfsuite.record.results import RESULTS_FILE, Environment, SchemaVersionError, SuiteResults, read_results
from perfsuite.report.console import verdict_lines
from perfsuite.report.files import REPORT_HTML, REPORT_MD, ReportFailed, step_summary
from perfsuite.run.lifecycle import STOP, Interrupted
from perfsuite.run.process import kill_all
from perfsuite.run.progress import make_progress
from perfsuite.spec.format import Suite
from perfsuite.spec.plan import RunPlan, SearchPlan, build_plan, build_searches, planned


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
    if not args.baseline:
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


def _unwritable_outputs(args: argparse.Namespace) -> list[str]:
    """What the suite would fail to write at its end, found before anything starts."""
    found = []
    if args.save_baseline and (problem := unwritable(Path(args.save_baseline), "--save-baseline")):
        found.append(problem)
    if not args.no_history:
        db = Path(args.history)
        problem = unwritable(db, "--history") or history.problem(db)
        if problem:
            found.append(f"{problem} (--no-history runs without one)")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and (problem := unwritable(Path(summary), "$GITHUB_STEP_SUMMARY")):
        found.append(problem)
    return found


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    # From here a signal only asks to stop: the suite stops at its next wait,
    # tears down, keeps what finished and writes the reports.
    STOP.install(force=kill_all)
    suite = load(args.file)
    if suite is None:
        return EXIT_INVALID
    trees = Worktrees()

    def force() -> None:  # a second signal: children killed, worktrees removed, then the suite exits
        kill_all()
        trees.remove()

    STOP.install(force=force)
    try:  # --against's worktrees go on every exit but SIGKILL
        return _main(args, suite, trees)
    finally:
        trees.remove()


def _compared_versions(
    args: argparse.Namespace, suite: Suite, trees: Worktrees
) -> tuple[Suite, list[tuple[str, str]], str] | None:
    """The suite (doubled by --against) and the pairs to compare; None after an error (exit 2)."""
    if args.against and args.pair:
        error("--against and --pair: choose one")
        return None
    try:
        if args.against:
            doubled, pairs = against(suite, args.against, trees)
            return doubled, pairs, f"--against {args.against}"
        pairs = parse_pairs(suite, args.pair or [])
    except AgainstError as failure:
        error(str(failure))
        return None
    return suite, pairs, " ".join(f"--pair {a}:{b}" for a, b in pairs)


def _main(args: argparse.Namespace, suite: Suite, trees: Worktrees) -> int:
    versions = _compared_versions(args, suite, trees)
    if versions is None:
        return EXIT_INVALID
    suite, pairs, pairs_label = versions
    outputs = _unwritable_outputs(args)
    for problem in outputs:
        error(problem)
    if outputs:
        return EXIT_INVALID
    environment = fingerprint(suite.spec.servers)
    compared = _baseline(args, environment)
    if compared is None:
        return EXIT_INVALID
    baseline, warnings = compared
    plans = build_plan(suite, only=args.only, quick=args.quick)
    searches = build_searches(suite, only=args.only, quick=args.quick)
    if not plans and not searches:
        error(f"--only {' '.join(args.only or [])} matches no run of {args.file}")
        return EXIT_INVALID
    if args.resume:
        out_dir = Path(args.resume).resolve()
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
        out_dir = Path(args.out).resolve() if args.out else stamped(suite.name)
        problem = prepare_out_dir(out_dir, args.force)
        if problem:
            error(problem)
            return EXIT_INVALID
        results = SuiteResults(
            suite=suite.name,
            source=str(suite.source),
            started_at=time.time(),
            planned_runs=planned(plans, searches),
            command=[Path(sys.argv[0]).name, *sys.argv[1:]],
            environment=environment,
        )
        also = f" and {len(searches)} capacity searches (up to {planned([], searches)} runs)" if searches else ""
        print(f"{suite.name}: {len(plans)} runs{also} -> {out_dir}/", file=sys.stderr)
    progress = make_progress(plans)
    interrupted: Interrupted | None = None
    try:
        run_plans(suite, plans, out_dir, results, progress, searches)
    except Interrupted as interrupt:
        interrupted = interrupt
    finally:
        progress.close()
    after = Afterwards(
        baseline=baseline,
        baseline_file=args.baseline,
        environment_warnings=tuple(warnings),
        history_db=None if args.no_history or interrupted is not None else Path(args.history).resolve(),
        save_baseline_to=Path(args.save_baseline) if args.save_baseline and interrupted is None else None,
        pairs=tuple(pairs),
        pairs_label=pairs_label,
    )
    try:
        verdict = finish(out_dir, results, suite, after)
    except ReportFailed:
        return EXIT_FAILED
    if interrupted is not None:
        print(
            f"interrupted: {len(results.runs)} finished runs kept in {out_dir}/{RESULTS_FILE}; "
            f"finish with --resume {out_dir}",
            file=sys.stderr,
        )
        return 128 + interrupted.signum
    if STOP.signum is not None:  # asked to stop after the last run: everything is written
        print(f"interrupted after the last run; results and reports are complete in {out_dir}/", file=sys.stderr)
        return 128 + STOP.signum
    _append_step_summary(out_dir)
    print(f"report: {out_dir / REPORT_HTML} and {REPORT_MD}", file=sys.stderr)
    for line in verdict_lines(verdict):
        print(line, file=sys.stderr)
    return verdict.exit_code


def _append_step_summary(out_dir: Path) -> None:
    """CI: add report.md to the GitHub job summary when $GITHUB_STEP_SUMMARY is set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        text = step_summary((out_dir / REPORT_MD).read_text(encoding="utf-8"), out_dir / REPORT_HTML)
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(text + "\n")
    except OSError as failure:  # the reports are written; only the summary is missing
        reason = failure.strerror or failure
        print(f"WARNING: cannot append to $GITHUB_STEP_SUMMARY {target}: {reason}", file=sys.stderr)
