"""The view model -> report.md (GitHub-flavoured Markdown). A pure function.

Per scenario one comparison table, a row per server config and users level,
with each row's throughput as a ratio to the best; burst scenarios in the
classic table shape (Server | Mode | # per entry | Elapsed | Throughput).
"""

from __future__ import annotations

import re
from typing import Any

from perfsuite.judge.verdict import Verdict
from perfsuite.record.results import SuiteResults
from perfsuite.report.trend import render_text as render_trend
from perfsuite.report.view import FLAG_LABELS, Cell, ReportView, Table, build_view


def _cell(cell: Cell) -> list[str]:
    if cell.kind == "error":
        return ["**error**", *[""] * (cell.span - 1)]
    if cell.kind in ("violated", "regression"):
        mark, _, word = cell.text.partition(" ")  # "❌ violated" -> "❌ **violated**"
        return [f"{mark} **{word}**"]
    return [cell.text.replace("|", "\\|")]


def table(data: Table) -> list[str]:
    lines = ["| " + " | ".join(data.header) + " |", "|" + "|".join("---" for _ in data.header) + "|"]
    lines += ["| " + " | ".join(text for cell in row for text in _cell(cell)) + " |" for row in data.rows]
    return lines


def _verdict(view: ReportView, verdict: Verdict) -> list[str]:
    lines: list[str] = []
    if verdict.environment_warnings:
        lines += [
            "## ⚠ Baseline from another machine or other versions",
            "",
            "Comparisons below may reflect the environment, not the code:",
            "",
        ]
        lines += [f"- {warning}" for warning in verdict.environment_warnings] + [""]
    if view.slo is not None:
        held = len(verdict.slo) - len(verdict.slo_failures)
        lines += ["## SLOs", "", f"{held} of {len(verdict.slo)} objectives held.", "", *table(view.slo), ""]
    if view.baseline is not None:
        lines += ["## Against the baseline", "", f"Baseline: `{verdict.baseline_file}`.", ""]
        lines += table(view.baseline) if view.baseline.rows else ["Nothing in common with the baseline."]
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


CAPACITY_NOTE = "Capacity: the highest offered rate that met the criterion (latency from the intended start)."


def render_view(view: ReportView) -> str:
    results = view.results
    lines = [f"# Suite {results.suite}", "", view.summary, ""]
    if view.verdict_line is not None:
        lines += [view.verdict_line, ""]
    if view.verdict is not None and view.verdict.failed_requests:
        lines += ["**Requests failed** (these configs are not ranked):", ""]
        lines += [f"- **{item.key.label}**: {item.message}" for item in view.verdict.failed_requests] + [""]
    if view.verdict is not None and view.verdict.capacity_unmet:
        lines += ["**Capacity not met** (no rate passed):", ""]
        lines += [f"- {item}" for item in view.verdict.capacity_unmet] + [""]
    for scenario in view.scenarios:
        lines += [f"## {scenario.name} ({scenario.mode})", ""]
        if scenario.capacity_table is not None:
            lines += [
                "Capacity: the highest offered rate that met the criterion (latency from the intended start).",
                "",
            ]
            lines += [*table(scenario.capacity_table), "", "Every step of the searches:", ""]
        lines += table(scenario.table)
        if scenario.model_notes:
            lines += ["", "Model from: " + "; ".join(scenario.model_notes) + "."]
        if scenario.failed_requests is not None:
            lines += ["", "Failed requests (by Locust's error message):", "", *table(scenario.failed_requests)]
        lines += [line for reason in scenario.why_not for line in ("", f"Model n/a: {reason}.")]
        if scenario.aggregates is not None:
            lines += ["", "Across repetitions (latency percentiles from the merged histograms):", ""]
            lines += table(scenario.aggregates)
        if scenario.resources is not None:
            lines += ["", "Resources (CPU % is of one core; USS excludes pages shared between workers):", ""]
            lines += table(scenario.resources)
        if scenario.external:
            lines += [
                "",
                f"Server resources not sampled for {', '.join(scenario.external)}: "
                "external servers are not started by the suite.",
            ]
        if scenario.endpoints is not None:
            lines += ["", "<details><summary>Per endpoint</summary>", "", *table(scenario.endpoints), "", "</details>"]
        lines.append("")
    if view.verdict is not None:
        lines += _verdict(view, view.verdict)
    lines += _trend(view.trend)
    flagged = [(run, flag) for scenario in view.scenarios for run, flag in scenario.flags]
    if flagged:
        lines += ["## Flags", "", "Numbers of these runs cannot be taken at face value:", ""]
        for run, flag in flagged:
            label = FLAG_LABELS.get(flag.kind, flag.kind)
            lines.append(f"- **{run.scenario} / {run.server}** ({run.key.level}): {label}: {flag.message}")
        lines.append("")
    errors = [run for scenario in view.scenarios for run in scenario.errors]
    if errors:
        lines += ["## Failed runs", ""]
        for run in errors:
            first, _, rest = (run.error or "unknown error").partition("\n")
            lines.append(f"- **{run.scenario} / {run.server}** ({run.key.level}): {first}  ")
            lines.append(f"  logs: `{run.run_dir}/`")
            if rest.strip():
                fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", rest)), default=0))
                lines += ["", f"  {fence}text", *(f"  {line}" for line in rest.splitlines()), f"  {fence}"]
        lines.append("")
    if view.interpreters is not None:
        lines += ["## Interpreters", "", "Configs run under their own interpreter (`python:`):", ""]
        lines += [*table(view.interpreters), ""]
    if view.overhead is not None:
        lines += [view.overhead, ""]
    return "\n".join(lines)


def render(results: SuiteResults, verdict: Verdict | None = None, trend: list[dict[str, Any]] | None = None) -> str:
    return render_view(build_view(results, verdict, trend))
