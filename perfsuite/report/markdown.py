"""The view model -> report.md (GitHub-flavoured Markdown). A pure function.

Per scenario one comparison table, a row per server config and users level,
with each row's throughput as a ratio to the best; burst scenarios in the
classic table shape (Server | Mode | # per entry | Elapsed | Throughput).
Every text taken from a scenario or a record goes through `md` (no HTML, no
link, no code span, one line; perfsuite.io.text): report.md is appended to
GitHub's job summary, which renders a subset of HTML.
"""

from __future__ import annotations

import re
from typing import Any

from perfsuite.io.text import code, terminal
from perfsuite.io.text import markdown as md
from perfsuite.judge.verdict import Verdict
from perfsuite.record.results import SuiteResults
from perfsuite.report.cells import FLAG_LABELS
from perfsuite.report.deploy import DEPLOY_NOTE, RECYCLING_NOTE
from perfsuite.report.trend import render_text as render_trend
from perfsuite.report.view import Cell, ReportView, ScenarioView, Table, build_view


def _cell(cell: Cell) -> list[str]:
    if cell.kind == "error":
        return ["**error**", *[""] * (cell.span - 1)]
    if cell.kind in ("violated", "regression"):
        mark, _, word = cell.text.partition(" ")  # "❌ violated" -> "❌ **violated**"
        return [f"{mark} **{word}**"]
    return [md(cell.text).replace("|", "\\|")]


def table(data: Table) -> list[str]:
    header = [md(name).replace("|", "\\|") for name in data.header]  # a burst's header names its mix entries
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
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
        lines += [f"- {md(warning)}" for warning in verdict.environment_warnings] + [""]
    if view.slo is not None:
        held = len(verdict.slo) - len(verdict.slo_failures)
        lines += ["## SLOs", "", f"{held} of {len(verdict.slo)} objectives held.", "", *table(view.slo), ""]
    if view.baseline is not None:
        lines += ["## Against the baseline", "", f"Baseline: {code(verdict.baseline_file or '')}.", ""]
        lines += table(view.baseline) if view.baseline.rows else ["Nothing in common with the baseline."]
        lines += [""] + [f"- {md(note)}" for note in verdict.baseline_notes] + [""]
    if verdict.known_limits:
        lines += ["## Bound by the load generator, as expected", "", KNOWN_LIMITS_NOTE, ""]
        lines += [f"- {md(reason)}" for reason in verdict.known_limits] + [""]
    if verdict.inconclusive:
        lines += ["## Inconclusive", "", "These measurements cannot be trusted as they stand:", ""]
        lines += [f"- {md(reason)}" for reason in verdict.inconclusive] + [""]
    return lines


def _trend(trend: list[dict[str, Any]]) -> list[str]:
    suites = {row["suite_id"] for row in trend}
    if len(suites) < 2:
        return []
    text = "\n\n".join(terminal(render_trend(trend, metric)) for metric in ("rps", "p95_ms"))
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", text)), default=0))
    lines = ["## Trend", "", f"Medians over the last {len(suites)} suites of this name (oldest first):", ""]
    return [*lines, fence, text, fence, ""]


QUEUE_NOTE = (
    "Queue: requests waiting for a slot, as the model predicts them and as the kernel held them (the listening"
    " socket's accept queue plus accepted connections with an unread request, sampled every 0.25 s)."
)
KNOWN_LIMITS_NOTE = (
    "These scenarios drive servers faster than one load generator on purpose (`expect_loadgen_limit`): their"
    " throughput is a lower bound, the generator's limit, not the server's."
)
SIZING_NOTE = (
    "Sizing: per config, the replicas that serve the target, fewest cores first (one replica's rate measured by"
    " the capacity search where the scenario runs one, else predicted by the model; memory is PSS)."
)


def _scenario(scenario: ScenarioView) -> list[str]:
    """One scenario's section: its answer first, then its tables and notes."""
    lines: list[str] = []
    lines += [f"## {md(scenario.name)} ({scenario.mode})", ""]
    lines += [line for said in scenario.headline for line in (f"**{md(said)}**", "")]
    if scenario.sizing is not None:
        lines += [SIZING_NOTE, "", *table(scenario.sizing), ""]
    if scenario.capacity_table is not None:
        lines += [scenario.capacity_note, "", *table(scenario.capacity_table), "", "Every step of the searches:", ""]
    lines += table(scenario.table)
    if scenario.deploy is not None:
        lines += ["", DEPLOY_NOTE, "", *table(scenario.deploy)]
    if scenario.recycling is not None:
        lines += ["", RECYCLING_NOTE, "", *table(scenario.recycling)]
    if scenario.model_notes:
        lines += ["", "Model from: " + "; ".join(map(md, scenario.model_notes)) + "."]
    if scenario.failed_requests is not None:
        lines += ["", "Failed requests (by Locust's error message):", "", *table(scenario.failed_requests)]
    lines += [line for reason in scenario.why_not for line in ("", f"Model n/a: {md(reason)}.")]
    if scenario.aggregates is not None:
        lines += ["", "Across repetitions (latency percentiles from the merged histograms):", ""]
        lines += table(scenario.aggregates)
    if scenario.queue is not None:
        lines += ["", QUEUE_NOTE, "", *table(scenario.queue)]
    if scenario.resources is not None:
        lines += ["", "Resources (CPU % is of one core; USS excludes pages shared between workers):", ""]
        lines += table(scenario.resources)
    if scenario.external:
        lines += [
            "",
            f"Server resources not sampled for {md(', '.join(scenario.external))}: "
            "external servers are not started by the suite.",
        ]
    if scenario.endpoints is not None:
        lines += ["", "<details><summary>Per endpoint</summary>", "", *table(scenario.endpoints), "", "</details>"]
    lines.append("")
    return lines


def render_view(view: ReportView) -> str:
    results = view.results
    lines = [f"# Suite {md(results.suite)}", "", view.summary, ""]
    if view.verdict_line is not None:
        lines += [view.verdict_line, ""]
    if view.verdict is not None and view.verdict.failed_requests:
        lines += ["**Requests failed** (these configs are not ranked):", ""]
        lines += [f"- **{md(item.key.label)}**: {md(item.message)}" for item in view.verdict.failed_requests] + [""]
    if view.verdict is not None and view.verdict.capacity_unmet:
        lines += ["**Capacity not met** (no rate passed):", ""]
        lines += [f"- {md(item)}" for item in view.verdict.capacity_unmet] + [""]
    answers = [(s.name, [*s.headline, *([s.sizing_line] if s.sizing_line else [])]) for s in view.scenarios]
    if any(said for _, said in answers):
        lines += ["## Answers", ""]
        lines += [f"- **{md(name)}**: {md(' '.join(said))}" for name, said in answers if said] + [""]
    for scenario in view.scenarios:
        lines += _scenario(scenario)
    if view.verdict is not None:
        lines += _verdict(view, view.verdict)
    lines += _trend(view.trend)
    flagged = [(run, flag) for scenario in view.scenarios for run, flag in scenario.flags]
    if flagged:
        lines += ["## Flags", "", "Numbers of these runs cannot be taken at face value:", ""]
        for run, flag in flagged:
            label = FLAG_LABELS.get(flag.kind, flag.kind)
            lines.append(
                f"- **{md(run.scenario)} / {md(run.server)}** ({run.key.level}): {md(label)}: {md(flag.message)}"
            )
        lines.append("")
    errors = [run for scenario in view.scenarios for run in scenario.errors]
    if errors:
        lines += ["## Failed runs", ""]
        for run in errors:
            first, _, rest = (run.error or "unknown error").partition("\n")
            lines.append(f"- **{md(run.scenario)} / {md(run.server)}** ({run.key.level}): {md(first)}  ")
            lines.append(f"  logs: {code(run.run_dir + '/')}")
            if rest.strip():  # a log's tail, in a fence no line of it can close
                rest = terminal(rest)
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
