"""results + verdict + trend -> one view model, computed once per report (pure).

Every table of a report is composed here, once, as header and cells; the
Markdown and HTML renderers only lay the same tables out. Aggregates are
computed once per report, here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from perfsuite.judge.aggregate import Aggregate, Metric, aggregate
from perfsuite.judge.verdict import EXIT_MEANINGS, Verdict
from perfsuite.plan.servers import SERVER_PACKAGES
from perfsuite.record.results import (
    CapacityResult,
    Environment,
    Flag,
    ModelResult,
    Resources,
    RunResult,
    SuiteResults,
)
from perfsuite.report.answer import headline, sizing_line, sizing_table
from perfsuite.report.cells import NOT_RANKED, Cell, Table, flags_cell, ms_text, number, ranked, rps_text
from perfsuite.report.cells import text_cell as _text
from perfsuite.report.deploy import deploy_table, recycling_table
from perfsuite.report.queue import queue_table
from perfsuite.report.streams import connections_table, stream_table, websocket_table


def _ratio(value: float, best: float) -> str:
    return f"{value / best:.2f}" if best > 0 else "–"


def value_text(value: float | None) -> str:
    return "none" if value is None else f"{value:,.4g}"


def best_rps(runs: list[RunResult]) -> dict[int, float]:
    """The best throughput each run is compared with: per users level for
    steady runs; over the whole scenario (key 0) for bursts."""
    best: dict[int, float] = defaultdict(float)
    for run in runs:
        if ranked(run):
            level = run.users if run.mode == "steady" else 0
            best[level] = max(best[level], run.rps)
    return best


def endpoint_names(runs: list[RunResult]) -> list[str]:
    """Every endpoint of the runs, in the order first seen."""
    names: list[str] = []
    for run in runs:
        names += [name for name in run.endpoints if name not in names]
    return names


def model_gaps(runs: list[RunResult]) -> list[str]:
    """Why the model does not apply to some of the runs, each reason once."""
    return sorted({run.model.why_not or "" for run in runs if run.model and not run.model.applies} - {""})


def run_name(run: RunResult) -> str:
    return f"{run.server} #{run.repeat}" if run.repeat > 1 else run.server


STEADY_HEADER = [
    "Server", "Users", "Requests", "Failures", "RPS", "Expected RPS", "Measured / expected", "Bound by",
    "Avg ms", "Expected ms", "p50 ms", "p95 ms", "p99 ms", "RPS vs best", "Flags",
]  # fmt: skip
BOUND_NAMES = {
    "loadgen": "load generator", "cpu": "server CPU", "slots": "slots", "users": "users", "rate": "offered rate",
    "server": "server (measured)",
}  # fmt: skip


def bound_text(model: ModelResult | None) -> str:
    """What bounds a closed loop by the model, and how much of it is in use: 'slots 100%'."""
    if model is None or not model.applies or model.bound is None:
        return "n/a"
    name = BOUND_NAMES.get(model.bound, model.bound)
    loads = model.loads or {}
    share = loads.get(model.bound)
    if share is not None:
        return f"{name} {share:.0%}"
    busiest = max(loads, key=lambda k: loads[k], default=None)  # users or rate: what is used most
    return f"{name} ({BOUND_NAMES[busiest]} {loads[busiest]:.0%})" if busiest in BOUND_NAMES else name


def steady_table(runs: list[RunResult]) -> Table:
    best = best_rps(runs)
    rows = []
    for run in runs:
        head = [_text(run_name(run)), Cell(str(run.users))]
        if not run.ok:
            rows.append([*head, Cell("error", "error", span=len(STEADY_HEADER) - 2)])
            continue
        lat, model = run.latency_ms, run.model
        applies = model is not None and model.applies
        rows.append(
            [
                *head,
                Cell(f"{run.requests:,}"),
                Cell(f"{run.failures:,}"),
                Cell(rps_text(run.rps)),
                Cell(rps_text(model.expected_rps) if applies and model else "n/a"),
                Cell(f"{model.ratio:.2f}" if applies and model and model.ratio is not None else "n/a"),
                _text(bound_text(model)),
                Cell(number(lat.avg)),
                Cell(number(model.expected_latency_ms) if applies and model else "n/a"),
                Cell(ms_text(lat.p50)),
                Cell(ms_text(lat.p95)),
                Cell(ms_text(lat.p99)),
                Cell(_ratio(run.rps, best[run.users])) if ranked(run) else _text(NOT_RANKED),
                flags_cell(run.flags),
            ]
        )
    return Table(STEADY_HEADER, rows)


OPEN_HEADER = [
    "Server", "Offered/s", "Answered/s", "Expected/s", "Utilisation", "Bound by", "Offered", "Completed", "Failed",
    "Unfinished", "Dropped", "p50 ms", "Expected ms", "p99 ms", "Send p50 ms", "Lag p99 ms", "Late starts", "Flags",
]  # fmt: skip


def open_table(runs: list[RunResult]) -> Table:
    """Open runs: what was offered and what became of it; latency from the intended start beside the send's."""
    rows = []
    for run in runs:
        head = [_text(run_name(run)), Cell(run.key.level.short)]
        if not run.ok or run.open is None:
            rows.append([*head, Cell("error", "error", span=len(OPEN_HEADER) - 2)])
            continue
        o, model = run.open, run.model if run.model is not None and run.model.applies else None
        expected_ms = "n/a" if model is None else "overloaded" if model.expected_latency_ms is None else None
        rows.append(
            [
                *head,
                Cell(rps_text(o.achieved_rps)),
                Cell("n/a" if model is None else rps_text(model.expected_rps)),
                Cell("n/a" if model is None or model.utilisation is None else f"{model.utilisation:.0%}"),
                _text(bound_text(run.model)),
                Cell(f"{o.offered:,}"),
                Cell(f"{o.completed:,}"),
                Cell(f"{o.failed:,}"),
                Cell(f"{o.unfinished:,}"),
                Cell(f"{o.dropped:,}"),
                Cell(ms_text(run.latency_ms.p50)),
                Cell(expected_ms or number(model.expected_latency_ms if model else None)),
                Cell(ms_text(run.latency_ms.p99)),
                Cell(ms_text(o.send_latency_ms.p50)),
                Cell(ms_text(o.schedule_lag_ms.p99)),
                Cell(f"{o.late_starts:,}"),
                flags_cell(run.flags),
            ]
        )
    return Table(OPEN_HEADER, rows)


CAPACITY_HEADER = [
    "Server", "Capacity req/s", "Model req/s", "Measured / model", "Bound by", "Capacity vs best", "Criterion",
    "Steps", "Model from",
]  # fmt: skip


def unbracketed(found: CapacityResult) -> bool:
    """The steps ran out before any rate above the best one failed: the capacity is higher still."""
    return found.rps is not None and not any(not s.ok and s.rate > found.rps for s in found.steps)


def capacity_text(found: CapacityResult) -> str:
    """'12.5', '>= 1,200 (load generator)', '>= 80.0 (no rate failed)', or '< 0.625' when no rate passed."""
    if found.rps is None:
        tried = min((step.rate for step in found.steps), default=None)
        return "none" if tried is None else f"< {rps_text(tried)}"
    shown = rps_text(found.rps)
    if found.bound == "loadgen":
        return f">= {shown} (load generator)"
    return f">= {shown} (no rate failed)" if unbracketed(found) else shown


def model_source(run: RunResult | None) -> str:
    """Where a run's model took its slots and service time from."""
    model = run.model if run is not None else None
    if model is None or not model.applies:
        return f"n/a: {model.why_not}" if model is not None and model.why_not else "n/a"
    service = f"service {number(1000 * (model.service_s or 0.0), 3)} ms"
    service += f" ({model.service_source})" if model.service_source else ""  # schemas 1-3 name no sources
    held = model.slots_source or (f"{model.slots} slots" if model.slots is not None else "unbounded")
    return f"{held}; {service}"


def capacity_table(found: list[CapacityResult], runs: list[RunResult]) -> Table | None:
    """Per config: the capacity measured, the model's, what bound it and the ratio to the best."""
    if not found:
        return None
    best = max((c.rps for c in found if c.rps is not None), default=None)
    rows = []
    for c in found:
        at_best = [r for r in runs if r.server == c.server and c.rps is not None and r.rate == c.rps]
        ratio = f"{c.rps / c.model_rps:.2f}" if c.rps is not None and c.model_rps else "n/a"
        rows.append(
            [
                _text(c.server),
                Cell(capacity_text(c)),
                Cell(rps_text(c.model_rps) if c.model_rps is not None else "n/a"),
                Cell(ratio),
                _text("load generator" if c.bound == "loadgen" else "not reached" if unbracketed(c) else "server"),
                Cell(_ratio(c.rps, best) if c.rps is not None and best else "–"),
                _text(c.criterion),
                Cell(f"{len(c.steps)}" + ("" if c.converged else " (not converged)")),
                _text(model_source(at_best[0] if at_best else next((r for r in runs if r.server == c.server), None))),
            ]
        )
    return Table(CAPACITY_HEADER, rows)


def model_notes(runs: list[RunResult]) -> list[str]:
    """Per config, once: where the model took its slots and service time from."""
    notes: dict[str, str] = {}
    for run in runs:
        if run.model is not None and run.model.applies and run.server not in notes:
            notes[run.server] = f"{run.server}: {model_source(run)}"
    return list(notes.values())


def burst_table(runs: list[RunResult]) -> Table:
    names = endpoint_names(runs)
    best = best_rps(runs)[0]
    header = ["Server", "Mode", *(f"# {n.capitalize()}" for n in names), "Elapsed", "Throughput", "vs best"]
    rows = []
    for run in runs:
        head = [_text(run_name(run)), _text(run.order or "")]
        if not run.ok:
            rows.append([*head, Cell("error", "error", span=len(names) + 3)])
            continue
        counts = [Cell(str(run.endpoints[n].requests) if n in run.endpoints else "–") for n in names]
        versus = Cell(_ratio(run.rps, best)) if ranked(run) else _text(NOT_RANKED)
        rows.append([*head, *counts, Cell(f"{run.elapsed_s:.2f} s"), Cell(f"{run.rps:.2f} req/s"), versus])
    return Table(header, rows)


def _mean_peak(resources: Resources | None) -> str:
    if resources is None:
        return "– / –"
    return f"{number(resources.cpu_percent.mean)} / {number(resources.cpu_percent.peak)}"


def resources_table(runs: list[RunResult]) -> Table | None:
    rows = []
    for run in runs:
        server = run.server_resources
        if not run.ok or server is None:
            continue
        upstream = run.upstream.stats.taken_ms_mean if run.upstream and run.upstream.stats else None
        rows.append(
            [
                _text(run_name(run)),
                Cell(run.key.level.short),
                Cell(_mean_peak(server)),
                Cell(number(server.cpu_seconds_per_1k_requests)),
                Cell(str(server.workers or "–")),
                Cell(number(server.memory_per_worker_mb.uss)),
                Cell(number(server.uss_mb.peak_total)),
                Cell(number(server.rss_mb.peak_total)),
                Cell(_mean_peak(run.loadgen_resources)),
                Cell(number(upstream)),
            ]
        )
    if not rows:
        return None
    header = [
        "Server", "Users", "Server CPU % mean / peak", "Server CPU s per 1k req", "Workers", "USS MB per worker",
        "USS MB total", "RSS MB total", "Locust CPU % mean / peak", "Upstream own ms",
    ]  # fmt: skip
    return Table(header, rows)


def endpoints_table(runs: list[RunResult]) -> Table | None:
    rows = []
    for run in runs:
        if not run.ok or len(run.endpoints) < 2:
            continue
        for name, ep in run.endpoints.items():
            rows.append(
                [
                    _text(run_name(run)),
                    Cell(run.key.level.short),
                    _text(name),
                    Cell(f"{ep.requests:,}"),
                    Cell(f"{ep.failures:,}"),
                    Cell(rps_text(ep.rps)),
                    Cell(number(ep.latency_ms.avg)),
                    Cell(ms_text(ep.latency_ms.p50)),
                    Cell(ms_text(ep.latency_ms.p95)),
                    Cell(ms_text(ep.latency_ms.p99)),
                ]
            )
    header = ["Server", "Users", "Endpoint", "Requests", "Failures", "RPS", "Avg ms", "p50 ms", "p95 ms", "p99 ms"]
    return Table(header, rows) if rows else None


FAILED_REQUEST_ROWS = 10  # per run; the rest are counted in one row


def failed_requests_table(runs: list[RunResult]) -> Table | None:
    """What failed, per run: endpoint, HTTP status and Locust's error message."""
    rows = []
    for run in runs:
        kinds = run.request_errors
        for e in kinds[:FAILED_REQUEST_ROWS]:
            rows.append(
                [
                    _text(run_name(run)),
                    Cell(run.key.level.short),
                    _text(f"{e.method} {e.name}"),
                    Cell("–" if e.status is None else str(e.status)),
                    _text(e.error),
                    Cell(f"{e.occurrences:,}"),
                ]
            )
        rest = kinds[FAILED_REQUEST_ROWS:]
        if rest:
            count = sum(e.occurrences for e in rest)
            more = [_text(f"{len(rest)} more kinds of error"), Cell(f"{count:,}")]
            rows.append([_text(run_name(run)), Cell(run.key.level.short), _text(""), Cell(""), *more])
    header = ["Server", "Level", "Request", "Status", "Error", "Count"]
    return Table(header, rows) if rows else None


def _ci(metric: Metric | None, digits: int | None = 1) -> str:
    """A median and its interval; `digits` None: as milliseconds (ms_text)."""
    if metric is None or metric.value is None:
        return "–"

    def text(value: float | None) -> str:
        return ms_text(value) if digits is None else number(value, digits)

    shown = text(metric.value)
    return f"{shown} [{text(metric.low)}–{text(metric.high)}]" if metric.low is not None else shown


def aggregates_table(aggregates: list[Aggregate]) -> Table:
    rows = []
    for agg in aggregates:
        m = agg.metrics
        rows.append(
            [
                _text(agg.server),
                _text(str(agg.level)),
                Cell(f"{agg.runs}" + (f" (+{agg.failed} failed)" if agg.failed else "")),
                Cell(_ci(m.get("rps"), 2)),
                Cell(_ci(m.get("p50_ms"), None)),
                Cell(_ci(m.get("p95_ms"), None)),
                Cell(_ci(m.get("p99_ms"), None)),
                Cell("–" if agg.cv is None else f"{agg.cv:.1%}"),
                Cell("⚠ noisy", "flags", labels=("noisy",)) if agg.noisy else _text(""),
            ]
        )
    header = ["Server", "Level", "Repetitions", "RPS median [95% CI]", "p50 ms", "p95 ms", "p99 ms", "CV of RPS", ""]
    return Table(header, rows)


def interpreters_table(environment: Environment) -> Table | None:
    """The versions of configs run under their own `python:`, beside the suite's, side by side."""
    if not environment.interpreters:
        return None
    shown = [p for p in SERVER_PACKAGES if any(i.packages.get(p) for i in environment.interpreters.values())]
    rows = [
        [_text("(the suite's own)"), _text(environment.python or "–"), _text("")]
        + [_text(environment.packages.get(p) or "–") for p in shown]
    ]
    for name, record in environment.interpreters.items():
        rows.append(
            [_text(name), _text(record.python or "did not answer"), _text(record.path)]
            + [_text(record.packages.get(p) or "–") for p in shown]
        )
    return Table(["Server", "Python", "Interpreter", *shown], rows)


def slo_table(verdict: Verdict) -> Table:
    rows = [
        [
            _text(c.key.scenario),
            _text(c.key.server),
            _text(str(c.key.level)),
            _text(c.endpoint or "(all)"),
            _text(c.metric),
            Cell(c.allowed),
            Cell(value_text(c.measured)),
            Cell("✅ held", "held") if c.passed else Cell("❌ violated", "violated"),
        ]
        for c in sorted(verdict.slo, key=lambda c: c.passed)
    ]
    return Table(["Scenario", "Server", "Level", "Endpoint", "Metric", "Allowed", "Measured", ""], rows)


def baseline_table(verdict: Verdict) -> Table:
    rows = []
    for entry in verdict.baseline or []:
        for c in entry.comparisons:
            kind = c.verdict if c.verdict in ("regression", "improvement") else "text"
            mark = {"regression": "❌ regression", "improvement": "✅ improvement"}.get(c.verdict, c.verdict)
            rows.append(
                [
                    _text(entry.key.scenario),
                    _text(entry.key.server),
                    _text(str(entry.key.level)),
                    _text(c.metric),
                    Cell(value_text(c.baseline)),
                    Cell(value_text(c.candidate)),
                    Cell(f"{c.ratio - 1:+.1%}"),
                    Cell(f"±{c.threshold:.0%}"),
                    Cell(mark, kind),
                    _text(c.basis),
                ]
            )
    header = ["Scenario", "Server", "Level", "Metric", "Baseline", "Now", "Change", "Threshold", "Verdict", "Basis"]
    return Table(header, rows)


CAPACITY_NOTE = "Capacity: the highest offered rate that met the criterion (latency from the intended start)."
HOLDS_NOTE = (
    "Holds at once: the most streams each config held at once while the criterion held (every connection"
    " held, no stream failed or cut); x marks a step that failed."
)

TABLES = {
    "burst": burst_table,
    "open": open_table,
    "steady": steady_table,
    "stream": stream_table,
    "websocket": websocket_table,
}


@dataclass
class ScenarioView:
    name: str
    mode: str
    runs: list[RunResult]
    table: Table
    why_not: list[str]
    aggregates: Table | None
    resources: Table | None
    endpoints: Table | None
    failed_requests: Table | None
    external: list[str]  # servers whose resources the suite cannot sample
    flags: list[tuple[RunResult, Flag]]
    errors: list[RunResult]
    capacity: list[CapacityResult] = field(default_factory=list)
    capacity_table: Table | None = None
    capacity_note: str = CAPACITY_NOTE
    model_notes: list[str] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)  # which config wins, and by how much
    sizing: Table | None = None  # the target's answer, per config
    sizing_line: str | None = None
    queue: Table | None = None  # waiting for a slot: the model's and the kernel's
    deploy: Table | None = None  # each event under load: what it cost, how fast each config recovered
    recycling: Table | None = None  # workers restarted on purpose, and the cost
    figures: list[dict[str, Any]] = field(default_factory=list)  # filled by the HTML renderer


@dataclass
class ReportView:
    results: SuiteResults
    verdict: Verdict | None
    scenarios: list[ScenarioView]
    trend: list[dict[str, Any]]
    aggregates: list[Aggregate]
    ok: int
    failed: int
    flag_count: int
    started: str
    summary: str
    verdict_line: str | None
    slo: Table | None
    baseline: Table | None
    overhead: str | None
    interpreters: Table | None = None


def build_view(
    results: SuiteResults,
    verdict: Verdict | None,
    trend: list[dict[str, Any]] | None,
    aggregates: list[Aggregate] | None = None,
) -> ReportView:
    """The view of a suite; `aggregates` if the caller has them already (the run's pipeline does)."""
    by_scenario: dict[str, list[RunResult]] = defaultdict(list)
    for run in results.runs:
        by_scenario[run.scenario].append(run)
    aggregates = aggregate(results.runs) if aggregates is None else aggregates
    scenarios = []
    for name, runs in by_scenario.items():
        mode = runs[0].mode
        repeated = any(run.repeat > 1 for run in runs)
        scenarios.append(
            ScenarioView(
                name=name,
                mode=mode,
                runs=runs,
                table=TABLES[mode](runs),
                why_not=[] if mode == "burst" else model_gaps(runs),
                aggregates=aggregates_table([a for a in aggregates if a.scenario == name]) if repeated else None,
                resources=resources_table(runs),
                endpoints=endpoints_table(runs),
                failed_requests=failed_requests_table(runs),
                external=sorted({run.server for run in runs if run.ok and run.server_kind == "external"}),
                flags=[(run, flag) for run in runs for flag in run.flags],
                errors=[run for run in runs if not run.ok],
                capacity=[c for c in results.capacity if c.scenario == name],
                capacity_table=capacity_table(
                    [c for c in results.capacity if c.scenario == name and c.of == "rate"], runs
                )
                or connections_table([c for c in results.capacity if c.scenario == name]),
                model_notes=model_notes(runs),
                headline=headline(mode, runs, [c for c in results.capacity if c.scenario == name]),
                sizing=sizing_table([s for s in results.sizing if s.scenario == name]),
                sizing_line=sizing_line([s for s in results.sizing if s.scenario == name]),
                queue=queue_table(runs),
                deploy=deploy_table(runs),
                recycling=recycling_table(runs),
            )
        )
    ok = sum(run.ok for run in results.runs)
    failed = len(results.runs) - ok
    summary = f"{ok} of {results.planned_runs} planned runs succeeded"
    if failed:
        summary += f", {failed} failed"
    if results.interrupted:
        summary += "; the suite was interrupted"
    overheads = sorted(run.overhead.total_s for run in results.runs if run.overhead.total_s is not None)
    overhead = (
        f"Suite overhead per run (start to first request, plus teardown): "
        f"median {overheads[len(overheads) // 2]:.2f} s, max {max(overheads):.2f} s."
        if overheads
        else None
    )
    return ReportView(
        results=results,
        verdict=verdict,
        scenarios=scenarios,
        trend=trend or [],
        aggregates=aggregates,
        ok=ok,
        failed=failed,
        flag_count=sum(len(run.flags) for run in results.runs),
        started=dt.datetime.fromtimestamp(results.started_at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        summary=summary + ".",
        verdict_line=None
        if verdict is None
        else f"Verdict: exit code {verdict.exit_code} ({EXIT_MEANINGS[verdict.exit_code]}).",
        slo=slo_table(verdict) if verdict is not None and verdict.slo else None,
        baseline=baseline_table(verdict) if verdict is not None and verdict.baseline is not None else None,
        overhead=overhead,
        interpreters=interpreters_table(results.environment),
    )
