"""Charts as inline SVG text, drawn with matplotlib (pure: data in, text out).

Output is deterministic (fixed hash salt for element ids, no date, text kept
as text), so a report rebuilt from the same results is byte for byte the same.
Each function draws one figure; several related panels share a figure,
because each figure costs tens of milliseconds to render.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

matplotlib.rcParams.update(
    {
        "svg.hashsalt": "perfsuite",
        "svg.fonttype": "none",
        "font.size": 9,
        "font.family": "sans-serif",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "x",  # bars are horizontal: grid along the values only
        "grid.alpha": 0.3,
        "axes.axisbelow": True,
    }
)

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
PERCENTILE_COLORS = {"p50": "#4e79a7", "p95": "#f28e2b", "p99": "#e15759"}


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _figure(
    rows: int, cols: int, width: float, height: float, sharex: bool = False, sharey: bool = False
) -> tuple[Figure, list[Axes]]:
    # Figure objects directly, not pyplot: no global figure manager to keep.
    fig = Figure(figsize=(width, height))
    FigureCanvasSVG(fig)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex, sharey=sharey).flatten().tolist()
    return fig, axes


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: drop the XML prolog and doctype


def _title(axis: Axes, text: str) -> None:
    # Plain text, not set_title: a title makes matplotlib compute the axes'
    # tight bounding box on every draw, which is most of a chart's cost.
    axis.text(0.0, 1.02, text, transform=axis.transAxes, fontsize=10, va="bottom")


def _few_ticks(*axes: Axes, which: str = "x") -> None:
    # Each tick is several artists; a handful reads as well and draws faster.
    for axis in axes:
        getattr(axis, f"{which}axis").set_major_locator(MaxNLocator(nbins=5))


def _height(rows: int) -> float:
    return 0.9 + 0.28 * max(rows, 1)


def throughput_and_latency(
    labels: Sequence[str],
    colors: Sequence[str],
    rps: Sequence[float],
    expected: Sequence[float | None],
    percentiles: dict[str, Sequence[float | None]],
) -> str:
    """Left: requests/s per config, the model's expectation as a marker. Right: p50/p95/p99."""
    n = len(labels)
    fig, (left, right) = _figure(1, 2, 10, _height(n), sharey=True)
    fig.subplots_adjust(left=0.2, right=0.98, top=1 - 0.45 / _height(n), bottom=0.55 / _height(n), wspace=0.08)
    y = list(range(n))
    left.barh(y, rps, color=colors, height=0.6)
    points = [(e, i) for i, e in enumerate(expected) if e is not None]
    if points:
        left.scatter(
            [p[0] for p in points],
            [p[1] for p in points],
            marker="D",
            s=22,
            color="black",
            zorder=3,
            label="expected (model)",
        )
        left.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, frameon=False, borderaxespad=1.2)
    left.set_yticks(y, labels)
    left.invert_yaxis()
    left.set_xlabel("requests / s")
    _title(left, "Throughput")
    width = 0.26
    for offset, (name, values) in zip((-width, 0.0, width), percentiles.items(), strict=True):
        right.barh(
            [i + offset for i in y],
            [v or 0.0 for v in values],
            height=width,
            label=name,
            color=PERCENTILE_COLORS.get(name),
        )
    right.set_xlabel("latency, ms")
    _title(right, "Latency percentiles")
    right.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, ncols=3, borderaxespad=1.2)
    _few_ticks(left, right)
    return _svg(fig)


def over_time(
    labels: Sequence[str],
    colors: Sequence[str],
    series: Sequence[tuple[Sequence[float], Sequence[float], Sequence[float | None], float | None]],
) -> str:
    """Requests/s and p95 over time for each config (t, rps, p95, window start)."""
    fig, (top, bottom) = _figure(2, 1, 10, 4.6, sharex=True)
    fig.subplots_adjust(left=0.08, right=0.78, top=0.93, bottom=0.1, hspace=0.12)
    for label, line_color, (t, rps, p95, _) in zip(labels, colors, series, strict=True):
        top.plot(t, rps, color=line_color, linewidth=1.2, label=label)
        bottom.plot(t, [v if v is not None else float("nan") for v in p95], color=line_color, linewidth=1.2)
    starts = [start for *_, start in series if start]
    if starts:
        for axis in (top, bottom):
            axis.axvspan(0, min(starts), color="#999999", alpha=0.12, linewidth=0)
        top.text(
            min(starts) / 2,
            0.97,
            "warm-up",
            transform=top.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=8,
            color="#666666",
        )
    for axis in (top, bottom):
        axis.grid(True, axis="y")
    top.set_ylabel("requests / s")
    bottom.set_ylabel("p95, ms")
    bottom.set_xlabel("seconds since start")
    _title(top, "Over time (Locust's 1 s history)")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    _few_ticks(bottom)
    _few_ticks(top, bottom, which="y")
    return _svg(fig)


def resources(
    labels: Sequence[str],
    colors: Sequence[str],
    cpu_percent: Sequence[float | None],
    uss_per_worker: Sequence[float | None],
    workers: Sequence[int],
) -> str:
    """Left: server CPU % of one core (mean). Right: USS per worker, MB."""
    n = len(labels)
    fig, (left, right) = _figure(1, 2, 10, _height(n), sharey=True)
    fig.subplots_adjust(left=0.2, right=0.98, top=1 - 0.45 / _height(n), bottom=0.55 / _height(n), wspace=0.08)
    y = list(range(n))
    left.barh(y, [v or 0.0 for v in cpu_percent], color=colors, height=0.6)
    left.set_yticks(y, labels)
    left.invert_yaxis()
    left.set_xlabel("server CPU, % of one core (mean)")
    _title(left, "CPU")
    right.barh(y, [v or 0.0 for v in uss_per_worker], color=colors, height=0.6)
    for i, (value, count) in enumerate(zip(uss_per_worker, workers, strict=True)):
        if value:
            right.text(value, i, f" {value:.1f} MB x {count}", va="center", fontsize=8)
    right.set_xlabel("memory per worker, MB (USS)")
    _title(right, "Memory per worker")
    right.margins(x=0.25)
    _few_ticks(left, right)
    return _svg(fig)


def burst_elapsed(labels: Sequence[str], colors: Sequence[str], elapsed: Sequence[float]) -> str:
    n = len(labels)
    fig, (axis,) = _figure(1, 1, 10, _height(n))
    fig.subplots_adjust(left=0.2, right=0.95, top=1 - 0.45 / _height(n), bottom=0.55 / _height(n))
    y = list(range(n))
    axis.barh(y, elapsed, color=colors, height=0.6)
    for i, value in enumerate(elapsed):
        axis.text(value, i, f" {value:.2f} s", va="center", fontsize=8)
    axis.set_yticks(y, labels)
    axis.invert_yaxis()
    axis.set_xlabel("elapsed, s (first request sent to last response)")
    _title(axis, "Burst: time to serve every request")
    axis.margins(x=0.12)
    _few_ticks(axis)
    return _svg(fig)


def trend(labels: Sequence[str], colors: Sequence[str], points: Sequence[Sequence[tuple[int, float | None]]]) -> str:
    """Median requests/s per config over the stored suites (x: the suite's order)."""
    fig, (axis,) = _figure(1, 1, 10, 2.8)
    fig.subplots_adjust(left=0.08, right=0.78, top=0.86, bottom=0.18)
    order = sorted({suite for line in points for suite, _ in line})
    position = {suite: i + 1 for i, suite in enumerate(order)}
    for label, line_color, line in zip(labels, colors, points, strict=True):
        xs = [position[suite] for suite, value in line if value is not None]
        ys = [value for _, value in line if value is not None]
        axis.plot(xs, ys, color=line_color, linewidth=1.2, marker="o", markersize=3, label=label)
    axis.grid(True, axis="y")
    axis.set_xlabel("suite (oldest first; the last is this one)")
    axis.set_ylabel("requests / s (median)")
    _title(axis, "Trend over stored suites")
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    axis.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    _few_ticks(axis, which="y")
    return _svg(fig)


def latency_vs_rate(
    labels: Sequence[str],
    colors: Sequence[str],
    lines: Sequence[Sequence[tuple[float, float | None, float | None]]],
    knees: Sequence[tuple[float | None, float | None]] = (),
) -> str:
    """Open mode: p50 (solid) and p99 (dashed) from the intended start against the offered rate, a line per
    config; each config's knee as a vertical mark: predicted by the model (dotted), measured (solid, thin)."""
    fig, (axis,) = _figure(1, 1, 10, 3.2)
    fig.subplots_adjust(left=0.08, right=0.76, top=0.86, bottom=0.16)
    for label, line_color, (predicted, measured) in zip(labels, colors, knees, strict=False):
        if predicted is not None:
            axis.axvline(predicted, color=line_color, linestyle=":", linewidth=1.2, label=f"{label} knee, model")
        if measured is not None:
            axis.axvline(measured, color=line_color, linestyle="-", linewidth=0.8, alpha=0.6,
                         label=f"{label} knee, measured")  # fmt: skip
    for label, line_color, points in zip(labels, colors, lines, strict=True):
        for column, style, name in ((1, "-", "p50"), (2, "--", "p99")):
            shown = [(x, y) for x, *ys in points if (y := ys[column - 1]) is not None]
            marker = "o" if column == 1 else "^"
            axis.plot([x for x, _ in shown], [y for _, y in shown], color=line_color, linestyle=style,
                      marker=marker, markersize=3, linewidth=1.2, label=f"{label} {name}")  # fmt: skip
    axis.set_yscale("log")
    axis.grid(True, axis="y")
    axis.set_xlabel("offered, requests / s")
    axis.set_ylabel("ms from the intended start")
    _title(axis, "Latency against the offered rate")
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _svg(fig)


def streams_held(
    labels: Sequence[str],
    colors: Sequence[str],
    lines: Sequence[Sequence[tuple[float, float | None, float | None]]],
    what: str = "gap between events",
) -> str:
    """Held connections: the p99 of `what` (left) and the server's memory (right) against connections held,
    a line per config."""
    fig, (gaps, memory) = _figure(1, 2, 10, 3.2)
    fig.subplots_adjust(left=0.08, right=0.8, top=0.86, bottom=0.16, wspace=0.3)
    for label, line_color, points in zip(labels, colors, lines, strict=True):
        for axis, column in ((gaps, 1), (memory, 2)):
            shown = [(x, y) for x, *ys in points if (y := ys[column - 1]) is not None]
            axis.plot([x for x, _ in shown], [y for _, y in shown], color=line_color, marker="o", markersize=3,
                      linewidth=1.2, label=label if axis is gaps else None)  # fmt: skip
    for axis, label in ((gaps, f"{what}, p99 ms"), (memory, "server memory, PSS MB")):
        axis.grid(True, axis="y")
        axis.set_xlabel("connections held at once")
        axis.set_ylabel(label)
    _title(gaps, f"{what.capitalize()} against connections held")
    _title(memory, "Memory against connections held")
    gaps.legend(loc="upper left", bbox_to_anchor=(2.35, 1.0), fontsize=8, frameon=False)
    return _svg(fig)


TimelineSeries = tuple[
    Sequence[float], Sequence[float], Sequence[float | None], Sequence[int], Sequence[int | None], Sequence[float]
]


def timeline(
    labels: Sequence[str],
    colors: Sequence[str],
    series: Sequence[TimelineSeries],
    events: Sequence[tuple[float, str]],
) -> str:
    """Deploy day: per second of the window, requests answered, p99, failures and workers, a line per
    config (t, rps, p99, failed, workers, recycled: when each new worker of a recycling config was seen),
    each event marked where it was done, each recycle as a dotted line of its config's colour."""
    fig, axes = _figure(4, 1, 10, 6.4, sharex=True)
    fig.subplots_adjust(left=0.08, right=0.78, top=0.94, bottom=0.08, hspace=0.14)
    for label, line_color, (t, rps, p99, failed, workers, recycled) in zip(labels, colors, series, strict=True):
        for at in recycled:
            for axis in axes:
                axis.axvline(at, color=line_color, linewidth=0.7, linestyle=":")
        axes[0].plot(t, rps, color=line_color, linewidth=1.2, label=label, drawstyle="steps-post")
        axes[1].plot(t, [v if v is not None else float("nan") for v in p99], color=line_color, linewidth=1.2,
                     drawstyle="steps-post")  # fmt: skip
        axes[2].plot(t, failed, color=line_color, linewidth=1.2, drawstyle="steps-post")
        axes[3].plot(t, [w if w is not None else float("nan") for w in workers], color=line_color, linewidth=1.2,
                     drawstyle="steps-post")  # fmt: skip
    for at, what in events:
        for axis in axes:
            axis.axvline(at, color="#aa3333", linewidth=0.8, linestyle="--")
        axes[0].text(at, 1.0, f" {what}", transform=axes[0].get_xaxis_transform(), ha="left", va="bottom",
                     fontsize=7, color="#aa3333")  # fmt: skip
    for axis, name in zip(axes, ("answered / s", "p99, ms", "failed", "workers"), strict=True):
        axis.grid(True, axis="y")
        axis.set_ylabel(name, fontsize=8)
    axes[3].set_xlabel("seconds into the measured window")
    _title(axes[0], "Across the events (per second)")
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    _few_ticks(axes[3])
    return _svg(fig)


Job = tuple[str, tuple[Any, ...]]  # chart function name, its arguments
PARALLEL_FROM = 8  # below this many charts a process pool costs more than it saves


def _draw(job: Job) -> str:
    name, args = job
    function: Callable[..., str] = CHARTS[name]
    return function(*args)


def render_all(jobs: list[Job]) -> list[str]:
    """Draw every chart, across cores when there are many: each is independent
    and deterministic, so the result is the same as drawing them in order."""
    workers = min(len(jobs), os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return [_draw(job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_draw, jobs, chunksize=max(1, len(jobs) // (workers * 2))))


CHARTS: dict[str, Callable[..., str]] = {
    "throughput_and_latency": throughput_and_latency,
    "over_time": over_time,
    "resources": resources,
    "burst_elapsed": burst_elapsed,
    "trend": trend,
    "latency_vs_rate": latency_vs_rate,
    "streams_held": streams_held,
    "timeline": timeline,
}
