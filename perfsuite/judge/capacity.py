"""Capacity: the highest offered rate a config takes while an objective holds
(pure functions and a search that is told each step's outcome).

The search starts at a rate (the model's prediction, scaled down, or a low
guess), doubles while steps pass (halves while they fail), then bisects
between the highest passing and the lowest failing rate until they are
within PRECISION of each other, at most MAX_STEPS steps. A step where the
load generator fell behind its schedule ends the search once some rate has
passed: the capacity is at least that rate, bound by the generator, not the
server. A generator behind with CPU to spare (not saturated) is more likely
a hiccup of the machine: that rate is tried once more first.

A step passes when every objective holds (latency from the intended start,
error rate) and the server answered at least ACHIEVED_SHARE of the requests
offered (perfsuite.judge.flags.short_of_offered; a server that answers less is building a queue the window may be
too short to show in its percentiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from perfsuite.judge.flags import short_of_offered
from perfsuite.judge.slo import holds
from perfsuite.plan.format import CapacityObjective, Target
from perfsuite.record.results import CapacityStep, RunResult

MAX_STEPS = 8  # the plan names its own (perfsuite.plan.runs.SEARCH_STEPS)
PRECISION = 0.05  # the bracket's width over its low end
START_SHARE = 0.8  # of the model's prediction
DEFAULT_START = 5.0  # req/s, without a prediction
START_CAP = 100.0  # req/s: a first step beyond this would test the generator before the server
MIN_RATE = 0.1  # req/s: below this the search gives up
MAX_JUMP = 16  # toward the model's capacity at most this many times the best rate so far (a CPU per
# request measured at a low rate overstates an event loop's capacity)
OBJECTIVE_METRICS = ("avg_ms", "p50_ms", "p95_ms", "p99_ms", "gap_p99_ms", "ttfb_p99_ms", "error_rate")
DEFAULT_START_CONNECTIONS = 16  # a connections search's first step, where the config's slots do not bound it
MAX_CONNECTIONS_STEP = 100_000  # no step holds more (the format's bound)


def round_rate(rate: float) -> float:
    """3 significant figures: rates read well and name runs (rate=12.5)."""
    if rate <= 0:
        return rate
    digits = 2 - math.floor(math.log10(rate))
    return round(rate, max(digits, 0)) if digits > 0 else float(round(rate, digits))


def criterion(objective: CapacityObjective | Target) -> str:
    """The objective (or a sizing target's latencies) as text, e.g. 'p99_ms < 400, error_rate < 0.01'."""
    parts = []
    for metric in OBJECTIVE_METRICS:
        threshold = getattr(objective, metric, None)
        if threshold is not None:
            parts.append(f"{metric} {' '.join(threshold.split())}")
    return ", ".join(parts)


def start_rate(model_rps: float | None) -> float:
    """0.8x a prediction made before any run (slots / service time: the CPU not known yet), at most
    START_CAP (a gevent worker's 1000 connections predict 10,000 req/s); else DEFAULT_START."""
    if model_rps is None or not math.isfinite(model_rps) or model_rps <= 0:
        return DEFAULT_START
    return max(MIN_RATE, round_rate(min(START_SHARE * model_rps, START_CAP)))


def unmet(objective: CapacityObjective, measured: dict[str, float | None]) -> list[str]:
    """Each objective a step's `measured` figures miss, as 'p99_ms 612, wanted < 500'."""
    why = []
    for metric, value in measured.items():
        threshold = getattr(objective, metric)
        if threshold is not None and (value is None or not holds(value, threshold)):
            shown = "none" if value is None else f"{value:g}"
            why.append(f"{metric} {shown}, wanted {' '.join(threshold.split())}")
    return why


def step_of(run: RunResult, objective: CapacityObjective) -> CapacityStep:
    """One measured open run judged against the objective."""
    rate = run.rate or 0.0
    if not run.ok or run.open is None:
        return CapacityStep(rate=rate, ok=False, run_failed=True, why=run.error or "the run failed")
    kinds = {flag.kind for flag in run.flags}
    # The generator's lag bounds the search where it is the generator's doing: it was
    # saturated, or the server answered all it was sent. A server that answers too few
    # (hundreds of requests in flight) also delays the generator's sends a little.
    behind = "loadgen_behind" in kinds and ("loadgen_saturated" in kinds or not short_of_offered(run.open))
    error_rate = run.failures / run.requests if run.requests else 0.0
    measured = {
        "avg_ms": run.latency_ms.avg,
        "p50_ms": run.latency_ms.p50,
        "p95_ms": run.latency_ms.p95,
        "p99_ms": run.latency_ms.p99,
        "error_rate": error_rate,
    }
    why = unmet(objective, measured)
    if "errors" in kinds and objective.error_rate is None:  # the scenario's own max_error_rate (default: none)
        why.append(next(flag.message for flag in run.flags if flag.kind == "errors"))
    achieved = run.open.achieved_rps
    if short_of_offered(run.open):
        why.append(f"answered {achieved:g} of {rate:g} req/s")
    if behind:
        why.append("the load generator fell behind its schedule")
    return CapacityStep(
        rate=rate,
        achieved_rps=achieved,
        p99_ms=run.latency_ms.p99,
        error_rate=round(error_rate, 6),
        ok=not why,
        loadgen_behind=behind,
        loadgen_saturated="loadgen_saturated" in kinds,
        why="; ".join(why) or None,
    )


def start_connections(slots: float) -> int:
    """A connections search starts where the config's slots end (it should hold them all), else at 16."""
    if math.isfinite(slots) and slots >= 1:
        return int(min(slots, MAX_CONNECTIONS_STEP))
    return DEFAULT_START_CONNECTIONS


def stream_step_of(run: RunResult, objective: CapacityObjective) -> CapacityStep:
    """One stream run at `connections` judged: every connection held at once, no stream failed or
    cut (unless error_rate allows), and the objective's gap and TTFB percentiles met."""
    connections = run.connections or 0
    if not run.ok or run.stream is None:
        return CapacityStep(rate=connections, connections=connections, ok=False, run_failed=True,
                            why=run.error or "the run failed")  # fmt: skip
    s = run.stream
    ended = s.completed + s.failed + s.cut
    error_rate = (s.failed + s.cut) / ended if ended else 0.0
    measured = {"gap_p99_ms": s.gap_ms.p99, "ttfb_p99_ms": s.ttfb_ms.p99, "error_rate": error_rate}
    why = [f"held {s.held:,} of {connections:,} at once"] if s.held < connections else []
    why += unmet(objective, measured)
    if objective.error_rate is None and (s.failed or s.cut):
        why.append(f"{s.failed + s.cut:,} streams failed or were cut")
    saturated = any(flag.kind == "loadgen_saturated" for flag in run.flags)
    if saturated:
        why.append("Locust's core was saturated")
    return CapacityStep(
        rate=connections,
        connections=connections,
        p99_ms=s.gap_ms.p99,
        error_rate=round(error_rate, 6),
        ok=not why,
        loadgen_behind=saturated,  # the generator, not the server, may have made the gaps
        loadgen_saturated=saturated,
        why="; ".join(why) or None,
    )


@dataclass
class Search:
    """Told each step's outcome (`add`), it names the next rate to try (`next_rate`) until done.
    `whole`: the values are counts (connections): rounded to whole numbers, bracketed to within one."""

    start: float
    max_steps: int = MAX_STEPS
    precision: float = PRECISION
    whole: bool = False

    def __post_init__(self) -> None:
        self.steps: list[CapacityStep] = []
        self.hint: float | None = None  # the model's capacity, once a step has measured the CPU

    def tell(self, model_rps: float | None) -> None:
        """The model's latest prediction: a search still doubling jumps toward it."""
        if model_rps is not None and math.isfinite(model_rps) and model_rps > 0:
            self.hint = model_rps

    def add(self, step: CapacityStep) -> None:
        self.steps.append(step)

    @property
    def best(self) -> float | None:
        """The highest rate that passed."""
        passed = [step.rate for step in self.steps if step.ok]
        return max(passed) if passed else None

    @property
    def lowest_failed(self) -> float | None:
        """The lowest failing rate above the best (failures below it are noise the bracket ignores)."""
        best = self.best or 0.0
        failed = [step.rate for step in self.steps if not step.ok and step.rate > best]
        return min(failed) if failed else None

    def _behind(self, rate: float) -> int:
        return sum(step.loadgen_behind for step in self.steps if step.rate == rate)

    @property
    def generator_bound(self) -> bool:
        """The generator fell behind (saturated, or twice) above the best rate and below any rate the
        server itself failed: the search cannot go higher."""
        best = self.best
        if best is None:
            return False
        server_failed = min((s.rate for s in self.steps if not s.ok and not s.loadgen_behind), default=math.inf)
        return any(
            s.loadgen_behind and best < s.rate <= server_failed and (s.loadgen_saturated or self._behind(s.rate) >= 2)
            for s in self.steps
        )

    @property
    def run_failed(self) -> bool:
        """A step's run failed (the server did not start, or exited): no rate is worth trying after it."""
        return any(step.run_failed for step in self.steps)

    @property
    def converged(self) -> bool:
        low, high = self.best, self.lowest_failed
        if low is None or high is None:
            return False
        return high - low <= 1 if self.whole else (high - low) / low <= self.precision

    def _round(self, value: float) -> float:
        if self.whole:
            return float(min(MAX_CONNECTIONS_STEP, max(1, round(value))))
        return round_rate(value)

    def next_rate(self) -> float | None:
        if not self.steps:
            return self._round(self.start)
        if len(self.steps) >= self.max_steps or self.generator_bound or self.converged or self.run_failed:
            return None
        last = self.steps[-1]
        if last.loadgen_behind and not last.loadgen_saturated and self._behind(last.rate) == 1:
            return last.rate  # behind with CPU to spare: a hiccup of the machine is retried once
        low, high = self.best, self.lowest_failed
        if high is None:
            assert low is not None
            candidate = self._round(2 * low)
            if self.hint is not None and START_SHARE * self.hint > candidate:  # toward the model, bounded
                candidate = self._round(min(START_SHARE * self.hint, MAX_JUMP * low))
        elif low is None:
            candidate = self._round(high / 2)
            if self.hint is not None and START_SHARE * self.hint < candidate:  # down toward the model
                candidate = self._round(max(START_SHARE * self.hint, high / MAX_JUMP))
            if candidate < MIN_RATE:
                return None
        else:
            candidate = self._round((low + high) / 2)
        tried = {step.rate for step in self.steps}
        return None if candidate in tried else candidate
