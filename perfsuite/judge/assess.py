"""A measured run -> the same run with what it should have achieved and its
flags (pure): the model's expectation beside the measurement, and the reasons
its numbers cannot be taken at face value."""

from __future__ import annotations

import os

from perfsuite.judge.expectation import TOLERANCE, NoModel, expect
from perfsuite.judge.flags import open_flags, run_flags
from perfsuite.record.results import ModelResult, RunResult
from perfsuite.spec.plan import RunPlan


def server_cores(plan: RunPlan) -> int:
    return len(plan.cpu["server"] or []) or (os.cpu_count() or 1)


def model_of(plan: RunPlan, run: RunResult) -> ModelResult:
    if plan.mode == "burst":
        return ModelResult(applies=False, why_not="burst runs are compared in the classic table instead")
    if plan.mode == "open":
        return ModelResult(applies=False, why_not="open runs: the model's open-load form is not built yet")
    if plan.scenario.mix is None:
        return ModelResult(applies=False, why_not="custom locustfile: its requests are not known")
    paths = {entry.name: entry.path for entry in plan.scenario.mix}
    sent = {name: (paths[name], ep.requests) for name, ep in run.endpoints.items() if name in paths}
    server, loadgen = run.server_resources, run.loadgen_resources
    try:
        expectation = expect(
            plan.server,
            sent,
            plan.users,
            plan.upstream.delay_ms if plan.upstream else None,
            server.per_request_s(run.requests) if server else None,
            server_cores(plan),
            client_s_per_request=loadgen.per_request_s(run.requests) if loadgen else None,
        )
    except NoModel as why:
        return ModelResult(applies=False, why_not=str(why))
    ratio = run.rps / expectation.expected_rps if expectation.expected_rps else None
    # A count of requests in a window resolves throughput no finer than one
    # wave: closed-loop users that start together with deterministic waits
    # complete in waves of min(users, slots), so a short window can hold one
    # wave more or less than the steady rate gives.
    wave = min(plan.users, expectation.slots)
    tolerance = max(TOLERANCE, wave / max(expectation.expected_rps * run.elapsed_s, 1e-9))
    return ModelResult(
        applies=True,
        **expectation.as_dict(),
        measured_rps=run.rps,
        measured_latency_ms=run.latency_ms.avg,
        ratio=None if ratio is None else round(ratio, 4),
        tolerance=round(tolerance, 4),
    )


def assess(plan: RunPlan, run: RunResult) -> RunResult:
    """The run with `model` and `flags` filled in (a failed run is left as it is)."""
    if not run.ok:
        return run
    model = model_of(plan, run)
    flags = run_flags(
        requests=run.requests,
        failures=run.failures,
        loadgen=run.loadgen_resources,
        upstream=run.upstream.stats if run.upstream else None,
        server=run.server_resources,
        server_cores=server_cores(plan),
        model=model,
        allowed_errors=plan.allowed_errors,
        request_errors=run.request_errors,
    )
    return run.model_copy(update={"model": model, "flags": flags + open_flags(run.open)})
