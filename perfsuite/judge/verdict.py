"""What a finished suite means, and its exit code (pure, plus checks.json I/O).

0  every run succeeded, every SLO held, no regression, nothing inconclusive
1  an SLO failed, a metric regressed, or a run failed
3  inconclusive: a measurement that cannot be trusted (load generator
   saturated, model mismatch, repetitions too noisy) and nothing worse
(2, invalid input, and 128+signal are decided before or around a run.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfsuite.judge.aggregate import Aggregate
from perfsuite.judge.baseline import EntryComparison
from perfsuite.judge.compare import REGRESSION
from perfsuite.judge.slo import SloCheck
from perfsuite.record.results import SuiteResults

EXIT_OK, EXIT_FAILED, EXIT_INCONCLUSIVE = 0, 1, 3
CHECKS_FILE = "checks.json"
UNTRUSTED_FLAGS = {"loadgen_saturated": "load generator saturated", "model_mismatch": "model mismatch"}


@dataclass
class Verdict:
    slo: list[dict[str, Any]] = field(default_factory=list)
    baseline: list[dict[str, Any]] | None = None  # None: no baseline given
    baseline_file: str | None = None
    baseline_notes: list[str] = field(default_factory=list)
    environment_warnings: list[str] = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)

    @property
    def slo_failures(self) -> list[dict[str, Any]]:
        return [check for check in self.slo if not check["passed"]]

    @property
    def regressions(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [(entry, c) for entry in self.baseline or [] for c in entry["comparisons"] if c["verdict"] == REGRESSION]

    @property
    def exit_code(self) -> int:
        if self.failed_runs or self.slo_failures or self.regressions:
            return EXIT_FAILED
        return EXIT_INCONCLUSIVE if self.inconclusive else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "slo": self.slo,
            "baseline": self.baseline,
            "baseline_file": self.baseline_file,
            "baseline_notes": self.baseline_notes,
            "environment_warnings": self.environment_warnings,
            "inconclusive": self.inconclusive,
            "failed_runs": self.failed_runs,
        }


def judge(
    results: SuiteResults,
    aggregates: list[Aggregate],
    slo_checks: list[SloCheck],
    comparisons: list[EntryComparison] | None = None,
    baseline_file: str | None = None,
    baseline_notes: list[str] | None = None,
    environment_warnings: list[str] | None = None,
) -> Verdict:
    inconclusive = []
    for agg in aggregates:
        where = f"{agg.scenario} / {agg.server} / {agg.level}"
        inconclusive += [f"{where}: {UNTRUSTED_FLAGS[kind]}" for kind in agg.flags if kind in UNTRUSTED_FLAGS]
        if agg.noisy:
            inconclusive.append(f"{where}: too noisy (throughput varies {agg.cv:.0%} over {agg.runs} repetitions)")
    return Verdict(
        slo=[check.as_dict() for check in slo_checks],
        baseline=None if comparisons is None else [entry.as_dict() for entry in comparisons],
        baseline_file=baseline_file,
        baseline_notes=baseline_notes or [],
        environment_warnings=environment_warnings or [],
        inconclusive=inconclusive,
        failed_runs=[
            f"{run.scenario} / {run.server} / {run.level} #{run.repeat}" for run in results.runs if run.status != "ok"
        ],
    )


def write(directory: Path, verdict: Verdict) -> None:
    (directory / CHECKS_FILE).write_text(json.dumps(verdict.as_dict(), indent=1) + "\n", encoding="utf-8")


def read(directory: Path) -> Verdict | None:
    try:
        data = json.loads((directory / CHECKS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data.pop("exit_code", None)
    return Verdict(**data)
