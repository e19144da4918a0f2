"""A run's phases: what is measured from Locust's output (pure), when a window
counts as over, and a sequence that overlaps runs without overlapping load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfsuite.plan.format import Suite, SuiteFile
from perfsuite.plan.runs import RunPlan, build_plan
from perfsuite.record.histogram import EndpointStats
from perfsuite.record.results import RunResult
from perfsuite.run.loadgen import TIMING_FILE, LoadOutcome
from perfsuite.run.process import LIVE
from perfsuite.run.runner import Run, RunFailed, RunSequence, measured_fields
from tests.conftest import REPO

UVICORN: dict[str, object] = {"server": "uvicorn", "app": "apps.asgi_app:app", "app_dir": str(REPO)}


def suite(tmp_path: Path, scenario: dict[str, object], servers: dict[str, object] | None = None) -> Suite:
    declared = SuiteFile.model_validate({"servers": servers or {"u": UVICORN}, "scenarios": [scenario]})
    return Suite(name="t", source=tmp_path / "t.yaml", base_dir=tmp_path, declared=declared)


def run_pair(loaded: Suite, tmp_path: Path) -> tuple[RunResult, RunResult]:
    """The suite's two plans through one sequence (the second started ahead), everything stopped after."""
    first, second = build_plan(loaded)
    sequence = RunSequence(loaded, tmp_path, "tok")
    try:
        return sequence.run(first, second), sequence.run(second)
    finally:
        sequence.close()


def plans(tmp_path: Path, **scenario: object) -> list[RunPlan]:
    return build_plan(suite(tmp_path, {"name": "s", "mix": [{"name": "fast", "path": "/fast"}], **scenario}))


def sequence_of(tmp_path: Path, **scenario: object) -> tuple[RunSequence, list[RunPlan]]:
    loaded = suite(tmp_path, {"name": "s", "mix": [{"name": "fast", "path": "/fast"}], **scenario})
    return RunSequence(loaded, tmp_path, "tok"), build_plan(loaded)


def stats(requests: int, histogram: dict[int, int]) -> EndpointStats:
    return EndpointStats(requests, 0, float(sum(k * v for k, v in histogram.items())), 1.0, 9.0, histogram)


def test_fields_from_a_window(tmp_path: Path) -> None:
    (plan,) = plans(tmp_path)
    outcome = LoadOutcome({"fast": stats(50, {1: 40, 9: 10})}, {"measure_start": 100.0, "measure_end": 102.0}, [])
    fields = measured_fields(plan, outcome)
    assert (fields["requests"], fields["rps"], fields["elapsed_s"]) == (50, 25.0, 2.0)
    assert fields["latency_ms"].p50 == 1.0 and fields["latency_ms"].p95 == 9.0
    assert fields["endpoints"]["fast"].histogram == {"1": 40, "9": 10}
    with pytest.raises(RunFailed, match="no request completed"):
        measured_fields(plan, LoadOutcome({}, {"measure_start": 1.0, "measure_end": 2.0}, []))


def test_an_incomplete_burst_fails(tmp_path: Path) -> None:
    burst = plans(tmp_path, mode="burst", mix=[{"name": "fast", "path": "/fast", "count": 3}])[0]
    timing = {"first_request_start": 1.0, "last_response_end": 1.5, "completed": 2}
    with pytest.raises(RunFailed, match="burst incomplete: 2 of 3 responses"):
        measured_fields(burst, LoadOutcome({"fast": stats(2, {1: 2})}, timing, []))


def test_the_window_is_over_once_every_local_locust_process_stopped(tmp_path: Path) -> None:
    (plan,) = plans(tmp_path, loadgen={"processes": 2})
    run = Run(plan, suite(tmp_path, {"name": "s", "mix": [{"name": "f", "path": "/"}]}), tmp_path, "tok")
    run.run_dir.mkdir(parents=True)
    assert not run._all_users_stopped()
    (run.run_dir / TIMING_FILE).write_text("{}")
    (run.run_dir / f"{TIMING_FILE}.worker-1").write_text("{}")
    assert not run._all_users_stopped()  # one worker may still have requests in flight
    (run.run_dir / f"{TIMING_FILE}.worker-2").write_text("{}")
    assert run._all_users_stopped()
    (remote,) = plans(tmp_path, loadgen={"workers": 1, "master_bind": "127.0.0.1:5557"})
    far = Run(remote, suite(tmp_path, {"name": "s", "mix": [{"name": "f", "path": "/"}]}), tmp_path / "b", "tok")
    far.run_dir.mkdir(parents=True)
    (far.run_dir / TIMING_FILE).write_text("{}")
    assert not far._all_users_stopped()  # workers elsewhere: wait for Locust's exit


def test_a_sequence_starts_the_next_run_early_but_never_overlaps_load(tmp_path: Path) -> None:
    sequence, (first, second) = sequence_of(tmp_path, users=2, warmup=0.2, duration=1.0, repeat=2)
    try:
        one = sequence.run(first, second)
        prepared = sequence.prepared
        assert one.status == "ok", one.error
        assert prepared is not None and prepared.plan is second and prepared.children  # started in one's tail
        two = sequence.run(second)
        assert two.status == "ok", two.error
        assert prepared.started < two.started_at  # its children were made before its turn came
    finally:
        sequence.close()
    timing = [json.loads((tmp_path / r.run_dir / TIMING_FILE).read_text()) for r in (one, two)]
    # The second run's first request comes after the first run's last response and its teardown.
    assert timing[0]["last_response_end"] < two.started_at <= timing[1]["first_request_start"]
    assert two.overhead.start_s is not None and two.overhead.start_s < one.overhead.start_s + 0.5
    assert not LIVE


def test_closing_a_sequence_stops_a_run_started_ahead(tmp_path: Path) -> None:
    sequence, (first, second) = sequence_of(tmp_path, users=1, warmup=0, duration=0.5, repeat=2)
    sequence.run(first, second)
    assert sequence.prepared is not None and LIVE  # its server and Locust are up, waiting at the gate
    sequence.close()
    assert sequence.prepared is None and not LIVE


def test_the_next_locust_starts_in_a_long_warm_up_and_learns_its_url_at_the_gate(tmp_path: Path) -> None:
    sequence, (first, second) = sequence_of(tmp_path, users=2, warmup=1.6, duration=0.5, repeat=2)
    try:
        one = sequence.run(first, second)
        prepared = sequence.prepared
        assert one.status == "ok" and prepared is not None and prepared.locust is not None
        timing = json.loads((tmp_path / one.run_dir / TIMING_FILE).read_text())
        # Made once the first run's load began (its first request follows the gate's opening by
        # up to a second on a busy machine), before its window began; with a placeholder host.
        assert timing["first_request_start"] - 1.5 < prepared.started < timing["measure_start"]
        assert prepared.server is not None and prepared.server.started  # started once the window ended
        assert "http://127.0.0.1:9" in prepared.locust.argv
        two = sequence.run(second)
    finally:
        sequence.close()
    assert two.status == "ok" and two.requests > 0 and two.failures == 0, two.error  # the gate gave it the URL
    assert prepared.gate is None  # both ends of the gate's pipe closed
    assert not LIVE


@pytest.mark.parametrize(
    "settings",
    [
        {"loadgen": {"processes": 2}},  # each run's Locust master on its own loopback port
        {"port": "fixed"},  # the next server waits for its turn: the port is still held
    ],
    ids=["loadgen-processes", "fixed-port"],
)
def test_back_to_back_runs_that_cannot_share_a_resource(tmp_path: Path, settings: dict[str, object]) -> None:
    from perfsuite.run.process import free_port

    server = dict(UVICORN)
    scenario: dict[str, object] = {"name": "s", "users": 2, "warmup": 1.6, "duration": 0.5, "repeat": 2}
    scenario["mix"] = [{"name": "slow", "path": "/slow?delay_ms=20"}]
    if "port" in settings:
        server["port"] = free_port()
    else:
        scenario.update(settings)
    one, two = run_pair(suite(tmp_path, scenario, {"u": server}), tmp_path)
    for run in (one, two):
        assert run.status == "ok" and run.failures == 0 and run.requests > 20, run.error
    if "loadgen" in settings:
        assert one.loadgen is not None and two.loadgen is not None
        assert len(one.loadgen.worker_requests or []) == len(two.loadgen.worker_requests or []) == 2
    assert not LIVE


def test_an_unforeseen_fault_is_that_runs_error_and_the_next_run_runs(tmp_path: Path) -> None:
    # A NUL byte in env (refused by validation today; forced in here, unvalidated)
    # fails at the child's start with a ValueError from the OS layer.
    scenario = {"name": "s", "users": 1, "warmup": 0, "duration": 0.5, "mix": [{"name": "f", "path": "/fast"}]}
    loaded = suite(tmp_path, scenario, {"bad": UVICORN, "good": UVICORN})
    bad = loaded.declared.servers["bad"].model_copy(update={"env": {"X": "a\x00b"}})
    declared = loaded.declared.model_copy(update={"servers": {**loaded.declared.servers, "bad": bad}})
    failed, fine = run_pair(Suite(loaded.name, loaded.source, loaded.base_dir, declared), tmp_path)
    assert failed.status == "error" and failed.error is not None
    assert failed.error.startswith("the suite failed at this run (ValueError: embedded null byte)")
    assert "Traceback" in (tmp_path / failed.run_dir / "suite_error.log").read_text()
    assert fine.status == "ok" and fine.requests > 0
    assert not LIVE
