"""Command line: run a suite, validate a file, print the schema, rebuild a report.

Exit codes: 0 all good; 1 an SLO failed, a metric regressed or a run failed
(the others still ran); 2 invalid input (nothing started); 3 inconclusive (a
measurement that cannot be trusted); 128+signal when interrupted (130 on Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from perfsuite import ROOT
from perfsuite.judge.aggregate import aggregate
from perfsuite.judge.baseline import BaselineError, compare_all, environment_differences
from perfsuite.judge.baseline import build as build_baseline
from perfsuite.judge.baseline import load as load_baseline
from perfsuite.judge.baseline import save as save_baseline
from perfsuite.judge.slo import evaluate
from perfsuite.judge.verdict import Verdict, judge
from perfsuite.judge.verdict import read as read_verdict
from perfsuite.judge.verdict import write as write_verdict
from perfsuite.record import history
from perfsuite.record.fingerprint import fingerprint
from perfsuite.record.results import RESULTS_FILE, SchemaVersionError, SuiteResults, read_results
from perfsuite.report import junit
from perfsuite.report.markdown import render
from perfsuite.run.lifecycle import STOP, Interrupted
from perfsuite.run.process import kill_all
from perfsuite.run.progress import make_progress
from perfsuite.run.runner import run_suite
from perfsuite.spec.format import json_schema
from perfsuite.spec.loader import ScenarioError, Suite, load_suite
from perfsuite.spec.plan import RunPlan, build_plan

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
SCHEMA_PATH = ROOT / "scenarios" / "schema.json"


def _load(path: str) -> Suite | None:
    try:
        return load_suite(Path(path))
    except ScenarioError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return None


def write_reports(out_dir: Path, results: SuiteResults) -> None:
    """report.md and report.html from results and the files in out_dir alone."""
    from perfsuite.record.timeseries import load_series
    from perfsuite.report import html as report_html  # matplotlib loads only when a report is drawn

    verdict, trend = read_verdict(out_dir), history.read_snapshot(out_dir)
    (out_dir / REPORT_MD).write_text(render(results, verdict, trend), encoding="utf-8")
    html = report_html.render(results, load_series(out_dir, results), verdict, trend)
    (out_dir / REPORT_HTML).write_text(html, encoding="utf-8")


class ReportFailed(Exception):
    pass


def write_reports_safely(out_dir: Path, results: SuiteResults) -> None:
    """At the end of a suite a broken renderer must not lose anything:
    results.json is already written; say what failed and go on."""
    try:
        write_reports(out_dir, results)
    except Exception as error:
        detail = "".join(traceback.format_exception_only(error)).strip()
        print(
            f"error: writing the reports failed ({detail}); results.json is intact; "
            f"retry with: python run_suite.py report {out_dir}",
            file=sys.stderr,
        )
        raise ReportFailed(detail) from error


def append_step_summary(out_dir: Path) -> None:
    """CI: add report.md to the GitHub job summary when $GITHUB_STEP_SUMMARY is set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as summary:
            summary.write((out_dir / REPORT_MD).read_text(encoding="utf-8") + "\n")


def _prepare_out_dir(out_dir: Path, force: bool) -> str | None:
    """Create the output folder; an error message if it cannot be used."""
    if (out_dir / RESULTS_FILE).exists() and not force:
        return f"{out_dir} already holds {RESULTS_FILE}; choose another --out or pass --force"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        return f"cannot write to output folder {out_dir}: {error.strerror or error}"
    return None


def _run_key(scenario: str, server: str, order: str | None, users: int, repeat: int) -> tuple[Any, ...]:
    return (scenario, server, order, None if order else users, repeat)


def _resume(out_dir: Path, suite: Suite, plans: list[RunPlan]) -> tuple[SuiteResults, list[RunPlan]] | str:
    """The results so far and the plans still missing, or why DIR cannot be resumed."""
    try:
        results = read_results(out_dir)
    except (OSError, ValueError, SchemaVersionError) as error:
        return f"--resume {out_dir}: cannot read {RESULTS_FILE}: {error}"
    if results.suite != suite.name:
        return f"--resume {out_dir}: it holds suite {results.suite!r}, not {suite.name!r}"
    done = {_run_key(r.scenario, r.server, r.order, r.users, r.repeat) for r in results.runs}
    # A run cut short left a partial folder; run_one empties a run's folder before it starts.
    missing = [p for p in plans if _run_key(p.scenario.name, p.server_name, p.order, p.users, p.repeat) not in done]
    results.interrupted = False
    results.planned_runs = len(plans)
    return results, missing


def finish(
    out_dir: Path,
    results: SuiteResults,
    suite: Suite,
    baseline: dict[str, Any] | None,
    baseline_file: str | None,
    environment_warnings: list[str],
    history_db: Path | None = None,
    save_baseline_to: Path | None = None,
) -> Verdict:
    """Everything after the runs: aggregates, SLOs, baseline, checks.json, junit.xml, history, reports."""
    aggregates = aggregate(results.runs)
    slos = {s.name: slo for s in suite.spec.scenarios if (slo := suite.spec.setting(s, "slo")) is not None}
    comparisons, notes = compare_all(baseline, aggregates) if baseline is not None else (None, [])
    verdict = judge(
        results, aggregates, evaluate(aggregates, slos), comparisons, baseline_file, notes, environment_warnings
    )
    write_verdict(out_dir, verdict)
    junit.write(out_dir, results.suite, verdict)
    if save_baseline_to is not None:  # before the reports: a renderer fault must not cost the baseline
        save_baseline(save_baseline_to, build_baseline(aggregates, results.environment, suite.name))
        print(f"baseline: {save_baseline_to}", file=sys.stderr)
    if history_db is not None:
        history.append(
            history_db, results.suite, results.started_at, out_dir, results.environment, verdict.exit_code, aggregates
        )
        history.snapshot(history_db, results.suite, out_dir)
    write_reports_safely(out_dir, results)
    return verdict


def cmd_run(argv: list[str]) -> int:
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
    args = parser.parse_args(argv)
    # From here a signal only asks to stop: the suite stops at its next wait,
    # tears down, keeps what finished and writes the reports.
    STOP.install(force=kill_all)
    suite = _load(args.file)
    if suite is None:
        return EXIT_INVALID
    baseline = None
    environment = fingerprint()
    warnings: list[str] = []
    if args.baseline:
        try:
            baseline = load_baseline(Path(args.baseline))
        except BaselineError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_INVALID
        warnings = environment_differences(baseline, environment)
        if warnings and args.strict:
            print(
                f"error: --strict: the baseline {args.baseline} comes from another machine or other versions:",
                file=sys.stderr,
            )
            for warning in warnings:
                print(f"  {warning}", file=sys.stderr)
            return EXIT_INVALID
        for warning in warnings:
            print(f"WARNING: baseline differs: {warning}", file=sys.stderr)
    plans = build_plan(suite, only=args.only, quick=args.quick)
    if not plans:
        print(f"error: --only {' '.join(args.only or [])} matches no run of {args.file}", file=sys.stderr)
        return EXIT_INVALID
    if args.resume:
        out_dir = Path(args.resume).resolve()
        resumed = _resume(out_dir, suite, plans)
        if isinstance(resumed, str):
            print(f"error: {resumed}", file=sys.stderr)
            return EXIT_INVALID
        results, plans = resumed
        print(f"{suite.name}: resuming {out_dir}/: {len(results.runs)} runs done, {len(plans)} to go", file=sys.stderr)
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        # Absolute: Locust and the servers run with other working directories.
        out_dir = (Path(args.out) if args.out else Path("reports") / f"{suite.name}-{stamp}").resolve()
        problem = _prepare_out_dir(out_dir, args.force)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_INVALID
        results = SuiteResults(
            suite=suite.name,
            source=str(suite.source),
            started_at=time.time(),
            planned_runs=len(plans),
            command=[Path(sys.argv[0]).name, *sys.argv[1:]],
            environment=environment,
        )
        print(f"{suite.name}: {len(plans)} runs -> {out_dir}/", file=sys.stderr)
    progress = make_progress(plans)
    interrupted: Interrupted | None = None
    try:
        run_suite(suite, plans, out_dir, results, progress)
    except Interrupted as interrupt:
        interrupted = interrupt
    finally:
        progress.close()
    try:
        history_db = None if args.no_history or interrupted is not None else Path(args.history).resolve()
        save_to = Path(args.save_baseline) if args.save_baseline and interrupted is None else None
        verdict = finish(out_dir, results, suite, baseline, args.baseline, warnings, history_db, save_to)
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
    append_step_summary(out_dir)
    print(f"report: {out_dir / REPORT_HTML} and {REPORT_MD}", file=sys.stderr)
    for line in _verdict_lines(verdict):
        print(line, file=sys.stderr)
    return verdict.exit_code


def _verdict_lines(verdict: Verdict) -> list[str]:
    lines = [f"run failed: {run}" for run in verdict.failed_runs]
    lines += [
        f"SLO failed: {c['scenario']} / {c['server']} / {c['level']}: "
        f"{(c['endpoint'] + ' ') if c['endpoint'] else ''}{c['metric']} measured {c['measured']}, "
        f"allowed {c['allowed']}"
        for c in verdict.slo_failures
    ]
    lines += [
        f"REGRESSION: {e['scenario']} / {e['server']} / {e['level']}: {c['metric']} {c['ratio'] - 1:+.1%} "
        f"({c['basis']})"
        for e, c in verdict.regressions
    ]
    lines += [f"inconclusive: {reason}" for reason in verdict.inconclusive]
    return lines


def cmd_validate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py validate", description="Validate a scenario file only.")
    parser.add_argument("file")
    args = parser.parse_args(argv)
    suite = _load(args.file)
    if suite is None:
        return EXIT_INVALID
    plans = build_plan(suite)
    print(f"{args.file}: valid; {len(plans)} runs")
    return EXIT_OK


def cmd_schema(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py schema", description="Print the scenario JSON Schema.")
    parser.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_PATH.name} in scenarios/")
    args = parser.parse_args(argv)
    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.write:
        SCHEMA_PATH.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_report(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py report", description="Rebuild the reports of a results folder.")
    parser.add_argument("dir")
    args = parser.parse_args(argv)
    out_dir = Path(args.dir)
    try:
        results = read_results(out_dir)
    except (OSError, ValueError, SchemaVersionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    write_reports(out_dir, results)
    print(f"report: {out_dir / REPORT_HTML} and {REPORT_MD}", file=sys.stderr)
    return EXIT_OK


def cmd_calibrate(argv: list[str]) -> int:
    from perfsuite.commands.calibrate import calibrate, describe
    from perfsuite.spec.durations import parse_duration

    parser = argparse.ArgumentParser(
        prog="run_suite.py calibrate", description="Measure the requests per second one Locust process can drive here."
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", default="10s", help="measured window (default 10s)")
    parser.add_argument("--out", help="output folder (default: reports/calibrate-<timestamp>/)")
    args = parser.parse_args(argv)
    try:
        duration = parse_duration(args.duration)
    except ValueError as error:
        print(f"error: --duration {error}", file=sys.stderr)
        return EXIT_INVALID
    if not 1 <= args.users <= 100_000 or duration <= 0:
        print("error: --users must be 1..100000 and --duration positive", file=sys.stderr)
        return EXIT_INVALID
    out_dir = (
        Path(args.out) if args.out else Path("reports") / f"calibrate-{time.strftime('%Y%m%d-%H%M%S')}"
    ).resolve()
    problem = _prepare_out_dir(out_dir, force=True)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    STOP.install(force=kill_all)
    try:
        summary = calibrate(out_dir, users=args.users, duration_s=duration)
    except Interrupted as interrupt:
        return 128 + interrupt.signum
    print(describe(summary))
    print(f"details: {out_dir / 'calibration.json'}", file=sys.stderr)
    return EXIT_OK if summary["status"] == "ok" else EXIT_FAILED


def cmd_history(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py history", description="Trends over stored suites.")
    parser.add_argument("--db", default=str(history.DEFAULT_DB), help=f"history file (default {history.DEFAULT_DB})")
    parser.add_argument("--suite", help="only suites of this name")
    parser.add_argument("--scenario")
    parser.add_argument("--server")
    parser.add_argument("--metric", choices=history.METRICS, action="append", help="default: rps and p95_ms")
    parser.add_argument("--last", type=int, default=30, help="this many most recent suites (default 30)")
    args = parser.parse_args(argv)
    rows = history.trend(Path(args.db), args.suite, args.scenario, args.server, args.last)
    if not rows:
        print(f"no history in {args.db} for that selection", file=sys.stderr)
        return EXIT_FAILED
    for metric in args.metric or ["rps", "p95_ms"]:
        print(history.render_text(rows, metric))
        print()
    return EXIT_OK


def cmd_ui(argv: list[str]) -> int:
    from perfsuite.commands.ui import DEFAULT_UI_PORT, UiError, UiInputError, explore

    parser = argparse.ArgumentParser(prog="run_suite.py ui", description="Explore server configs in Locust's web UI.")
    parser.add_argument("file")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--server", help="the server config to start")
    which.add_argument("--servers", help="several configs, comma-separated, or 'all'")
    parser.add_argument("--scenario", help="whose mix to preselect (default: the first steady one with a mix)")
    parser.add_argument("--port", type=int, default=DEFAULT_UI_PORT, help=f"web UI port (default {DEFAULT_UI_PORT})")
    parser.add_argument(
        "--web-host", default="127.0.0.1", help="address the web UI binds (default 127.0.0.1; 0.0.0.0 opens it)"
    )
    parser.add_argument("--logs", help="where server and Locust logs go (default: reports/ui-<timestamp>/)")
    args = parser.parse_args(argv)
    suite = _load(args.file)
    if suite is None:
        return EXIT_INVALID
    if args.server:
        servers = [args.server]
    elif args.servers == "all":
        servers = list(suite.spec.servers)
    else:
        servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    logs = Path(args.logs or Path("reports") / f"ui-{time.strftime('%Y%m%d-%H%M%S')}").resolve()
    try:
        return explore(suite, servers, args.scenario, args.port, logs, web_host=args.web_host)
    except UiError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID if isinstance(error, UiInputError) else EXIT_FAILED


COMMANDS = {
    "ui": cmd_ui,
    "history": cmd_history,
    "validate": cmd_validate,
    "schema": cmd_schema,
    "report": cmd_report,
    "calibrate": cmd_calibrate,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    return cmd_run(argv)
