"""Resource summaries from samples (pure), and sampling a real process tree."""

from __future__ import annotations

import pytest

from perfsuite.record.results import Resources
from perfsuite.run.resources import Sample, summarize


def rows(t: float, cpus: dict[int, float], kind_of: dict[int, str]) -> list[Sample]:
    return [Sample(t, "server", pid, kind_of[pid], cpu, 100.0, 20.0 + pid, 30.0) for pid, cpu in cpus.items()]


def test_summary_of_a_master_and_two_workers() -> None:
    kinds = {1: "main", 2: "worker", 3: "worker"}
    samples = [
        *rows(0.0, {1: 1.0, 2: 5.0, 3: 5.0}, kinds),  # before the window
        *rows(10.0, {1: 1.0, 2: 5.0, 3: 5.0}, kinds),
        *rows(11.0, {1: 1.0, 2: 5.5, 3: 5.5}, kinds),  # 1 s of CPU in 1 s: 100%
        *rows(12.0, {1: 1.0, 2: 5.75, 3: 5.75}, kinds),  # 0.5 s: 50%
    ]
    summary = summarize(samples, "server", 10.0, 12.0, requests=500)
    assert summary is not None
    assert summary.cpu_seconds == pytest.approx(1.5)
    assert summary.cpu_percent.model_dump() == {"mean": 75.0, "peak": 100.0}
    assert summary.cpu_seconds_per_1k_requests == pytest.approx(3.0)
    assert summary.workers == 2 and summary.processes == 3
    assert summary.memory_per_worker_mb.uss == pytest.approx(22.5)  # workers only: (22 + 23) / 2
    assert summary.uss_mb.peak_total == pytest.approx(21 + 22 + 23)
    assert summary.rss_mb.peak_total == pytest.approx(300)
    assert summary.share_above_90_percent == 0.5
    assert summarize(samples, "loadgen", 0, 1, 1) is None


def test_a_window_shorter_than_the_interval_is_bracketed() -> None:
    kinds = {1: "main"}
    samples = [*rows(0.0, {1: 1.0}, kinds), *rows(1.0, {1: 1.0}, kinds), *rows(1.25, {1: 1.1}, kinds),
               *rows(1.5, {1: 1.2}, kinds), *rows(5.0, {1: 9.0}, kinds)]  # fmt: skip
    # A 0.1 s burst between samples: the samples at 1.0 and 1.25 bracket it.
    summary = summarize(samples, "server", 1.1, 1.2, requests=10)
    assert summary is not None and summary.cpu_seconds == pytest.approx(0.1)
    assert summary.cpu_percent.mean == pytest.approx(40.0)
    assert summary.cpu_seconds_per_1k_requests == pytest.approx(10.0)


def test_saturation_needs_half_the_window() -> None:
    assert Resources(share_above_90_percent=0.5).saturated
    assert not Resources(share_above_90_percent=0.3).saturated
    assert not Resources().saturated


def test_multiprocessing_helpers_are_not_workers() -> None:
    from perfsuite.run.resources import kind_of

    assert kind_of(["python", "-B", "-c", "from multiprocessing.resource_tracker import main;main(4)"]) == "helper"
    assert kind_of(["python", "-c", "from multiprocessing.spawn import spawn_main; spawn_main()"]) == "worker"
    assert kind_of(["gunicorn: worker [app]"]) == "worker"
