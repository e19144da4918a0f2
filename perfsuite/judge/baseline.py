"""Baseline files: save a suite's medians and raw repetitions; compare a new suite to one.

A baseline carries the environment fingerprint; comparing against one made on
another machine or with other package versions warns loudly (and `--strict`
refuses). Thresholds live in the file, so a team can tune them there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfsuite.judge.aggregate import Aggregate
from perfsuite.judge.compare import DEFAULT_THRESHOLDS, Comparison, compare

KIND = "perfsuite-baseline"
SCHEMA_VERSION = 1
# Fingerprint fields that must match for numbers to be comparable.
MACHINE_KEYS = ("hostname", "cpu_model", "cpu_count", "memory_gb", "python", "kernel")
PACKAGES = ("locust", "gunicorn", "uvicorn", "uvicorn-worker", "gevent", "uvloop", "httptools", "granian", "hypercorn")


class BaselineError(ValueError):
    pass


def build(aggregates: list[Aggregate], environment: dict[str, Any], suite: str) -> dict[str, Any]:
    entries = []
    for agg in aggregates:
        if not agg.runs:
            continue
        entries.append(
            {
                "scenario": agg.scenario,
                "server": agg.server,
                "level": agg.level,
                "runs": agg.runs,
                "medians": {name: metric.value for name, metric in agg.metrics.items()},
                "samples": {name: list(agg.metrics[name].samples) for name in DEFAULT_THRESHOLDS},
            }
        )
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "suite": suite,
        "thresholds": dict(DEFAULT_THRESHOLDS),
        "environment": environment,
        "entries": entries,
    }


def save(path: Path, baseline: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline, indent=1) + "\n", encoding="utf-8")


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{path}: cannot read baseline: {error.strerror or error}") from None
    except ValueError as error:
        raise BaselineError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise BaselineError(f"{path}: not a perfsuite baseline (made with --save-baseline)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise BaselineError(f"{path}: baseline schema_version {data.get('schema_version')!r} is not supported")
    thresholds = data.get("thresholds", {})
    if not isinstance(thresholds, dict) or not all(
        isinstance(v, int | float) and 0 <= v < 10 for v in thresholds.values()
    ):
        raise BaselineError(f"{path}: thresholds must map metric names to fractions such as 0.1")
    return data


def environment_differences(baseline: dict[str, Any], now: dict[str, Any]) -> list[str]:
    before = baseline.get("environment") or {}
    found = []
    for key in MACHINE_KEYS:
        if before.get(key) != now.get(key):
            found.append(f"{key}: baseline {before.get(key)!r}, now {now.get(key)!r}")
    for package in PACKAGES:
        old, new = (before.get("packages") or {}).get(package), (now.get("packages") or {}).get(package)
        if old != new:
            found.append(f"{package}: baseline {old}, now {new}")
    return found


@dataclass(frozen=True)
class EntryComparison:
    scenario: str
    server: str
    level: str
    comparisons: list[Comparison]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "server": self.server,
            "level": self.level,
            "comparisons": [c.as_dict() for c in self.comparisons],
        }


def compare_all(baseline: dict[str, Any], aggregates: list[Aggregate]) -> tuple[list[EntryComparison], list[str]]:
    """Comparisons for every (scenario, server, level) on both sides; and what is only on one."""
    thresholds = {**DEFAULT_THRESHOLDS, **baseline.get("thresholds", {})}
    entries = {(e["scenario"], e["server"], e["level"]): e for e in baseline.get("entries", [])}
    compared, unmatched = [], []
    for agg in aggregates:
        entry = entries.pop(agg.key, None)
        if entry is None:
            unmatched.append(f"{'/'.join(agg.key)}: not in the baseline")
            continue
        if not agg.runs:
            unmatched.append(f"{'/'.join(agg.key)}: no successful run to compare")
            continue
        comparisons = []
        for metric, threshold in thresholds.items():
            before = [float(v) for v in entry.get("samples", {}).get(metric, [])]
            after = list(agg.metrics[metric].samples) if metric in agg.metrics else []
            if before and after:
                comparisons.append(compare(metric, before, after, float(threshold)))
        compared.append(EntryComparison(agg.scenario, agg.server, agg.level, comparisons))
    unmatched += [f"{'/'.join(key)}: in the baseline, not run now" for key in entries]
    return compared, unmatched
