"""Charts as inline SVG text, drawn with matplotlib (pure: data in, text out).

Output is deterministic (fixed hash salt for element ids, no date, text kept
as text), so a report rebuilt from the same results is byte for byte the same.
Each function draws one figure; several related panels share a figure,
because each figure costs tens of milliseconds to render.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt

matplotlib.rcParams.update(
    {
        "svg.hashsalt": "perfsuite",
        "svg.fonttype": "none",
        "font.size": 9,
        "font.family": "sans-serif",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.axisbelow": True,
    }
)

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
PERCENTILE_COLORS = {"p50": "#4e79a7", "p95": "#f28e2b", "p99": "#e15759"}


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: drop the XML prolog and doctype


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
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, _height(n)), sharey=True)
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
    left.set_title("Throughput", loc="left", fontsize=10)
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
    right.set_title("Latency percentiles", loc="left", fontsize=10)
    right.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, ncols=3, borderaxespad=1.2)
    return _svg(fig)


def over_time(
    labels: Sequence[str],
    colors: Sequence[str],
    series: Sequence[tuple[Sequence[float], Sequence[float], Sequence[float | None], float | None]],
) -> str:
    """Requests/s and p95 over time for each config (t, rps, p95, window start)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 4.6), sharex=True)
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
    top.set_ylabel("requests / s")
    bottom.set_ylabel("p95, ms")
    bottom.set_xlabel("seconds since start")
    top.set_title("Over time (Locust's 1 s history)", loc="left", fontsize=10)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
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
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, _height(n)), sharey=True)
    fig.subplots_adjust(left=0.2, right=0.98, top=1 - 0.45 / _height(n), bottom=0.55 / _height(n), wspace=0.08)
    y = list(range(n))
    left.barh(y, [v or 0.0 for v in cpu_percent], color=colors, height=0.6)
    left.set_yticks(y, labels)
    left.invert_yaxis()
    left.set_xlabel("server CPU, % of one core (mean)")
    left.set_title("CPU", loc="left", fontsize=10)
    right.barh(y, [v or 0.0 for v in uss_per_worker], color=colors, height=0.6)
    for i, (value, count) in enumerate(zip(uss_per_worker, workers, strict=True)):
        if value:
            right.text(value, i, f" {value:.1f} MB x {count}", va="center", fontsize=8)
    right.set_xlabel("memory per worker, MB (USS)")
    right.set_title("Memory per worker", loc="left", fontsize=10)
    right.margins(x=0.25)
    return _svg(fig)


def burst_elapsed(labels: Sequence[str], colors: Sequence[str], elapsed: Sequence[float]) -> str:
    n = len(labels)
    fig, axis = plt.subplots(figsize=(10, _height(n)))
    fig.subplots_adjust(left=0.2, right=0.95, top=1 - 0.45 / _height(n), bottom=0.55 / _height(n))
    y = list(range(n))
    axis.barh(y, elapsed, color=colors, height=0.6)
    for i, value in enumerate(elapsed):
        axis.text(value, i, f" {value:.2f} s", va="center", fontsize=8)
    axis.set_yticks(y, labels)
    axis.invert_yaxis()
    axis.set_xlabel("elapsed, s (first request sent to last response)")
    axis.set_title("Burst: time to serve every request", loc="left", fontsize=10)
    axis.margins(x=0.12)
    return _svg(fig)
