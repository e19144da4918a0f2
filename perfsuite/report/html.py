"""results + time series -> report.html: one self-contained page (pure).

Everything is inline (CSS, SVG charts); the page loads nothing from the
network and needs no JavaScript. Per scenario: flags first, then the
comparison table, throughput and latency, expected beside measured, the run
over time, CPU and memory per worker, and links to each run's raw files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from perfsuite.judge.events import action
from perfsuite.judge.verdict import Verdict
from perfsuite.plan.key import Level
from perfsuite.record.results import CapacityResult, RunResult, SuiteResults
from perfsuite.record.timeseries import Series
from perfsuite.report import charts
from perfsuite.report.cells import FLAG_LABELS
from perfsuite.report.deploy import DEPLOY_NOTE, RECYCLING_NOTE
from perfsuite.report.view import ReportView, build_view, number

TEMPLATES = Path(__file__).resolve().parent / "templates"
RAW_FILES = (
    "locust.html",
    "locust.json",
    "locust_stats.csv",
    "locust_stats_history.csv",
    "locust_failures.csv",
    "resources.csv",
    "timing.json",
    "server.log",
    "locust.log",
    "upstream.log",
    "suite_error.log",
)

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


_env.filters["num"] = number


def _label(run: RunResult, several_levels: bool) -> str:
    if run.order:
        return f"{run.server} · {run.order}"
    return f"{run.server} · {run.users} users" if several_levels else run.server


def _job(title: str, chart: str, *args: Any) -> dict[str, Any]:
    """A chart to draw; render() draws them all at once (see charts.render_all)."""
    return {"title": title, "job": (chart, args)}


def knees(runs: list[RunResult], capacity: list[CapacityResult]) -> tuple[float | None, float | None]:
    """One config's knee, predicted (the model's capacity, median over its runs) and measured
    (its capacity search's result, or the highest rate below the first overloaded one)."""
    predicted = sorted(r.model.capacity_rps for r in runs if r.model and r.model.capacity_rps is not None)
    found = [c.rps for c in capacity if runs and c.server == runs[0].server]
    if found:
        measured = found[0]
    else:
        by_rate = sorted(runs, key=lambda r: r.rate or 0.0)
        over = [i for i, r in enumerate(by_rate) if any(f.kind == "overloaded" for f in r.flags)]
        measured = by_rate[over[0] - 1].rate if over and over[0] > 0 else None
    return (predicted[len(predicted) // 2] if predicted else None), measured


def held_point(run: RunResult) -> tuple[float, float | None, float | None] | None:
    """(connections held, the p99 of its gaps or messages, the server's peak PSS MB) of a held-connection run."""
    peak = run.server_resources.pss_mb.peak_total if run.server_resources else None
    if run.stream is not None:
        return run.stream.held, run.stream.gap_ms.p99, peak
    if run.websocket is not None:
        times = run.websocket.rtt_ms or run.websocket.delivery_ms
        return run.websocket.held, times.p99 if times else None, peak
    return None


def _figures(
    runs: list[RunResult], series: dict[str, Series], colors: dict[str, str], capacity: list[CapacityResult]
) -> list[dict[str, Any]]:
    ok = [run for run in runs if run.ok]
    several_levels = len({run.users for run in runs}) > 1 or len({run.repeat for run in runs}) > 1
    labels = [_label(run, several_levels) + (f" #{run.repeat}" if run.repeat > 1 else "") for run in ok]
    run_colors = [colors[run.server] for run in ok]
    figures: list[dict[str, Any]] = []
    if ok and runs[0].mode == "burst":
        figures.append(_job("burst elapsed", "burst_elapsed", labels, run_colors, [run.elapsed_s for run in ok]))
    elif ok and runs[0].mode == "open":
        lines: dict[str, list[tuple[float, float | None, float | None]]] = {}
        for run in sorted(ok, key=lambda r: r.rate or 0.0):
            lines.setdefault(run.server, []).append((run.rate or 0.0, run.latency_ms.p50, run.latency_ms.p99))
        line_colors = [colors[server] for server in lines]
        marks = [knees([r for r in ok if r.server == server], capacity) for server in lines]
        figures.append(
            _job("latency vs rate", "latency_vs_rate", list(lines), line_colors, list(lines.values()), marks)
        )
    elif ok and runs[0].mode in ("stream", "websocket"):
        held: dict[str, list[tuple[float, float | None, float | None]]] = {}
        for run in sorted(ok, key=lambda r: r.connections or 0):
            if (point := held_point(run)) is not None:
                held.setdefault(run.server, []).append(point)
        if held:
            what = "gap between events" if runs[0].mode == "stream" else "round trip or delivery"
            figures.append(
                _job(
                    "connections held", "streams_held", list(held), [colors[s] for s in held], list(held.values()),
                    what,
                )
            )  # fmt: skip
    elif ok:
        expected = [run.model.expected_rps if run.model and run.model.applies else None for run in ok]
        percentiles = {p: [getattr(run.latency_ms, p) for run in ok] for p in ("p50", "p95", "p99")}
        figures.append(
            _job(
                "throughput and latency",
                "throughput_and_latency",
                labels,
                run_colors,
                [r.rps for r in ok],
                expected,
                percentiles,
            )
        )
        timed = [
            (label, c, s)
            for label, c, run in zip(labels, run_colors, ok, strict=True)
            if (s := series.get(run.run_dir)) is not None and s.t
        ]
        if timed:
            figures.append(
                _job(
                    "over time",
                    "over_time",
                    [t[0] for t in timed],
                    [t[1] for t in timed],
                    [(s.t, s.rps, s.p95_ms, s.window_start) for _, _, s in timed],
                )
            )
    lined = [(label, c, run) for label, c, run in zip(labels, run_colors, ok, strict=True) if run.timeline]
    if lined:
        marked = {(round(e.at_s, 1), action(e)) for _, _, run in lined for e in run.events or []}
        figures.append(
            _job(
                "across the events" if marked else "recycling",
                "timeline",
                [m[0] for m in lined],
                [m[1] for m in lined],
                [
                    (
                        [p.t_s for p in run.timeline or []],
                        [p.rps for p in run.timeline or []],
                        [p.p99_ms for p in run.timeline or []],
                        [p.failed for p in run.timeline or []],
                        [p.workers for p in run.timeline or []],
                        run.recycling.at_s if run.recycling else [],
                    )
                    for *_, run in lined
                ],
                sorted(marked)[:20],
            )
        )
    measured = [(label, c, run.server_resources) for label, c, run in zip(labels, run_colors, ok, strict=True)]
    sampled = [(label, c, r) for label, c, r in measured if r is not None]
    if sampled:
        figures.append(
            _job(
                "resources",
                "resources",
                [m[0] for m in sampled],
                [m[1] for m in sampled],
                [r.cpu_percent.mean for *_, r in sampled],
                [r.memory_per_worker_mb.uss for *_, r in sampled],
                [r.workers or 1 for *_, r in sampled],
            )
        )
    return figures


def _trend_job(name: str, trend: list[dict[str, Any]], colors: dict[str, str]) -> dict[str, Any] | None:
    rows = [row for row in trend if row["scenario"] == name]
    if len({row["suite_id"] for row in rows}) < 2:
        return None
    lines: dict[tuple[str, str], list[tuple[int, float | None]]] = {}
    for row in rows:
        lines.setdefault((row["server"], str(Level.parse(row["level"]))), []).append((row["suite_id"], row["rps"]))
    labels = [f"{server} · {level}" for server, level in lines]
    line_colors = [colors.get(server, charts.color(i)) for i, (server, _) in enumerate(lines)]
    return _job("trend", "trend", labels, line_colors, list(lines.values()))


def render(
    results: SuiteResults,
    series: dict[str, Series],
    verdict: Verdict | None = None,
    trend: list[dict[str, Any]] | None = None,
    view: ReportView | None = None,
) -> str:
    view = build_view(results, verdict, trend) if view is None else view
    servers: list[str] = []
    for run in results.runs:
        servers += [run.server] if run.server not in servers else []
    colors = {name: charts.color(i) for i, name in enumerate(servers)}
    for scenario in view.scenarios:
        scenario.figures = _figures(scenario.runs, series, colors, scenario.capacity)
        trend_job = _trend_job(scenario.name, view.trend, colors)
        if trend_job is not None:
            scenario.figures.append(trend_job)
    figures = [figure for scenario in view.scenarios for figure in scenario.figures]
    for figure, svg in zip(figures, charts.render_all([f["job"] for f in figures]), strict=True):
        figure["svg"] = svg
    return _env.get_template("report.html.j2").render(
        view=view,
        results=results,
        verdict=verdict,
        flag_labels=FLAG_LABELS,
        deploy_note=DEPLOY_NOTE,
        recycling_note=RECYCLING_NOTE,
        raw_files=RAW_FILES,
        environment=results.environment.model_dump(mode="json"),
    )
