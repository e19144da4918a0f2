"""The verdict (pure) and checks.json: exit codes, keys, schema-1 checks read."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfsuite.judge.aggregate import aggregate
from perfsuite.judge.baseline import EntryComparison
from perfsuite.judge.compare import compare
from perfsuite.judge.slo import evaluate
from perfsuite.judge.verdict import (
    EXIT_FAILED,
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    FailedRequests,
    Verdict,
    VerdictError,
    judge,
    read,
    write,
)
from perfsuite.plan.format import Slo
from perfsuite.plan.key import GroupKey, Level, RunKey
from perfsuite.record.results import CapacityResult, CapacityStep, Flag, RunResult, SuiteResults, read_results

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_run"


def test_exit_codes_in_order_of_gravity() -> None:
    key = GroupKey("s", "x", Level(users=1))
    assert Verdict().exit_code == EXIT_OK
    assert Verdict(inconclusive=["noisy"]).exit_code == EXIT_INCONCLUSIVE
    worse = compare("rps", [100.0], [50.0], 0.1)
    assert Verdict(inconclusive=["noisy"], baseline=[EntryComparison(key, [worse])]).exit_code == EXIT_FAILED
    better = compare("rps", [100.0], [150.0], 0.1)
    assert Verdict(baseline=[EntryComparison(key, [better])]).exit_code == EXIT_OK
    assert Verdict(failed_runs=[RunKey("s", "x", Level(users=1), 1)]).exit_code == EXIT_FAILED
    failed = FailedRequests(RunKey("s", "x", Level(users=1), 1), "3 of 3 requests failed")
    assert Verdict(inconclusive=["noisy"], failed_requests=[failed]).exit_code == EXIT_FAILED


def test_failed_requests_come_from_the_errors_flag_and_round_trip(tmp_path: Path) -> None:
    results = read_results(FIXTURE)
    flagged = results.runs[3].model_copy(update={"flags": [Flag(kind="errors", message="9 of 9 requests failed")]})
    results.runs[3] = flagged
    verdict = judge(results, aggregate(results.runs), [])
    assert verdict.failed_requests == [FailedRequests(flagged.key, "9 of 9 requests failed")]
    assert verdict.exit_code == EXIT_FAILED
    write(tmp_path, verdict)
    assert read(tmp_path) == verdict


def search_step(rate: float, ok: bool = True, flags: tuple[str, ...] = ()) -> RunResult:
    return RunResult(
        index=int(rate), scenario="cap", server="x", mode="open", order=None, users=1, rate=rate, repeat=1,
        status="ok" if ok else "error", error=None if ok else "server exited", requests=10, search=True,
        flags=[Flag(kind=kind, message=kind) for kind in flags],
    )  # fmt: skip


def test_a_searchs_steps_answer_to_its_objective_but_its_failures_still_count(tmp_path: Path) -> None:
    steps = [search_step(5.0), search_step(10.0, flags=("loadgen_behind", "errors", "model_mismatch"))]
    found = CapacityResult(scenario="cap", server="x", rps=5.0, criterion="p99_ms < 400",
                           steps=[CapacityStep(rate=5.0, ok=True), CapacityStep(rate=10.0, ok=False)])  # fmt: skip
    results = SuiteResults(suite="s", runs=steps, capacity=[found])
    assert judge(results, aggregate(results.runs), []).exit_code == EXIT_OK  # overload past capacity is the point
    cut_short = SuiteResults(suite="s", runs=steps)  # interrupted: no capacity yet, the steps still are steps
    assert judge(cut_short, aggregate(cut_short.runs), []).exit_code == EXIT_OK
    crashed = SuiteResults(suite="s", runs=[search_step(5.0, ok=False)], capacity=[found])
    assert judge(crashed, aggregate(crashed.runs), []).failed_runs == [crashed.runs[0].key]
    nothing = CapacityResult(scenario="cap", server="x", rps=None, criterion="p99_ms < 400",
                             steps=[CapacityStep(rate=5.0, ok=False, why="errors")])  # fmt: skip
    verdict = judge(SuiteResults(suite="s", runs=steps, capacity=[nothing]), aggregate(steps), [])
    assert verdict.exit_code == EXIT_FAILED
    assert verdict.capacity_unmet == ["cap / x: no rate met the capacity criterion (p99_ms < 400); at 5 req/s: errors"]
    write(tmp_path, verdict)
    assert read(tmp_path) == verdict


def test_judging_the_fixture(tmp_path: Path) -> None:
    results = read_results(FIXTURE)
    aggregates = aggregate(results.runs)
    slo = Slo.model_validate({"p95_ms": "< 500"})
    verdict = judge(results, aggregates, evaluate(aggregates, {"io-concurrent": slo}))
    assert verdict.failed_runs == [RunKey("io-concurrent", "broken", Level(users=4), 1)]
    assert [c.key.server for c in verdict.slo_failures] == ["uvicorn-pool-1", "broken"]
    assert verdict.inconclusive == ["io-concurrent / uvicorn-pool-1 / 4 users: model mismatch"]
    write(tmp_path, verdict)
    again = read(tmp_path)
    assert again == verdict and again is not None and again.exit_code == EXIT_FAILED


def test_a_schema_1_checks_file_reads() -> None:
    verdict = read(FIXTURE)  # written by schema 1: levels as display text, failed runs as strings
    assert verdict is not None
    assert verdict.failed_runs == [RunKey("io-concurrent", "broken", Level(users=4), 1)]
    assert verdict.slo[0].key == GroupKey("io-concurrent", "gunicorn-sync-1", Level(users=4))
    assert verdict.regressions and verdict.regressions[0][0].key.server == "uvicorn-1"
    assert verdict.exit_code == EXIT_FAILED


@pytest.mark.parametrize("text", ['{"slo": [{"scenario": "s"}]}', "[]", "{", '{"failed_runs": [5]}', "9" * 5000])
def test_a_missing_checks_file_is_no_verdict_and_a_malformed_one_an_error(tmp_path: Path, text: str) -> None:
    assert read(tmp_path) is None
    (tmp_path / "checks.json").write_text(text)
    with pytest.raises(VerdictError, match="checks.json"):
        read(tmp_path)


def test_a_generator_limit_the_scenario_expects_is_a_finding_not_a_doubt(tmp_path: Path) -> None:
    results = read_results(FIXTURE)
    saturated = Flag(kind="loadgen_saturated", message="Locust at 97%")
    behind = Flag(kind="loadgen_behind", message="behind")

    def flagged(*flags: Flag) -> SuiteResults:
        runs = [r.model_copy(update={"flags": list(flags)}) if r.server == "uvicorn-1" else r for r in results.runs]
        return results.model_copy(update={"runs": runs})

    both = flagged(saturated, behind)
    verdict = judge(both, aggregate(both.runs), [], generator_limited=frozenset({"cpu"}))
    assert sorted(verdict.known_limits) == ["cpu / uvicorn-1 / 4 users: load generator behind its schedule",
                                            "cpu / uvicorn-1 / 4 users: load generator saturated"]  # fmt: skip
    assert "io-concurrent / uvicorn-1 / 4 users: load generator saturated" in verdict.inconclusive  # not expected there
    lagging = flagged(behind)  # behind with CPU to spare: the server may be the cause, so it stays a doubt
    verdict = judge(lagging, aggregate(lagging.runs), [], generator_limited=frozenset({"cpu"}))
    assert verdict.known_limits == [] and "cpu / uvicorn-1 / 4 users: load generator behind its schedule" in (
        verdict.inconclusive
    )
    write(tmp_path, verdict)
    assert read(tmp_path) == verdict
