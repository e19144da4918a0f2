"""Plain progress lines: one when a run starts, one with its numbers when it ends."""

from __future__ import annotations

import sys
from typing import TextIO

from perfsuite.plan import RunPlan
from perfsuite.results import RunResult


class PlainProgress:
    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def run_started(self, plan: RunPlan, total: int) -> None:
        self._print(f"[{plan.index}/{total}] {plan.label} ...")

    def run_finished(self, plan: RunPlan, result: RunResult, total: int) -> None:
        if result.status != "ok":
            first = (result.error or "").splitlines()[0] if result.error else "error"
            self._print(f"[{plan.index}/{total}] ERROR {plan.label}: {first} (logs: {result.run_dir}/)")
            return
        overhead = result.overhead
        cost = (
            f"overhead {overhead.total_s:.2f} s (start {overhead.start_s:.2f} s + teardown {overhead.teardown_s:.2f} s)"
            if overhead.total_s is not None and overhead.start_s is not None and overhead.teardown_s is not None
            else "overhead n/a"
        )
        self._print(
            f"[{plan.index}/{total}] ok {result.requests} requests, {result.failures} failures, "
            f"{result.rps:.2f} req/s, p95 {result.latency_ms.p95} ms, elapsed {result.elapsed_s:.2f} s; {cost}"
        )
