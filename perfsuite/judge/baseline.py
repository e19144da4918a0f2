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
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from perfsuite.io.files import FileRefused, read_text, write_file
from perfsuite.judge.aggregate import Aggregate
from perfsuite.judge.compare import DEFAULT_THRESHOLDS, Comparison, compare
from perfsuite.plan.key import GroupKey
from perfsuite.plan.servers import SERVER_PACKAGES
from perfsuite.record.results import Environment

KIND = "perfsuite-baseline"
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
# Fingerprint fields that must match for numbers to be comparable.
MACHINE_KEYS = ("hostname", "cpu_model", "cpu_count", "memory_gb", "python", "kernel")
PACKAGES = ("locust", *SERVER_PACKAGES)


class BaselineError(ValueError):
    pass


@dataclass(frozen=True)
class BaselineEntry:
    key: GroupKey
    runs: int
    medians: dict[str, float | None]
    samples: dict[str, list[float]]
    requests: list[int] = field(default_factory=list)  # per repetition (absent before 2026-12)


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
                {**e.key.as_dict(), "runs": e.runs, "medians": e.medians, "samples": e.samples, "requests": e.requests}
                for e in self.entries
            ],
        }


def build(aggregates: list[Aggregate], environment: Environment, suite: str) -> Baseline:
    """A metric measured as 0 (a latency below the whole-ms buckets of schemas 1 and 2)
    has no ratio to compare by: it is saved without samples and with a null median,
    never as a zero that load() would refuse."""
    entries = []
    for agg in aggregates:
        if not agg.runs:
            continue
        compared = [m for m in DEFAULT_THRESHOLDS if (agg.metrics[m].value or 0) > 0]
        entries.append(
            BaselineEntry(
                key=agg.key,
                runs=agg.runs,
                medians={
                    name: metric.value if name in compared or name not in DEFAULT_THRESHOLDS else None
                    for name, metric in agg.metrics.items()
                },
                samples={name: list(agg.metrics[name].samples) for name in compared},
                requests=list(agg.requests),
            )
        )
    return Baseline(suite, dict(DEFAULT_THRESHOLDS), environment, entries)


def save(path: Path, baseline: Baseline) -> None:
    """Written whole (perfsuite.io.files); an OSError (WriteFailed) names the file if it cannot be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, json.dumps(baseline.as_dict(), indent=1) + "\n")


def _numbers(value: Any, what: str) -> list[float]:
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    ):
        raise ValueError(f"{what} must be a list of finite numbers")
    return [float(v) for v in value]


def _median(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _entry(data: Any, thresholds: dict[str, float]) -> BaselineEntry:
    """One entry, refused when a figure it would be compared by cannot be: negative
    anywhere, or zero where a ratio is taken (a metric with a threshold)."""
    if not isinstance(data, dict):
        raise ValueError("must be an object")
    samples = data.get("samples") or {}
    medians = data.get("medians") or {}
    if not isinstance(samples, dict) or not isinstance(medians, dict):
        raise ValueError("samples and medians must be objects")
    entry = BaselineEntry(
        key=GroupKey.from_dict(data),
        runs=int(data.get("runs") or 0),
        medians={str(k): _median(v, f"medians.{k}") for k, v in medians.items()},
        samples={str(k): _numbers(v, f"samples.{k}") for k, v in samples.items()},
        requests=[int(n) for n in _numbers(data.get("requests") or [], "requests")],
    )
    for metric, value in entry.medians.items():
        if value is not None and (value < 0 or (value == 0 and metric in thresholds)):
            raise ValueError(f"medians.{metric} is {value:g}: a baseline's figures must be positive{_zero(value)}")
    if entry.requests and min(entry.requests) < 0:
        raise ValueError(f"requests holds {min(entry.requests)}: a count of requests cannot be negative")
    for metric, values in entry.samples.items():
        if values and min(values) < 0:
            raise ValueError(f"samples.{metric} holds {min(values):g}: a baseline's figures must be positive")
        if values and statistics.median(values) == 0 and metric in thresholds:
            raise ValueError(f"samples.{metric} has a median of 0: a baseline's figures must be positive{_zero(0)}")
    return entry


def _zero(value: float) -> str:
    """What a zero in a baseline most likely is, and what to do about it."""
    if value != 0:
        return ""
    return (
        " (a ratio to 0 means nothing; a latency under 1 ms saved in whole milliseconds by a suite before"
        " results schema 3 reads 0: save a new baseline with --save-baseline)"
    )


def load(path: Path) -> Baseline:
    try:
        data = json.loads(read_text(path))
    except FileRefused as error:
        raise BaselineError(f"cannot read baseline {error}") from None
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
    merged = {**DEFAULT_THRESHOLDS, **thresholds}
    parsed = []
    for index, entry in enumerate(entries):
        try:
            parsed.append(_entry(entry, merged))
        except (KeyError, TypeError, ValueError) as error:
            raise BaselineError(f"{path}: entries.{index}{_named(entry)}: {error}") from None
    try:
        environment = Environment.model_validate(data.get("environment") or {})
    except ValueError as error:
        raise BaselineError(f"{path}: a malformed environment ({error})") from None
    return Baseline(str(data.get("suite", "")), merged, environment, parsed)


def _named(entry: Any) -> str:
    """' (scenario / server / level)' where an entry says so, for a message."""
    if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("scenario", "server", "level")):
        return f" ({entry['scenario']} / {entry['server']} / {entry['level']})"
    return ""


@dataclass(frozen=True)
class Coverage:
    """What a baseline and a suite's planned runs have in common, and what only one side holds."""

    compared: list[GroupKey]
    not_in_baseline: list[GroupKey]  # planned now, absent from the baseline
    not_planned: list[GroupKey]  # in the baseline (within --only), not planned now

    @property
    def partial(self) -> bool:
        return bool(self.not_in_baseline or self.not_planned)


def coverage(baseline: Baseline, planned: Iterable[GroupKey], in_scope: Callable[[GroupKey], bool]) -> Coverage:
    """`planned`: the (scenario, server, level) the suite will measure for the
    verdict; `in_scope`: whether a baseline entry was selected to run (--only)."""
    planned = list(dict.fromkeys(planned))
    held = {entry.key for entry in baseline.entries}
    return Coverage(
        compared=[key for key in planned if key in held],
        not_in_baseline=[key for key in planned if key not in held],
        not_planned=sorted(key for key in held if key not in set(planned) and in_scope(key)),
    )


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
                comparisons.append(compare(metric, before, after, float(threshold), (entry.requests, agg.requests)))
        compared.append(EntryComparison(agg.key, comparisons))
    left = [f"{key.label}: in the baseline, not run now" for key in entries]
    if len(left) > MAX_NOTES:  # a baseline of many entries must not make a report of as many lines
        left = [*left[:MAX_NOTES], f"and {len(left) - MAX_NOTES:,} more entries of the baseline not run now"]
    return compared, unmatched + left
