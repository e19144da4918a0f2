"""What the suite shows while it runs.

On a terminal: a live display (rich) with run i of N, the config, elapsed
time and ETA, and the current requests/s and failures, read from Locust's
per-second history file. Elsewhere (CI, a pipe): plain lines, one when a run
starts and one with its numbers when it ends. Errors stand out in both.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from perfsuite.io.files import read_text
from perfsuite.io.text import TerminalStream, terminal
from perfsuite.plan.runs import RunPlan
from perfsuite.record.results import RunResult


def _result_line(result: RunResult) -> str:
    overhead = result.overhead
    cost = (
        f"overhead {overhead.total_s:.2f} s (start {overhead.start_s:.2f} s + teardown {overhead.teardown_s:.2f} s)"
        if overhead.total_s is not None and overhead.start_s is not None and overhead.teardown_s is not None
        else "overhead n/a"
    )
    flags = "".join(f"; ⚠ {flag.kind}" for flag in result.flags)
    return (
        f"ok {result.requests} requests, {result.failures} failures, {result.rps:.2f} req/s, "
        f"p95 {result.latency_ms.p95} ms, elapsed {result.elapsed_s:.2f} s; {cost}{flags}"
    )


ERROR_TAIL_LINES = 12  # of a failed run's log tail, shown under its error line


def _error_line(result: RunResult) -> str:
    first = (result.error or "error").splitlines()[0]
    return f"ERROR {first} (logs: {result.run_dir}/)"


def _error_tail(result: RunResult) -> str:
    """The end of the log tail a failed run's error carries, indented ('' if none)."""
    rest = (result.error or "").splitlines()[1:]
    return "\n".join(f"    {line}" for line in rest[-ERROR_TAIL_LINES:])


class PlainProgress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def run_started(self, plan: RunPlan, total: int) -> None:
        self._print(f"[{plan.index}/{total}] {plan.label} ...")

    def tick(self, plan: RunPlan, run_dir: Path) -> None:
        pass

    def run_finished(self, plan: RunPlan, result: RunResult, total: int) -> None:
        line = _result_line(result) if result.status == "ok" else f"{_error_line(result)} {plan.label}"
        self._print(f"[{plan.index}/{total}] {line}")
        if result.status != "ok" and (tail := _error_tail(result)):
            self._print(tail)

    def close(self) -> None:
        pass


def live_numbers(run_dir: Path) -> tuple[float, int] | None:
    """(requests/s over the last second, failures so far) from Locust's history file."""
    try:
        text = read_text(run_dir / "locust_stats_history.csv")
        rows = [row for row in csv.DictReader(io.StringIO(text, newline="")) if row.get("Name") == "Aggregated"]
    except (OSError, ValueError, csv.Error):
        return None
    if len(rows) < 2:
        return None
    last, previous = rows[-1], rows[-2]
    total, before = float(last["Total Request Count"]), float(previous["Total Request Count"])
    seconds = max(float(last["Timestamp"]) - float(previous["Timestamp"]), 1.0)
    return (total - before if total >= before else total) / seconds, int(float(last["Total Failure Count"]))


class RichProgress:
    """Live display for a terminal; finished runs scroll above it."""

    def __init__(self, plans: list[RunPlan], console: Console | None = None) -> None:
        # rich writes its own escape sequences: to the terminal itself, never raising if it hung up.
        raw = getattr(sys.stderr, "raw", sys.stderr)
        self.console = console or Console(file=TerminalStream(raw, escape=False))  # type: ignore[arg-type]
        self.plans = plans
        self.total = len(plans)  # capacity searches add steps as they go
        self.started = time.monotonic()
        self.current: RunPlan | None = None
        self.run_started_at = 0.0
        self.numbers: tuple[float, int] | None = None
        self.spent: list[float] = []  # seconds per finished run beyond its planned time
        self.last_tick = 0.0
        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=True)
        self.live.start()
        # While it shows, rich takes what is printed above its display and decodes ANSI codes in it
        # into styles: escaped first, as everything printed is (rich puts the streams back at stop).
        sys.stdout, sys.stderr = TerminalStream(sys.stdout), TerminalStream(sys.stderr)

    def _planned(self, plan: RunPlan) -> float:
        return plan.warmup_s + plan.duration_s if plan.mode != "burst" else 0.0

    def _eta(self) -> float | None:
        if self.current is None:
            return None
        extra = sum(self.spent) / len(self.spent) if self.spent else 1.5
        remaining = [p for p in self.plans if p.index > self.current.index]
        current_left = max(0.0, self._planned(self.current) - (time.monotonic() - self.run_started_at))
        return current_left + sum(self._planned(p) + extra for p in remaining)

    def _render(self) -> Table:
        table = Table.grid(padding=(0, 2))
        elapsed = time.monotonic() - self.started
        eta = self._eta()
        if self.current is None:
            table.add_row(Text("starting ...", style="dim"))
            return table
        table.add_row(
            Text(f"run {self.current.index} of {self.total}", style="bold"),
            Text(self.current.label, style="cyan"),
        )
        live = f"{self.numbers[0]:,.0f} req/s, {self.numbers[1]} failures" if self.numbers else "waiting for requests"
        style = "red" if self.numbers and self.numbers[1] else ""
        timing = f"elapsed {elapsed:,.0f} s" + (f", ETA {eta:,.0f} s" if eta is not None else "")
        table.add_row(Text(timing, style="dim"), Text(live, style=style))
        return table

    def run_started(self, plan: RunPlan, total: int) -> None:
        self.current, self.run_started_at, self.numbers = plan, time.monotonic(), None
        self.total = max(total, plan.index)
        self.live.update(self._render())

    def tick(self, plan: RunPlan, run_dir: Path) -> None:
        now = time.monotonic()
        if now - self.last_tick >= 0.5:
            self.last_tick = now
            self.numbers = live_numbers(run_dir) or self.numbers
            self.live.update(self._render())

    def run_finished(self, plan: RunPlan, result: RunResult, total: int) -> None:
        self.spent.append(max(0.0, time.monotonic() - self.run_started_at - self._planned(plan)))
        prefix = f"[{plan.index}/{total}] {plan.label}: "
        if result.status == "ok":
            style = "yellow" if result.flags else "green"
            self.console.print(Text(prefix) + Text(_result_line(result), style=style))
        else:
            # A failed run's error quotes its logs: shown inert, as everything else printed is.
            self.console.print(Text(prefix) + Text(terminal(_error_line(result)), style="bold red"))
            if tail := _error_tail(result):
                self.console.print(Text(terminal(tail)))

    def close(self) -> None:
        self.live.stop()


def make_progress(plans: list[RunPlan], stream: TextIO | None = None) -> PlainProgress | RichProgress:
    stream = sys.stderr if stream is None else stream
    return RichProgress(plans) if stream.isatty() else PlainProgress(stream)
