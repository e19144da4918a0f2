"""Held connections (pure): streams and WebSockets held beside the model's,
how their events or messages arrived, what each held connection costs in
memory; and the scenario's answer."""

from __future__ import annotations

from perfsuite.record.results import CapacityResult, RunResult
from perfsuite.report.cells import Cell, Table, flags_cell, ms_text, number, ranked, text_cell

STREAM_HEADER = [
    "Server", "Connections", "Held", "Held (model)", "TTFB p50 ms", "TTFB p99 ms", "TTFB mean ms",
    "TTFB mean (model)", "Gap p50 ms", "Gap p99 ms", "Gap max ms", "Late p99 ms", "Completed", "Failed", "Cut",
    "Unfinished", "Events/s", "Events/s (model)", "KB per connection", "Beside: unanswered", "Flags",
]  # fmt: skip


def kb_text(kb: float | None, basis: str | None) -> str:
    """'13.8', or '3,780 (share)' where it is the memory over the connections held, not a slope."""
    if kb is None:
        return "n/a"
    return number(kb, 1) + (" (share)" if basis == "share" else "")


def stream_table(runs: list[RunResult]) -> Table:
    """One row per stream run."""
    rows = []
    for run in runs:
        head = [text_cell(run.server), Cell(run.key.level.short)]
        s = run.stream
        if not run.ok or s is None:
            rows.append([*head, Cell("error", "error", span=len(STREAM_HEADER) - 2)])
            continue
        model = run.model if run.model is not None and run.model.applies else None
        rows.append(
            [
                *head,
                Cell(f"{s.held:,}"),
                Cell("n/a" if model is None else number(model.expected_held, 0)),
                Cell(ms_text(s.ttfb_ms.p50)),
                Cell(ms_text(s.ttfb_ms.p99)),
                Cell(ms_text(s.ttfb_mean_ms)),
                Cell("n/a" if model is None else ms_text(model.expected_ttfb_ms)),
                Cell(ms_text(s.gap_ms.p50)),
                Cell(ms_text(s.gap_ms.p99)),
                Cell(ms_text(s.gap_ms.max)),
                Cell("–" if s.interval_ms is None else ms_text(s.late_ms.p99)),
                Cell(f"{s.completed:,}"),
                Cell(f"{s.failed:,}"),
                Cell(f"{s.cut:,}"),
                Cell(f"{s.unfinished:,}"),
                Cell(number(s.chunks_per_s, 1)),
                Cell("n/a" if model is None else number(model.expected_chunks_per_s, 1)),
                Cell(kb_text(s.kb_per_connection, s.kb_basis)),
                Cell(f"{s.beside_unanswered:,} of {s.beside_sent:,}" if s.beside_sent else "–"),
                flags_cell(run.flags),
            ]
        )
    return Table(STREAM_HEADER, rows)


def stream_headline(runs: list[RunResult]) -> list[str]:
    """Per level: the config that held the most streams, and how late their events came."""
    lines = []
    for connections in sorted({r.connections for r in runs if r.connections is not None}):
        at = [r for r in runs if r.connections == connections and ranked(r) and r.stream is not None]
        if not at:
            continue
        shown = []
        for run in sorted(at, key=lambda r: (-(r.stream.held if r.stream else 0), r.server)):
            assert run.stream is not None
            gap = run.stream.gap_ms.p99
            shown.append(f"{run.server} {run.stream.held:,}" + (f" (gap p99 {ms_text(gap)} ms)" if gap else ""))
        lines.append(f"At {connections:,} connections, streams held at once: " + ", ".join(shown) + ".")
    return lines


WEBSOCKET_HEADER = [
    "Server", "Connections", "Kind", "Held", "Held (model)", "p50 ms", "p99 ms", "Max ms", "Sent", "Received",
    "Lost", "Silent", "Failed", "Closed", "KB per connection", "Flags",
]  # fmt: skip


def websocket_table(runs: list[RunResult]) -> Table:
    """One row per websocket run: round trips (echo) or deliveries (fan-out)."""
    rows = []
    for run in runs:
        head = [text_cell(run.server), Cell(run.key.level.short)]
        w = run.websocket
        if not run.ok or w is None:
            rows.append([*head, Cell("error", "error", span=len(WEBSOCKET_HEADER) - 2)])
            continue
        model = run.model if run.model is not None and run.model.applies else None
        times = w.rtt_ms if w.kind == "echo" else w.delivery_ms
        rows.append(
            [
                *head,
                Cell("echo (round trip)" if w.kind == "echo" else "fan-out (delivery)"),
                Cell(f"{w.held:,}"),
                Cell("n/a" if model is None else number(model.expected_held, 0)),
                Cell(ms_text(times.p50 if times else None)),
                Cell(ms_text(times.p99 if times else None)),
                Cell(ms_text(times.max if times else None)),
                Cell(f"{w.sent if w.kind == 'echo' else w.published:,}"),
                Cell(f"{w.received:,}"),
                Cell(f"{w.lost:,}"),
                Cell(f"{w.silent:,}"),
                Cell(f"{w.failed:,}"),
                Cell(f"{w.closed:,}"),
                Cell(kb_text(w.kb_per_connection, w.kb_basis)),
                flags_cell(run.flags),
            ]
        )
    return Table(WEBSOCKET_HEADER, rows)


def websocket_headline(runs: list[RunResult]) -> list[str]:
    """Per level: each config's connections held and its p99, fewest lost first."""
    lines = []
    for connections in sorted({r.connections for r in runs if r.connections is not None}):
        at = [r for r in runs if r.connections == connections and ranked(r) and r.websocket is not None]
        shown = []
        for run in sorted(at, key=lambda r: (r.websocket.lost if r.websocket else 0, r.server)):
            w = run.websocket
            assert w is not None
            times = w.rtt_ms if w.kind == "echo" else w.delivery_ms
            p99 = times.p99 if times else None
            what = "round trip" if w.kind == "echo" else "delivery"
            lost = f", {w.lost:,} lost" if w.lost else ""
            shown.append(f"{run.server} {w.held:,} held ({what} p99 {ms_text(p99)} ms{lost})")
        if shown:
            lines.append(f"At {connections:,} connections: " + ", ".join(shown) + ".")
    return lines


CONNECTIONS_HEADER = ["Server", "Holds at once", "Model (slots)", "Bound by", "Criterion", "Steps", "Steps tried"]


def holds_text(found: CapacityResult) -> str:
    """'48', '>= 128 (load generator)', '>= 128 (none failed)' or '< 4' when no step passed."""
    if found.connections is None:
        tried = min((int(step.rate) for step in found.steps), default=None)
        return "none" if tried is None else f"< {tried:,}"
    if found.bound == "loadgen":
        return f">= {found.connections:,} (load generator)"
    failed_above = any(not s.ok and s.rate > found.connections for s in found.steps)
    return f"{found.connections:,}" if failed_above else f">= {found.connections:,} (none failed)"


def connections_table(found: list[CapacityResult]) -> Table | None:
    """Per config: the most streams it held while the objective held, beside its slots."""
    searched = [c for c in found if c.of == "connections"]
    if not searched:
        return None
    rows = []
    for c in searched:
        tried = ", ".join(f"{int(s.rate):,}{'' if s.ok else ' x'}" for s in c.steps)
        rows.append(
            [
                text_cell(c.server),
                Cell(holds_text(c)),
                Cell("unbounded" if c.model_connections is None else f"{c.model_connections:,.0f}"),
                text_cell("load generator" if c.bound == "loadgen" else "server"),
                text_cell(c.criterion),
                Cell(f"{len(c.steps)}" + ("" if c.converged else " (not converged)")),
                text_cell(tried),
            ]
        )
    return Table(CONNECTIONS_HEADER, rows)


def connections_headline(found: list[CapacityResult]) -> list[str]:
    searched = sorted((c for c in found if c.of == "connections"), key=lambda c: -(c.connections or 0))
    if not searched:
        return []
    return ["Holds at once: " + ", ".join(f"{c.server} {holds_text(c)}" for c in searched) + "."]
