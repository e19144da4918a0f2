"""Baseline files: save a suite's medians and raw repetitions; compare a new suite to one.

A baseline carries the environment fingerprint; comparing against one made on
another machine or with other package versions warns loudly (and `--strict`
refuses). Thresholds live in the file, so a team can tune them there.
Schema 2 stores each entry's level as a token (users=10); schema-1 files
(level "10 users") are read alike.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from perfsuite.judge.aggregate import Aggregate
from perfsuite.judge.compare import DEFAULT_THRESHOLDS, Comparison, compare
from perfsuite.record.results import Environment
from perfsuite.spec.key import GroupKey

KIND = "perfsuite-baseline"
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
# Fingerprint fields that must match for numbers to be comparable.
MACHINE_KEYS = ("hostname", "cpu_model", "cpu_count", "memory_gb", "python", "kernel")
PACKAGES = ("locust", "gunicorn", "uvicorn", "uvicorn-worker", "gevent", "uvloop", "httptools", "granian", "hypercorn")


class BaselineError(ValueError):
    pass


@dataclass(frozen=True)
class BaselineEntry:
    key: GroupKey
    runs: int
    medians: dict[str, float | None]
    samples: dict[str, list[float]]


@dataclass(frozen=True)
class Baseline:
    suite: str
    thresholds: dict[str, float]
    environment: Environment
    entries: list[BaselineEntry]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "suite": self.suite,
            "thresholds": self.thresholds,
            "environment": self.environment.model_dump(mode="json"),
            "entries": [
                {**e.key.as_dict(), "runs": e.runs, "medians": e.medians, "samples": e.samples} for e in self.entries
            ],
        }


def build(aggregates: list[Aggregate], environment: Environment, suite: str) -> Baseline:
    entries = [
        BaselineEntry(
            key=agg.key,
            runs=agg.runs,
            medians={name: metric.value for name, metric in agg.metrics.items()},
            samples={name: list(agg.metrics[name].samples) for name in DEFAULT_THRESHOLDS},
        )
        for agg in aggregates
        if agg.runs
    ]
    return Baseline(suite, dict(DEFAULT_THRESHOLDS), environment, entries)


def save(path: Path, baseline: Baseline) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline.as_dict(), indent=1) + "\n", encoding="utf-8")


def _numbers(value: Any) -> list[float]:
    if not isinstance(value, list) or not all(isinstance(v, int | float) and math.isfinite(v) for v in value):
        raise ValueError("samples must be lists of numbers")
    return [float(v) for v in value]


def _entry(data: Any) -> BaselineEntry:
    if not isinstance(data, dict):
        raise ValueError("an entry must be an object")
    samples = data.get("samples") or {}
    medians = data.get("medians") or {}
    if not isinstance(samples, dict) or not isinstance(medians, dict):
        raise ValueError("samples and medians must be objects")
    return BaselineEntry(
        key=GroupKey.from_dict(data),
        runs=int(data.get("runs") or 0),
        medians={str(k): (None if v is None else float(v)) for k, v in medians.items()},
        samples={str(k): _numbers(v) for k, v in samples.items()},
    )


def load(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{path}: cannot read baseline: {error.strerror or error}") from None
    except ValueError as error:
        raise BaselineError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise BaselineError(f"{path}: not a perfsuite baseline (made with --save-baseline)")
    if data.get("schema_version") not in READABLE_VERSIONS:
        raise BaselineError(f"{path}: baseline schema_version {data.get('schema_version')!r} is not supported")
    thresholds = data.get("thresholds", {})
    if not isinstance(thresholds, dict) or not all(
        isinstance(v, int | float) and 0 <= v < 10 for v in thresholds.values()
    ):
        raise BaselineError(f"{path}: thresholds must map metric names to fractions such as 0.1")
    entries = data.get("entries", [])
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: entries must be a list")
    try:
        parsed = [_entry(entry) for entry in entries]
        environment = Environment.model_validate(data.get("environment") or {})
    except (KeyError, TypeError, ValueError) as error:
        raise BaselineError(f"{path}: a malformed entry or environment ({error})") from None
    return Baseline(str(data.get("suite", "")), {**DEFAULT_THRESHOLDS, **thresholds}, environment, parsed)


def environment_differences(baseline: Baseline, now: Environment) -> list[str]:
    before = baseline.environment
    found = []
    for key in MACHINE_KEYS:
        if getattr(before, key) != getattr(now, key):
            found.append(f"{key}: baseline {getattr(before, key)!r}, now {getattr(now, key)!r}")
    for package in PACKAGES:
        old, new = before.packages.get(package), now.packages.get(package)
        if old != new:
            found.append(f"{package}: baseline {old}, now {new}")
    return found


@dataclass(frozen=True)
class EntryComparison:
    key: GroupKey
    comparisons: list[Comparison]

    def as_dict(self) -> dict[str, Any]:
        return {**self.key.as_dict(), "comparisons": [c.as_dict() for c in self.comparisons]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntryComparison:
        return cls(GroupKey.from_dict(data), [Comparison.from_dict(c) for c in data.get("comparisons", [])])


def paired(aggregates: list[Aggregate], pairs: list[tuple[str, str]]) -> tuple[list[EntryComparison], list[str]]:
    """Each candidate config against its baseline config of the same run (--against, --pair): the
    baseline's aggregates stand as a baseline file would, under the candidate's name."""
    renamed = {base: candidate for base, candidate in pairs}
    base = [agg for agg in aggregates if agg.key.server in renamed]
    entries = [
        replace(entry, key=replace(entry.key, server=renamed[entry.key.server]))
        for entry in build(base, Environment(), "").entries
    ]
    candidates = [agg for agg in aggregates if agg.key.server in renamed.values()]
    return compare_all(Baseline("", dict(DEFAULT_THRESHOLDS), Environment(), entries), candidates)


MAX_NOTES = 20


def compare_all(baseline: Baseline, aggregates: list[Aggregate]) -> tuple[list[EntryComparison], list[str]]:
    """Comparisons for every (scenario, server, level) on both sides; and what is only on one."""
    entries = {entry.key: entry for entry in baseline.entries}
    compared, unmatched = [], []
    for agg in aggregates:
        entry = entries.pop(agg.key, None)
        if entry is None:
            unmatched.append(f"{agg.key.label}: not in the baseline")
            continue
        if not agg.runs:
            unmatched.append(f"{agg.key.label}: no successful run to compare")
            continue
        comparisons = []
        for metric, threshold in baseline.thresholds.items():
            before = entry.samples.get(metric, [])
            after = list(agg.metrics[metric].samples) if metric in agg.metrics else []
            if before and after:
                comparisons.append(compare(metric, before, after, float(threshold)))
        compared.append(EntryComparison(agg.key, comparisons))
    left = [f"{key.label}: in the baseline, not run now" for key in entries]
    if len(left) > MAX_NOTES:  # a baseline of many entries must not make a report of as many lines
        left = [*left[:MAX_NOTES], f"and {len(left) - MAX_NOTES:,} more entries of the baseline not run now"]
    return compared, unmatched + left
