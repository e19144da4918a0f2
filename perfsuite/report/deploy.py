"""Deploy day (pure): each event done under load, what it cost and how fast each
config recovered; workers recycled on purpose; and the scenario's answer."""

from __future__ import annotations

from perfsuite.judge.events import action, label
from perfsuite.record.results import EventFailed, EventResult, RunResult
from perfsuite.report.cells import Cell, Table, ms_text, number, text_cell

DEPLOY_HEADER = [
    "Server", "Level", "Event", "Failed", "In flight (failed)", "p99 before ms", "p99 after ms", "req/s before",
    "req/s after", "req/s after (model)", "Recovered s", "Workers before", "Workers after", "Verdict",
]  # fmt: skip
DEPLOY_NOTE = (
    "Deploy: each event done under load. Failed: requests that failed from the event to the next one (by HTTP"
    " status, or what the client saw; the client does not retry). Before and after: requests answered up to 3 s"
    " on each side. Recovered: seconds until throughput was back within 5% of before (never: not in the window)."
    " Workers: their count, and the pids that changed."
)
RECYCLING_HEADER = ["Server", "Level", "Recycled", "At s", "p99 near ms", "p99 else ms", "Requests near"]
RECYCLING_NOTE = (
    "Recycling: workers the server restarted on purpose (max_requests) in the window, when each new one was first"
    " seen, and the p99 of requests answered within a second after it against all others."
)
PIDS_SHOWN = 6


def failed_text(failed: EventFailed) -> str:
    """'3: 502 x 2, connection reset x 1', or '0'."""
    named = [f"{status} x {n}" for status, n in failed.statuses.items()]
    named += [f"{error} x {n}" for error, n in failed.errors.items()]
    return f"{failed.count:,}" + (": " + ", ".join(named) if named else "")


def workers_text(pids: list[int], others: list[int]) -> str:
    """'2 (new: 4312, 4313)': the count, and the pids not in `others` (the other side of the event)."""
    new = [pid for pid in pids if pid not in others]
    shown = ", ".join(map(str, new[:PIDS_SHOWN])) + (" ..." if len(new) > PIDS_SHOWN else "")
    return f"{len(pids)}" + (f" (changed: {shown})" if new else "")


def _verdict(event: EventResult) -> Cell:
    if event.ok is None:
        return Cell("–")
    return Cell("ok") if event.ok else Cell(f"failed: {event.why}")


def _row(run: RunResult, event: EventResult) -> list[Cell]:
    flight = event.in_flight
    return [
        text_cell(run.server),
        Cell(run.key.level.short),
        Cell(label(event)),
        Cell(failed_text(event.failed)),
        Cell(f"{flight.count:,} ({flight.failed:,})"),
        Cell(ms_text(event.p99_before_ms)),
        Cell(ms_text(event.p99_after_ms)),
        Cell(number(event.rps_before, 1)),
        Cell(number(event.rps_after, 1)),
        Cell(number(event.model_rps_after, 1) if event.model_rps_after is not None else "n/a"),
        Cell("never" if event.recovered_s is None else number(event.recovered_s, 2)),
        Cell(workers_text(event.workers_before, event.workers_after)),
        Cell(workers_text(event.workers_after, event.workers_before)),
        _verdict(event),
    ]


def deploy_table(runs: list[RunResult]) -> Table | None:
    rows = [_row(run, event) for run in runs if run.ok for event in run.events or []]
    return Table(DEPLOY_HEADER, rows) if rows else None


def recycling_table(runs: list[RunResult]) -> Table | None:
    rows = []
    for run in runs:
        r = run.recycling
        if not run.ok or r is None:
            continue
        at = ", ".join(f"{t:g}" for t in r.at_s[:12]) + (" ..." if len(r.at_s) > 12 else "")
        rows.append(
            [
                text_cell(run.server),
                Cell(run.key.level.short),
                Cell(f"{r.count:,}"),
                Cell(at or "–"),
                Cell(ms_text(r.p99_near_ms)),
                Cell(ms_text(r.p99_else_ms)),
                Cell(f"{r.requests_near:,}"),
            ]
        )
    return Table(RECYCLING_HEADER, rows) if rows else None


def deploy_headline(runs: list[RunResult]) -> list[str]:
    """Per event: what each config lost to it, fewest failed first, then fastest recovered."""
    by_event: dict[str, list[tuple[str, EventResult]]] = {}
    levels = len({run.key.level for run in runs}) > 1
    repeated = any(run.repeat > 1 for run in runs)
    for run in runs:
        if run.ok:
            name = run.server + (f" ({run.key.level})" if levels else "") + (f" #{run.repeat}" if repeated else "")
            for event in run.events or []:
                by_event.setdefault(f"{action(event)} at {event.at_s:.0f} s", []).append((name, event))
    lines = []
    for what, seen in by_event.items():
        seen.sort(key=lambda item: (item[1].failed.count, item[1].recovered_s is None, item[1].recovered_s or 0))
        shown = [
            f"{server} {e.failed.count:,} failed, "
            + (
                "throughput not back in the window"
                if e.recovered_s is None
                else "throughput never fell"
                if e.recovered_s == 0
                else f"throughput back in {e.recovered_s:g} s"
            )
            for server, e in seen
        ]
        lines.append(f"{what}: " + "; ".join(shown) + ".")
    return lines
