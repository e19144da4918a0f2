"""Repetitions -> one aggregate per (scenario, server, level) (pure).

Per metric: the median over repetitions and a 95% bootstrap confidence
interval (seeded, so a rebuilt report is identical). Latency percentiles
come from the repetitions' merged Locust histograms, never from averaged
percentiles; their intervals resample repetitions and merge again. A config
whose throughput varies by more than 10% (coefficient of variation) over its
repetitions is marked noisy.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from perfsuite.judge.compare import PERCENTILE_FRACTIONS as PERCENTILES
from perfsuite.plan.key import GroupKey, Level
from perfsuite.record.histogram import percentile
from perfsuite.record.results import RunResult

NOISY_CV = 0.10
BOOTSTRAP_RESAMPLES = 2000
SEED = 20261123


@dataclass(frozen=True)
class Metric:
    value: float | None  # the median over repetitions (or from merged histograms)
    low: float | None = None  # 95% CI; None with one repetition
    high: float | None = None
    samples: tuple[float, ...] = ()  # per repetition


@dataclass(frozen=True)
class Aggregate:
    key: GroupKey
    mode: str
    runs: int  # repetitions that succeeded
    failed: int  # repetitions that errored
    metrics: dict[str, Metric] = field(default_factory=dict)  # rps, p50_ms, p95_ms, p99_ms, avg_ms, error_rate
    endpoints: dict[str, dict[str, Metric]] = field(default_factory=dict)
    cv: float | None = None
    flags: tuple[str, ...] = ()  # flag kinds seen in any repetition
    requests: tuple[int, ...] = ()  # per repetition, the requests its latency percentiles come from

    @property
    def noisy(self) -> bool:
        return self.cv is not None and self.cv > NOISY_CV

    @property
    def scenario(self) -> str:
        return self.key.scenario

    @property
    def server(self) -> str:
        return self.key.server

    @property
    def level(self) -> Level:
        return self.key.level

    def value(self, metric: str) -> float | None:
        found = self.metrics.get(metric)
        return None if found is None else found.value


def _rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


def median_metric(values: Sequence[float]) -> Metric:
    if not values:
        return Metric(None)
    samples = tuple(float(v) for v in values)
    if len(samples) == 1:
        return Metric(samples[0], samples=samples)
    data = np.asarray(samples)
    picks = _rng().integers(0, len(data), size=(BOOTSTRAP_RESAMPLES, len(data)))
    medians = np.median(data[picks], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return Metric(float(np.median(data)), float(low), float(high), samples)


def _merged(histograms: Sequence[dict[float, int]]) -> dict[float, int]:
    total: Counter[float] = Counter()
    for histogram in histograms:
        total.update(histogram)
    return dict(total)


def percentile_metric(histograms: Sequence[dict[float, int]], fraction: float) -> Metric:
    """The percentile of the merged histogram; the CI resamples whole repetitions."""
    if not histograms:
        return Metric(None)
    value = percentile(_merged(histograms), fraction)
    samples = tuple(float(p) for h in histograms if (p := percentile(h, fraction)) is not None)
    if len(histograms) == 1:
        return Metric(value, samples=samples)
    picks = _rng().integers(0, len(histograms), size=(BOOTSTRAP_RESAMPLES // 4, len(histograms)))
    resampled = [percentile(_merged([histograms[i] for i in pick]), fraction) for pick in picks]
    values = [v for v in resampled if v is not None]
    low, high = (float(x) for x in np.percentile(values, [2.5, 97.5])) if values else (None, None)
    return Metric(value, low, high, samples)


def _histogram(run: RunResult, endpoint: str | None = None) -> dict[float, int]:
    if endpoint is None and run.open is not None and run.open.histogram:
        # An open run's own: the requests offered in its window (Locust's also holds
        # warm-up arrivals answered in the window).
        return {float(k): v for k, v in run.open.histogram.items()}
    sources = [run.endpoints[endpoint]] if endpoint else list(run.endpoints.values())
    return _merged([{float(k): v for k, v in source.histogram.items()} for source in sources])


def _metrics(runs: Sequence[RunResult], endpoint: str | None = None) -> dict[str, Metric]:
    def pick(run: RunResult) -> tuple[float, int, int, float]:
        if endpoint is None:
            return run.rps, run.requests, run.failures, (run.latency_ms.avg or 0.0)
        ep = run.endpoints[endpoint]
        return ep.rps, ep.requests, ep.failures, (ep.latency_ms.avg or 0.0)

    picked = [pick(run) for run in runs]
    metrics = {
        "rps": median_metric([p[0] for p in picked]),
        "error_rate": median_metric([p[2] / p[1] if p[1] else 0.0 for p in picked]),
        "avg_ms": median_metric([p[3] for p in picked]),
    }
    histograms = [_histogram(run, endpoint) for run in runs]
    for name, fraction in PERCENTILES.items():
        metrics[name] = percentile_metric(histograms, fraction)
    return metrics


def aggregate(runs: Sequence[RunResult]) -> list[Aggregate]:
    """One aggregate per (scenario, server, level), in the order first run."""
    groups: dict[GroupKey, list[RunResult]] = {}
    for run in runs:
        groups.setdefault(run.key.group, []).append(run)
    result = []
    for key, group in groups.items():
        ok = [run for run in group if run.status == "ok"]
        metrics = _metrics(ok) if ok else {}
        rps = [run.rps for run in ok]
        cv = statistics.stdev(rps) / statistics.mean(rps) if len(rps) >= 2 and statistics.mean(rps) > 0 else None
        names = [name for name in (ok[0].endpoints if ok else {}) if all(name in run.endpoints for run in ok)]
        result.append(
            Aggregate(
                key=key,
                mode=group[0].mode,
                runs=len(ok),
                failed=len(group) - len(ok),
                metrics=metrics,
                # With one endpoint its numbers are the totals; no need to compute them twice.
                endpoints={name: _metrics(ok, name) for name in names}
                if len(names) > 1
                else dict.fromkeys(names, metrics),
                cv=None if cv is None else round(cv, 4),
                flags=tuple(sorted({flag.kind for run in ok for flag in run.flags})),
                requests=tuple(sum(_histogram(run).values()) for run in ok),
            )
        )
    return result
