"""What a finished suite means, and its exit code (pure, plus checks.json I/O).

0  every run succeeded, every SLO held, no regression, nothing inconclusive
1  an SLO failed, a metric regressed, a run failed, or more requests failed
   than a scenario allows (default: any)
3  inconclusive: a measurement that cannot be trusted (load generator
   saturated, model mismatch, repetitions too noisy) and nothing worse
(2, invalid input, and 128+signal are decided before or around a run.)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfsuite.io.files import read_text, write_file
from perfsuite.judge.aggregate import Aggregate
from perfsuite.judge.baseline import EntryComparison
from perfsuite.judge.compare import REGRESSION, Comparison
from perfsuite.judge.slo import SloCheck
from perfsuite.plan.key import Level, RunKey
from perfsuite.record.results import SuiteResults

EXIT_OK, EXIT_FAILED, EXIT_INCONCLUSIVE = 0, 1, 3
EXIT_MEANINGS = {
    EXIT_OK: "all good",
    EXIT_FAILED: "an SLO failed, a metric regressed, a run failed, requests failed or no rate met a capacity objective",
    EXIT_INCONCLUSIVE: "inconclusive",
}
CHECKS_FILE = "checks.json"
FAILURE_FLAGS = ("errors", "messages_lost", "event_failed")  # what failed, as the run's flags name it: exit 1
UNTRUSTED_FLAGS = {
    "loadgen_saturated": "load generator saturated",
    "loadgen_behind": "load generator behind its schedule",
    "model_mismatch": "model mismatch",
}
GENERATOR_FLAGS = ("loadgen_saturated", "loadgen_behind")
_LEGACY_RUN = re.compile(r"^(.+) / (.+) / (.+) #(\d+)$")  # schema-1 checks.json named failed runs so


@dataclass(frozen=True)
class FailedRequests:
    """A run whose requests failed beyond what its scenario allows (its `errors` flag)."""

    key: RunKey
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.key.as_dict(), "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FailedRequests:
        return cls(RunKey.from_dict(data), str(data["message"]))


@dataclass
class Verdict:
    slo: list[SloCheck] = field(default_factory=list)
    baseline: list[EntryComparison] | None = None  # None: no baseline given
    baseline_file: str | None = None
    baseline_notes: list[str] = field(default_factory=list)
    environment_warnings: list[str] = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    failed_runs: list[RunKey] = field(default_factory=list)
    failed_requests: list[FailedRequests] = field(default_factory=list)
    capacity_unmet: list[str] = field(default_factory=list)  # searches no rate passed
    known_limits: list[str] = field(default_factory=list)  # bound by the generator, as the scenario expects

    @property
    def slo_failures(self) -> list[SloCheck]:
        return [check for check in self.slo if not check.passed]

    @property
    def regressions(self) -> list[tuple[EntryComparison, Comparison]]:
        return [(entry, c) for entry in self.baseline or [] for c in entry.comparisons if c.verdict == REGRESSION]

    @property
    def exit_code(self) -> int:
        if self.failed_runs or self.failed_requests or self.slo_failures or self.regressions or self.capacity_unmet:
            return EXIT_FAILED
        return EXIT_INCONCLUSIVE if self.inconclusive else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "slo": [check.as_dict() for check in self.slo],
            "baseline": None if self.baseline is None else [entry.as_dict() for entry in self.baseline],
            "baseline_file": self.baseline_file,
            "baseline_notes": self.baseline_notes,
            "environment_warnings": self.environment_warnings,
            "inconclusive": self.inconclusive,
            "failed_runs": [key.as_dict() for key in self.failed_runs],
            "failed_requests": [item.as_dict() for item in self.failed_requests],
            "capacity_unmet": self.capacity_unmet,
            "known_limits": self.known_limits,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        baseline = data.get("baseline")
        return cls(
            slo=[SloCheck.from_dict(c) for c in data.get("slo", [])],
            baseline=None if baseline is None else [EntryComparison.from_dict(e) for e in baseline],
            baseline_file=data.get("baseline_file"),
            baseline_notes=list(data.get("baseline_notes", [])),
            environment_warnings=list(data.get("environment_warnings", [])),
            inconclusive=list(data.get("inconclusive", [])),
            failed_runs=[_run_key(item) for item in data.get("failed_runs", [])],
            failed_requests=[FailedRequests.from_dict(item) for item in data.get("failed_requests", [])],
            capacity_unmet=[str(item) for item in data.get("capacity_unmet", [])],
            known_limits=[str(item) for item in data.get("known_limits", [])],
        )


def _run_key(item: Any) -> RunKey:
    if isinstance(item, dict):
        return RunKey.from_dict(item)
    found = _LEGACY_RUN.match(str(item))
    if found is None:
        raise ValueError(f"not a run: {item!r}")
    scenario, server, level, repeat = found.groups()
    return RunKey(scenario, server, Level.parse(level), int(repeat))


def searched_configs(results: SuiteResults) -> set[tuple[str, str]]:
    """(scenario, server) of every capacity search, finished or cut short: its runs are marked as steps."""
    return {(run.scenario, run.server) for run in results.runs if run.search}


def unmet(results: SuiteResults) -> list[str]:
    """Capacity searches no rate passed: the objective holds nowhere (a failure, like an SLO's)."""
    found = []
    for c in results.capacity:
        best, what, unit = (
            (c.connections, "number of connections", "connections")
            if c.of == "connections"
            else (c.rps, "rate", "req/s")
        )
        if best is None and c.steps:
            lowest = min(c.steps, key=lambda step: step.rate)
            found.append(
                f"{c.scenario} / {c.server}: no {what} met the capacity criterion ({c.criterion}); at"
                f" {lowest.rate:g} {unit}: {lowest.why or 'failed'}"
            )
    return found


def judge(
    results: SuiteResults,
    aggregates: list[Aggregate],
    slo_checks: list[SloCheck],
    comparisons: list[EntryComparison] | None = None,
    baseline_file: str | None = None,
    baseline_notes: list[str] | None = None,
    environment_warnings: list[str] | None = None,
    generator_limited: frozenset[str] = frozenset(),
) -> Verdict:
    """`generator_limited`: scenarios that knowingly drive servers past one load generator
    (`expect_loadgen_limit: true`): their generator's limit is a finding, not a doubt."""
    # A capacity search's steps past the capacity fail its objective on purpose, and
    # the generator's limit ends it: its result is the capacity, not its steps' flags.
    searched = searched_configs(results)
    aggregates = [agg for agg in aggregates if (agg.key.scenario, agg.key.server) not in searched]
    runs = [run for run in results.runs if (run.scenario, run.server) not in searched]
    failed_steps = [run.key for run in results.runs if (run.scenario, run.server) in searched and not run.ok]
    inconclusive: list[str] = []
    known: list[str] = []
    for agg in aggregates:
        where = agg.key.label
        for kind in (kind for kind in agg.flags if kind in UNTRUSTED_FLAGS):
            # Behind its schedule is the generator's doing only where it was saturated too.
            expected = agg.key.scenario in generator_limited and "loadgen_saturated" in agg.flags
            expected = expected and kind in GENERATOR_FLAGS
            (known if expected else inconclusive).append(f"{where}: {UNTRUSTED_FLAGS[kind]}")
        if agg.noisy:
            inconclusive.append(f"{where}: too noisy (throughput varies {agg.cv:.0%} over {agg.runs} repetitions)")
    return Verdict(
        slo=slo_checks,
        baseline=comparisons,
        baseline_file=baseline_file,
        baseline_notes=baseline_notes or [],
        environment_warnings=environment_warnings or [],
        inconclusive=inconclusive,
        failed_runs=[run.key for run in runs if not run.ok] + failed_steps,
        failed_requests=[
            FailedRequests(run.key, flag.message) for run in runs for flag in run.flags if flag.kind in FAILURE_FLAGS
        ],
        capacity_unmet=unmet(results),
        known_limits=known,
    )


def write(directory: Path, verdict: Verdict) -> None:
    write_file(directory / CHECKS_FILE, json.dumps(verdict.as_dict(), indent=1) + "\n")


class VerdictError(ValueError):
    """checks.json cannot be read; the message names it."""


def read(directory: Path) -> Verdict | None:
    """The verdict in DIR/checks.json; None if there is none; VerdictError if it is malformed."""
    path = directory / CHECKS_FILE
    try:
        data = json.loads(read_text(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise VerdictError(f"{path}: {error}") from None
    try:
        return Verdict.from_dict(data)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise VerdictError(f"{path}: not a perfsuite checks file ({type(error).__name__}: {error})") from None
