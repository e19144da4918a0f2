"""What a report opens with, per scenario (pure): which config wins and by how
much, and the sizing answer where the scenario sets a target.

A winner whose run was bound by the load generator is a lower bound
(">= X req/s, the load generator's limit"): the server did at least that,
and the configs that reached the same limit cannot be told apart here.
"""

from __future__ import annotations

from perfsuite.record.results import CapacityResult, RunResult, SizingResult
from perfsuite.report.cells import Cell, Table, number, ranked, rps_text
from perfsuite.report.cells import text_cell as _text
from perfsuite.report.deploy import deploy_headline
from perfsuite.report.streams import connections_headline, stream_headline, websocket_headline

TIE = 0.05  # configs within this share of the winner tie with it
KEPT_UP = 0.95  # an open run kept up when it answered this share of its rate, not overloaded


def generator_bound(run: RunResult) -> bool:
    """The load generator, not the server, limited the run."""
    model_says = run.model is not None and run.model.applies and run.model.bound == "loadgen"
    return model_says or any(flag.kind == "loadgen_saturated" for flag in run.flags)


def _lead(named: list[tuple[str, float, bool]], unit: str) -> str:
    """'X leads: 2,100 req/s, 1.35x Y (1,550)' over (config, figure, bound by the generator), best first."""
    (first, best, bound), rest = named[0], named[1:]
    shown = f">= {rps_text(best)} {unit}, the load generator's limit" if bound else f"{rps_text(best)} {unit}"
    tied = [name for name, value, _ in rest if value >= (1 - TIE) * best]
    if bound:
        alike = [name for name, value, b in rest if b and value >= (1 - TIE) * best]
        more = f"; {', '.join(alike)} reach the same limit: not told apart here" if alike else ""
        return f"{first} leads: {shown}{more}."
    behind = [(name, value) for name, value, _ in rest if value < (1 - TIE) * best]
    if behind:
        second, value = behind[0]
        factor = f"{best / value:.2f}x {second} ({rps_text(value)})" if value > 0 else f"{second} took none"
    if tied:
        return f"{first} and {', '.join(tied)} tie within {TIE:.0%}: {shown}" + (f", {factor}." if behind else ".")
    if not rest:
        return f"{first}: {shown}."
    return f"{first} leads: {shown}, {factor}."


def _steady(runs: list[RunResult]) -> list[str]:
    lines = []
    for users in sorted({r.users for r in runs if r.users is not None}):
        at = sorted((r for r in runs if r.users == users and ranked(r)), key=lambda r: -r.rps)
        if at:
            lines.append(f"At {users} users: " + _lead([(r.server, r.rps, generator_bound(r)) for r in at], "req/s"))
    return lines


def _open(runs: list[RunResult]) -> list[str]:
    """Per config, the highest offered rate it kept up with."""
    kept: dict[str, float] = {}
    for run in runs:
        o = run.open
        overloaded = any(flag.kind in ("overloaded", "errors") for flag in run.flags)
        if ranked(run) and o is not None and run.rate and not overloaded and o.achieved_rps >= KEPT_UP * run.rate:
            kept[run.server] = max(kept.get(run.server, 0.0), run.rate)
    if not kept:
        return ["No config kept up with any offered rate."]
    order = sorted(kept.items(), key=lambda item: -item[1])
    return ["Kept up with: " + ", ".join(f"{name} to {rps_text(rate)} req/s" for name, rate in order) + "."]


def _capacity(found: list[CapacityResult]) -> list[str]:
    passed = sorted((c for c in found if c.rps is not None), key=lambda c: -(c.rps or 0.0))
    if not passed:
        return ["No config met the capacity criterion at any rate tried."]
    return ["Capacity: " + _lead([(c.server, c.rps or 0.0, c.bound == "loadgen") for c in passed], "req/s")]


def headline(mode: str, runs: list[RunResult], found: list[CapacityResult]) -> list[str]:
    """The scenario's answer in a sentence or two."""
    if found and mode == "stream":
        return connections_headline(found)
    if found:
        return _capacity(found)
    deploy = deploy_headline(runs)
    if mode == "steady":
        return deploy + _steady(runs)
    if mode == "open":
        return deploy + _open(runs)
    if mode == "stream":
        return stream_headline(runs)
    if mode == "websocket":
        return websocket_headline(runs)
    lines = []
    for order in dict.fromkeys(r.order for r in runs):
        at = sorted((r for r in runs if ranked(r) and r.order == order), key=lambda r: -r.rps)
        if at:
            lines.append(
                f"{(order or 'burst').capitalize()}: " + _lead([(r.server, r.rps, False) for r in at], "req/s")
            )
    return lines


SIZING_HEADER = [
    "Rank", "Server", "Replicas", "Cores", "Memory MB", "Per replica req/s", "From", "Predicted req/s",
    "Measured req/s", "req/s per core", "req/s per GB", "Cores busy",
]  # fmt: skip


def sizing_table(sizing: list[SizingResult]) -> Table | None:
    """Per config: what serves the target, fewest cores first."""
    if not sizing:
        return None
    rows = []
    for s in sizing:
        head = [Cell(str(s.rank) if s.rank is not None else "–"), _text(s.server)]
        if s.replicas is None:
            blank = [Cell("–")] * (len(SIZING_HEADER) - 3)
            rows.append([*head, _text(f"no answer: {s.why_not or 'unknown'}"), *blank])
            continue
        rows.append(
            [
                *head,
                Cell(str(s.replicas)),
                Cell("–" if s.cores is None else str(s.cores)),
                Cell(number(s.memory_mb, 0)),
                Cell(rps_text(s.capacity_rps)),
                _text(s.capacity_source or ""),
                Cell(rps_text(s.predicted_rps)),
                Cell(rps_text(s.measured_rps)),
                Cell(rps_text(s.rps_per_core)),
                Cell(rps_text(s.rps_per_gb)),
                Cell(number(s.cpu_busy, 2)),
            ]
        )
    return Table(SIZING_HEADER, rows)


def sizing_line(sizing: list[SizingResult]) -> str | None:
    """'Target 500 req/s at p99_ms < 200: 3 x gunicorn-gevent (3 cores, 240 MB).'"""
    if not sizing:
        return None
    first = sizing[0]
    lead = f"Target {rps_text(first.target_rps)} req/s at {first.objective}"
    if first.replicas is None:
        return f"{lead}: no config answers it."
    memory = f", {number(first.memory_mb, 0)} MB" if first.memory_mb is not None else ""
    cores = f"{first.cores} core{'' if first.cores == 1 else 's'}"
    return f"{lead}: {first.replicas} x {first.server} ({cores}{memory}) serve it with the fewest cores."
