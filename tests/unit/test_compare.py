"""The comparison rule on synthetic repetitions (pure)."""

from __future__ import annotations

import random

import pytest

from perfsuite.judge.compare import IMPROVEMENT, REGRESSION, UNCHANGED, WITHIN_NOISE, compare


def samples(center: float, spread: float, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [center * (1 + rng.uniform(-spread, spread)) for _ in range(n)]


def test_a_15_percent_drop_with_6_and_6_samples_is_a_regression() -> None:
    before, after = samples(1000, 0.02, 6, 1), samples(850, 0.02, 6, 2)
    result = compare("rps", before, after, 0.10)
    assert result.verdict == REGRESSION
    assert result.ratio == pytest.approx(0.85, abs=0.03)
    assert result.p_value is not None and result.p_value < 0.01
    assert "Mann-Whitney" in result.basis


def test_a_15_percent_swing_in_noise_of_the_same_size_is_not() -> None:
    # Repetitions spread by +-15%: the medians differ by 15%, the samples overlap.
    before = [1000.0, 850.0, 1150.0, 900.0, 1100.0, 1020.0]
    after = [870.0, 1000.0, 720.0, 980.0, 800.0, 830.0]
    result = compare("rps", before, after, 0.10)
    assert result.ratio == pytest.approx(0.85, abs=0.01)
    assert result.verdict == WITHIN_NOISE
    assert result.p_value is not None and result.p_value >= 0.01


def test_fewer_than_6_samples_fall_back_to_the_threshold_and_say_so() -> None:
    result = compare("rps", [1000, 1010, 990], [850, 860, 845], 0.10)
    assert result.verdict == REGRESSION and result.p_value is None
    assert result.basis == "threshold alone: fewer than 6 repetitions per side (3 vs 3)"
    assert compare("rps", [1000] * 5, [950] * 5, 0.10).verdict == UNCHANGED


def test_latency_regresses_upwards_and_improvements_are_reported() -> None:
    assert compare("p99_ms", [100] * 3, [130] * 3, 0.25).verdict == REGRESSION
    assert compare("p99_ms", [100] * 3, [120] * 3, 0.25).verdict == UNCHANGED
    assert compare("p50_ms", [100] * 3, [80] * 3, 0.10).verdict == IMPROVEMENT
    assert compare("rps", samples(1000, 0.01, 6, 3), samples(1200, 0.01, 6, 4), 0.10).verdict == IMPROVEMENT


def test_a_percentile_of_few_requests_is_not_judged_past_noise() -> None:
    # The p99 of 73 requests is their slowest: one stall moved it 25% between two runs of the same code.
    few = compare("p99_ms", [42.0, 43.0], [55.0, 56.0], 0.25, ([72, 73], [73, 73]))
    assert few.verdict == WITHIN_NOISE
    assert few.basis.startswith("too few requests to judge p99_ms: 72 in a repetition, 1,000 needed")
    enough = compare("p99_ms", [42.0, 43.0], [55.0, 56.0], 0.25, ([1200, 1300], [1000, 1100]))
    assert enough.verdict == REGRESSION
    # The median needs 20 per repetition, throughput none; unknown counts (an older baseline) judge as before.
    assert compare("p50_ms", [10.0] * 2, [14.0] * 2, 0.10, ([25], [19, 30])).verdict == WITHIN_NOISE
    assert compare("p50_ms", [10.0] * 2, [14.0] * 2, 0.10, ([20], [20])).verdict == REGRESSION
    assert compare("rps", [100.0] * 2, [70.0] * 2, 0.10, ([3], [3])).verdict == REGRESSION
    assert compare("p99_ms", [42.0, 43.0], [55.0, 56.0], 0.25, ([], [73])).verdict == WITHIN_NOISE
    assert compare("p99_ms", [42.0, 43.0], [55.0, 56.0], 0.25).verdict == REGRESSION
