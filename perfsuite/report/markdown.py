"""results -> report.md (GitHub-flavoured Markdown). A pure function.

Per scenario one comparison table, a row per server config and users level,
with each row's throughput as a ratio to the best; burst scenarios in the
classic table shape (Server | Mode | # per entry | Elapsed | Throughput).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from perfsuite.judge.aggregate import Aggregate, Metric, aggregate
from perfsuite.judge.verdict import Verdict
from perfsuite.record.history import render_text as render_trend
from perfsuite.record.results import RunResult, SuiteResults

EXIT_MEANINGS = {0: "all good", 1: "an SLO failed, a metric regressed or a run failed", 3: "inconclusive"}


def number(value: float | None, digits: int = 1) -> str:
    """A figure for a table: thousands separated above 1000, a dash for none."""
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _rps(value: float) -> str:
    return number(value, 2 if value < 100 else 1)


def _ratio(value: float, best: float) -> str:
    return f"{value / best:.2f}" if best > 0 else "–"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


FLAG_LABELS = {
    "errors": "errors",
    "loadgen_saturated": "load generator saturated",
    "upstream_slow": "upstream slow",
    "model_mismatch": "model mismatch",
}


def _flags(run: RunResult) -> str:
    return ", ".join(f"⚠ {FLAG_LABELS.get(f['kind'], f['kind'])}" for f in run.flags)


def _model_cells(run: RunResult) -> list[str]:
    model = run.model or {}
    if not model.get("applies"):
        return ["n/a", "n/a", "n/a"]
    return [
        _rps(model["expected_rps"]),
        f"{model['ratio']:.2f}" if model.get("ratio") is not None else "–",
        number(model["expected_latency_ms"]),
    ]


def best_rps(runs: list[RunResult]) -> dict[int, float]:
    """The best throughput each run is compared with: per users level for
    steady runs; over the whole scenario (key 0) for bursts."""
    best: dict[int, float] = defaultdict(float)
    for run in runs:
        if run.status == "ok":
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
    return sorted({run.model["why_not"] for run in runs if run.model and not run.model.get("applies")} - {""})


def _steady(runs: list[RunResult]) -> list[str]:
    best = best_rps(runs)
    rows = []
    for run in runs:
        lat = run.latency_ms
        if run.status != "ok":
            rows.append([run.server, str(run.users), "**error**", *[""] * 11])
            continue
        expected_rps, ratio, expected_ms = _model_cells(run)
        rows.append(
            [
                run.server,
                str(run.users),
                f"{run.requests:,}",
                f"{run.failures:,}",
                _rps(run.rps),
                expected_rps,
                ratio,
                number(lat.avg),
                expected_ms,
                number(lat.p50, 0),
                number(lat.p95, 0),
                number(lat.p99, 0),
                _ratio(run.rps, best[run.users]),
                _flags(run),
            ]
        )
    header = [
        "Server",
        "Users",
        "Requests",
        "Failures",
        "RPS",
        "Expected RPS",
        "Measured / expected",
        "Avg ms",
        "Expected ms",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "RPS vs best",
        "Flags",
    ]
    lines = _table(header, rows)
    for reason in model_gaps(runs):
        lines += ["", f"Model n/a: {reason}."]
    return lines


def _mean_peak(resources: dict[str, Any] | None) -> str:
    return f"{_resource_cells(resources, 'cpu_percent', 'mean')} / {_resource_cells(resources, 'cpu_percent', 'peak')}"


def _resource_cells(resources: dict[str, Any] | None, *keys: str) -> str:
    value: Any = resources or {}
    for key in keys:
        value = (value or {}).get(key) if isinstance(value, dict) else None
    return "–" if value is None else number(float(value))


def _resources(runs: list[RunResult]) -> list[str]:
    rows = []
    for run in runs:
        if run.status != "ok" or run.server_resources is None:
            continue
        server, loadgen = run.server_resources, run.loadgen_resources
        upstream = ((run.upstream or {}).get("stats") or {}).get("taken_ms_mean")
        level = run.order or str(run.users)
        rows.append(
            [
                run.server,
                level,
                _mean_peak(server),
                _resource_cells(server, "cpu_seconds_per_1k_requests"),
                str(server.get("workers", "–")),
                _resource_cells(server, "memory_per_worker_mb", "uss"),
                _resource_cells(server, "uss_mb", "peak_total"),
                _resource_cells(server, "rss_mb", "peak_total"),
                _mean_peak(loadgen),
                "–" if upstream is None else f"{upstream:.1f}",
            ]
        )
    external = sorted({run.server for run in runs if run.status == "ok" and run.server_kind == "external"})
    notes = [f"Server resources not sampled for {', '.join(external)}: external servers are not started by the suite."]
    if not rows:
        return ["", *notes] if external else []
    header = [
        "Server",
        "Users",
        "Server CPU % mean / peak",
        "Server CPU s per 1k req",
        "Workers",
        "USS MB per worker",
        "USS MB total",
        "RSS MB total",
        "Locust CPU % mean / peak",
        "Upstream own ms",
    ]
    return [
        "",
        "Resources (CPU % is of one core; USS excludes pages shared between workers):",
        "",
        *_table(header, rows),
        *(["", *notes] if external else []),
    ]


def _burst(runs: list[RunResult]) -> list[str]:
    names = endpoint_names(runs)
    best = best_rps(runs)[0]
    rows = []
    for run in runs:
        counts = [str(run.endpoints[n].requests) if n in run.endpoints else "–" for n in names]
        if run.status != "ok":
            rows.append([run.server, run.order or "", *counts, "**error**", "", ""])
            continue
        rows.append(
            [
                run.server,
                run.order or "",
                *counts,
                f"{run.elapsed_s:.2f} s",
                f"{run.rps:.2f} req/s",
                _ratio(run.rps, best),
            ]
        )
    return _table(["Server", "Mode", *(f"# {n.capitalize()}" for n in names), "Elapsed", "Throughput", "vs best"], rows)


def _endpoints(runs: list[RunResult]) -> list[str]:
    rows = []
    for run in runs:
        if run.status != "ok" or len(run.endpoints) < 2:
            continue
        level = run.order or str(run.users)
        for name, ep in run.endpoints.items():
            rows.append(
                [
                    run.server,
                    level,
                    name,
                    f"{ep.requests:,}",
                    f"{ep.failures:,}",
                    _rps(ep.rps),
                    number(ep.latency_ms.avg),
                    number(ep.latency_ms.p50, 0),
                    number(ep.latency_ms.p95, 0),
                    number(ep.latency_ms.p99, 0),
                ]
            )
    if not rows:
        return []
    header = ["Server", "Users", "Endpoint", "Requests", "Failures", "RPS", "Avg ms", "p50 ms", "p95 ms", "p99 ms"]
    return ["", "<details><summary>Per endpoint</summary>", "", *_table(header, rows), "", "</details>"]


def _ci(metric: Metric | None, digits: int = 1) -> str:
    if metric is None or metric.value is None:
        return "–"
    text = number(metric.value, digits)
    return f"{text} [{number(metric.low, digits)}–{number(metric.high, digits)}]" if metric.low is not None else text


def _aggregates(aggregates: list[Aggregate]) -> list[str]:
    rows = []
    for agg in aggregates:
        m = agg.metrics
        rows.append(
            [
                agg.server,
                agg.level,
                f"{agg.runs}" + (f" (+{agg.failed} failed)" if agg.failed else ""),
                _ci(m.get("rps"), 2),
                _ci(m.get("p50_ms"), 0),
                _ci(m.get("p95_ms"), 0),
                _ci(m.get("p99_ms"), 0),
                "–" if agg.cv is None else f"{agg.cv:.1%}",
                "⚠ noisy" if agg.noisy else "",
            ]
        )
    header = ["Server", "Level", "Repetitions", "RPS median [95% CI]", "p50 ms", "p95 ms", "p99 ms", "CV of RPS", ""]
    return ["", "Across repetitions (latency percentiles from the merged histograms):", "", *_table(header, rows)]


def _fmt_value(value: float | None) -> str:
    return "none" if value is None else f"{value:,.4g}"


def _verdict(verdict: Verdict) -> list[str]:
    lines: list[str] = []
    if verdict.environment_warnings:
        lines += [
            "## ⚠ Baseline from another machine or other versions",
            "",
            "Comparisons below may reflect the environment, not the code:",
            "",
        ]
        lines += [f"- {warning}" for warning in verdict.environment_warnings] + [""]
    if verdict.slo:
        failures = verdict.slo_failures
        lines += ["## SLOs", "", f"{len(verdict.slo) - len(failures)} of {len(verdict.slo)} objectives held.", ""]
        rows = [
            [
                c["scenario"],
                c["server"],
                c["level"],
                (c["endpoint"] or "(all)"),
                c["metric"],
                c["allowed"],
                _fmt_value(c["measured"]),
                "✅ held" if c["passed"] else "❌ **violated**",
            ]
            for c in sorted(verdict.slo, key=lambda c: c["passed"])
        ]
        lines += [*_table(["Scenario", "Server", "Level", "Endpoint", "Metric", "Allowed", "Measured", ""], rows), ""]
    if verdict.baseline is not None:
        lines += ["## Against the baseline", "", f"Baseline: `{verdict.baseline_file}`.", ""]
        rows = []
        for entry in verdict.baseline:
            for c in entry["comparisons"]:
                mark = {"regression": "❌ **regression**", "improvement": "✅ improvement"}.get(
                    c["verdict"], c["verdict"]
                )
                rows.append(
                    [
                        entry["scenario"],
                        entry["server"],
                        entry["level"],
                        c["metric"],
                        _fmt_value(c["baseline"]),
                        _fmt_value(c["candidate"]),
                        f"{c['ratio'] - 1:+.1%}",
                        f"±{c['threshold']:.0%}",
                        mark,
                        c["basis"],
                    ]
                )
        header = ["Scenario", "Server", "Level", "Metric", "Baseline", "Now", "Change", "Threshold", "Verdict", "Basis"]
        lines += _table(header, rows) if rows else ["Nothing in common with the baseline."]
        lines += [""] + [f"- {note}" for note in verdict.baseline_notes] + [""]
    if verdict.inconclusive:
        lines += ["## Inconclusive", "", "These measurements cannot be trusted as they stand:", ""]
        lines += [f"- {reason}" for reason in verdict.inconclusive] + [""]
    return lines


def _trend(trend: list[dict[str, Any]]) -> list[str]:
    suites = {row["suite_id"] for row in trend}
    if len(suites) < 2:
        return []
    lines = ["## Trend", "", f"Medians over the last {len(suites)} suites of this name (oldest first):", "", "```"]
    for metric in ("rps", "p95_ms"):
        lines += [render_trend(trend, metric), ""]
    return [*lines[:-1], "```", ""]


def render(results: SuiteResults, verdict: Verdict | None = None, trend: list[dict[str, Any]] | None = None) -> str:
    by_scenario: dict[str, list[RunResult]] = defaultdict(list)
    for run in results.runs:
        by_scenario[run.scenario].append(run)
    ok = sum(run.status == "ok" for run in results.runs)
    lines = [f"# Suite {results.suite}", ""]
    summary = f"{ok} of {results.planned_runs} planned runs succeeded"
    failed = len(results.runs) - ok
    if failed:
        summary += f", {failed} failed"
    if results.interrupted:
        summary += "; the suite was interrupted"
    lines += [summary + ".", ""]
    if verdict is not None:
        lines += [f"Verdict: exit code {verdict.exit_code} ({EXIT_MEANINGS[verdict.exit_code]}).", ""]
    aggregates = aggregate(results.runs)
    for scenario, runs in by_scenario.items():
        mode = runs[0].mode
        lines += [f"## {scenario} ({mode})", ""]
        lines += _burst(runs) if mode == "burst" else _steady(runs)
        if any(run.repeat > 1 for run in runs):
            lines += _aggregates([agg for agg in aggregates if agg.scenario == scenario])
        lines += _resources(runs)
        lines += _endpoints(runs)
        lines.append("")
    if verdict is not None:
        lines += _verdict(verdict)
    lines += _trend(trend or [])
    flagged = [run for run in results.runs if run.flags]
    if flagged:
        lines += ["## Flags", "", "Numbers of these runs cannot be taken at face value:", ""]
        for run in flagged:
            for flag in run.flags:
                label = FLAG_LABELS.get(flag["kind"], flag["kind"])
                lines.append(f"- **{run.scenario} / {run.server}** ({run.level}): {label}: {flag['message']}")
        lines.append("")
    errors = [run for run in results.runs if run.status != "ok"]
    if errors:
        lines += ["## Failed runs", ""]
        for run in errors:
            first = (run.error or "unknown error").splitlines()[0]
            lines.append(f"- **{run.scenario} / {run.server}** ({run.level}): {first}  ")
            lines.append(f"  logs: `{run.run_dir}/`")
        lines.append("")
    overheads = [run.overhead.total_s for run in results.runs if run.overhead.total_s is not None]
    if overheads:
        lines.append(
            f"Suite overhead per run (start to first request, plus teardown): "
            f"median {sorted(overheads)[len(overheads) // 2]:.2f} s, max {max(overheads):.2f} s."
        )
        lines.append("")
    return "\n".join(lines)
