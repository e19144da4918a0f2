"""A measured run -> the same run with what it should have achieved and its
flags (pure): the model's expectation beside the measurement, and the reasons
its numbers cannot be taken at face value."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

from perfsuite.judge.events import attributed_failures, event_flags, judged
from perfsuite.judge.expectation import TOLERANCE, Expectation, Load, expect, measured_station, service_of
from perfsuite.judge.flags import open_flags, run_flags, stream_flags, websocket_flags
from perfsuite.judge.sizing import sizing_arrival, target_seconds
from perfsuite.judge.streammodel import StreamExpectation, expect_streams
from perfsuite.plan.concurrency import NoModel
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.runs import RunPlan, senders_of
from perfsuite.plan.servers import Slots, kind_of, slots, workers_as_events_leave
from perfsuite.record.results import EventResult, ModelResult, ProbeResult, RunResult

WAVE_SLACK = 0.05  # beside one wave: how far the model itself may be off
SAMPLING_SIGMAS = 3.0  # a rate this many standard errors of the mix's draw from the model is a mismatch


def model_tolerance(mode: str, wave: float, requests: float, service_cv: float) -> float:
    """How far a run's rate may stray from the model before it is a mismatch: TOLERANCE, or what its
    window cannot resolve. A count of requests resolves throughput no finer than one wave: closed-loop
    users that start together with deterministic waits complete in waves of min(users, slots), so a
    short window can hold one wave more or less than the steady rate gives (open: one request), and the
    model may be WAVE_SLACK off beside it (gevent's three gathered 200 ms calls took 205 ms: 4 waves of 6
    in a quick run's 1.02 s where 5 were due, 0.79 of the model against one wave's 0.80). And a
    closed loop's rate is its users or slots over the mean service time of the requests its window
    happened to draw from the mix: n of them stray from the mix's mean by CV / sqrt(n), one sigma
    (all.yaml's mixed, 100 ms : 0.3 ms at 1 : 5, CV 2.2: 13% over a quick run's 1 s on 4 sync workers)."""
    tolerance = max(TOLERANCE, wave / requests + WAVE_SLACK)
    if mode == "steady":
        tolerance = max(tolerance, SAMPLING_SIGMAS * service_cv / math.sqrt(requests))
    return tolerance


def client_cores(plan: RunPlan) -> int:
    """Cores Locust's processes can use here: one per process (gevent: one thread),
    no more than its pinned cores."""
    processes = senders_of(plan.loadgen, plan.cpu)
    if plan.loadgen is not None and plan.loadgen.workers is not None:  # elsewhere: their own cores
        return max(1, processes)
    pinned = len(plan.cpu.get("loadgen") or [])
    return max(1, min(processes, pinned) if pinned else processes)


def route_slots(plan: RunPlan) -> Slots:
    """The slots a held stream or WebSocket takes on this config (NoModel where unknown)."""
    spec = plan.scenario.stream or plan.scenario.websocket
    return slots(plan.server, plan.app, [spec.path] if spec else [], plan.server_cores)


def held_slots(plan: RunPlan) -> float:
    """The streams a config holds at once by the model (inf: unbounded, or not known)."""
    try:
        return route_slots(plan).count
    except NoModel:
        return math.inf


def held_model(config_slots: Slots, wanted: int, expected_held: float, measured_held: int, **more: Any) -> ModelResult:
    """A held-connection model's result: judged by the connections held at once."""
    ratio = measured_held / expected_held if expected_held else None
    return ModelResult(
        applies=True,
        slots=None if math.isinf(config_slots.count) else int(config_slots.count),
        slots_source=config_slots.source,
        bound="slots" if expected_held < wanted else "users",
        expected_held=expected_held,
        ratio=None if ratio is None else round(ratio, 4),
        tolerance=TOLERANCE,
        **more,
    )


def stream_model(plan: RunPlan, run: RunResult) -> ModelResult:
    """Held streams as slots held for a stream's length (perfsuite.judge.streammodel)."""
    measured = run.stream
    if measured is None:
        return ModelResult(applies=False, why_not="no stream measured")
    length = measured.length_ms.p50
    if not length:
        return ModelResult(
            applies=False, why_not="no stream completed in the window: its length is unknown (lengthen the window)"
        )
    try:
        config_slots = route_slots(plan)
    except NoModel as why:
        return ModelResult(applies=False, why_not=str(why))
    expected = expect_streams(
        plan.connections, config_slots.count, length / 1000, plan.spawn_rate, plan.warmup_s, plan.duration_s
    )
    return held_model(
        config_slots,
        plan.connections,
        expected.held,
        measured.held,
        expected_ttfb_ms=expected.ttfb_ms,
        expected_chunks_per_s=chunk_rate(expected, length, measured.gap_ms.p50),
        stream_length_ms=length,
    )


def chunk_rate(expected: StreamExpectation, length_ms: float, gap_ms: float | None) -> float | None:
    """Events a second over every stream: each held stream sends its events but the first over its
    length, and each stream that begins sends its first; a stream's events from its length over its
    usual gap (the run's median gap)."""
    if not gap_ms or length_ms <= 0:
        return None
    events = 1 + round(length_ms / gap_ms)
    return round(expected.held_mean * (events - 1) / (length_ms / 1000) + expected.streams_per_s, 3)


def websocket_model(plan: RunPlan, run: RunResult) -> ModelResult:
    """Open connections hold a slot each for as long as they are open: all of them, where the slots allow."""
    measured = run.websocket
    if measured is None:
        return ModelResult(applies=False, why_not="no WebSocket measured")
    try:
        config_slots = route_slots(plan)
    except NoModel as why:
        return ModelResult(applies=False, why_not=str(why))
    wanted = plan.users  # echo connections, or subscribers and the publisher
    return held_model(config_slots, wanted, float(min(wanted, config_slots.count)), measured.held)


def model_of(plan: RunPlan, run: RunResult) -> ModelResult:
    if plan.mode == "stream":
        return stream_model(plan, run)
    if plan.mode == "websocket":
        return websocket_model(plan, run)
    if plan.mode == "burst":
        return ModelResult(applies=False, why_not="burst runs are compared in the classic table instead")
    if plan.scenario.mix is None:
        return ModelResult(applies=False, why_not="custom locustfile: its requests are not known")
    try:
        expectation = _expectation(plan, run, plan.server)
        expected_rps: float | None = expectation.expected_rps
        if run.events and any(event.do == "scale" for event in run.events):
            expected_rps = _over_segments(plan, run, expectation.expected_rps)
    except NoModel as why:
        return ModelResult(applies=False, why_not=str(why))
    measured = run.open.achieved_rps if run.open is not None else run.rps
    ratio = measured / expected_rps if expected_rps else None
    wave = 1.0 if plan.mode == "open" else min(plan.users, expectation.slots)  # open: one request
    requests = max((expected_rps or 0) * run.elapsed_s, 1e-9)
    tolerance = model_tolerance(plan.mode, wave, requests, expectation.service_cv)
    return ModelResult(
        applies=True,
        **{**expectation.as_dict(), "expected_rps": expected_rps},
        measured_rps=measured,
        measured_latency_ms=run.latency_ms.avg,
        ratio=None if ratio is None else round(ratio, 4),
        tolerance=round(tolerance, 4),
    )


def _expectation(plan: RunPlan, run: RunResult, server: ServerConfig) -> Expectation:
    """The model's expectation of `run` on the config `server` (NoModel where there is none)."""
    assert plan.scenario.mix is not None
    entries = {entry.name: entry for entry in plan.scenario.mix}
    sent = {name: ep.requests for name, ep in run.endpoints.items() if name in entries}
    resources, loadgen = run.server_resources, run.loadgen_resources
    delay = plan.upstream.delay_ms if plan.upstream else None
    cores = plan.server_cores
    cpu = resources.per_request_s(run.requests) if resources else None
    config_slots = slots(server, plan.app, [entries[name].path for name in sent], cores)
    services = {name: (service_of(entries[name], plan.app, run.probe, delay), n) for name, n in sent.items()}
    load = Load(rate=plan.rate, arrival=plan.scenario.arrival or "constant") if plan.mode == "open" else None
    target = plan.scenario.target
    objective = (target_seconds(target), sizing_arrival(plan.mode, plan.scenario.arrival)) if target else None
    inner = None
    if config_slots.measured:
        if server.workers != plan.server.workers:  # a scale event's segment
            raise NoModel(f"its rate was measured with {plan.server.workers} workers, not {server.workers}")
        points = [point for point in (run.probe.inner if run.probe is not None else None) or [] if point.usable()]
        inner = measured_station([(point.inside, point.rps) for point in points])
        if inner is None:
            raise NoModel(f"{config_slots.source}: not measured (results before schema 9, or no answer inside)")
        top = max(point.inside for point in points)
        if not math.isinf(config_slots.count):  # no more inside than its slots: the rate there holds beyond
            inner = inner[: max(1, int(config_slots.count))]
        config_slots = replace(
            config_slots, source=f"{config_slots.source}: up to {top} inside, {max(inner):.0f} req/s at most"
        )
    return expect(
        server,
        config_slots,
        services,
        load or Load(users=plan.users, held=held_connections(plan, run)),
        cpu,
        cores,
        client_s_per_request=loadgen.per_request_s(run.requests) if loadgen else None,
        client_cores=client_cores(plan),
        objective=objective,
        inner=inner,
    )


def workers_after_each(plan: RunPlan, events: list[EventResult]) -> list[int]:
    """The declared workers, as each event (in order) leaves them (perfsuite.plan.servers)."""
    return [max(1, count) for count in workers_as_events_leave(plan.server, [(e.do, e.workers) for e in events])]


def _rate_with(plan: RunPlan, run: RunResult, workers: int, known: dict[int, float | None]) -> float | None:
    if workers not in known:
        try:
            known[workers] = _expectation(plan, run, plan.server.model_copy(update={"workers": workers})).expected_rps
        except NoModel:
            known[workers] = None
    return known[workers]


def _over_segments(plan: RunPlan, run: RunResult, base: float) -> float | None:
    """The window's expected rate as its workers change: each segment between events at its own count."""
    events = run.events or []
    known: dict[int, float | None] = {plan.server.workers: base}
    bounds = [0.0, *(event.at_s for event in events), run.elapsed_s]
    counts = [plan.server.workers, *workers_after_each(plan, events)]
    total = 0.0
    for (start, end), workers in zip(itertools.pairwise(bounds), counts, strict=True):
        rate = _rate_with(plan, run, workers, known)
        if rate is None:
            return None
        total += rate * max(0.0, end - start)
    return total / run.elapsed_s if run.elapsed_s else None


def judge_events(plan: RunPlan, run: RunResult) -> list[EventResult] | None:
    """Each event with the model's rate before and after it (steady and open) and held to its objectives."""
    if run.events is None:
        return None
    known: dict[int, float | None] = {}
    counts = [plan.server.workers, *workers_after_each(plan, run.events)]
    found = []
    for index, event in enumerate(run.events):
        model: dict[str, float | None] = {}
        if plan.scenario.mix is not None:
            before, after = (_rate_with(plan, run, counts[i], known) for i in (index, index + 1))
            model = {
                "model_rps_before": None if before is None else round(before, 3),
                "model_rps_after": None if after is None else round(after, 3),
            }
        event = event.model_copy(update=model)
        found.append(judged(event, plan.scenario.max_failed_per_event, plan.scenario.recover_within))
    return found


def held_connections(plan: RunPlan, run: RunResult) -> tuple[float, ...]:
    """Each worker's client connections, measured, where the config keeps a connection with its worker."""
    if run.queue is None or not kind_of(plan.server).pins_connections(plan.server):
        return ()
    return tuple(run.queue.connections)


def predicted_capacity(plan: RunPlan, probe: ProbeResult | None = None) -> float | None:
    """Before a run: the rate the config should take, from slots and service
    times alone (the CPU is not known yet), weighting entries as declared."""
    entries = plan.scenario.mix or []
    delay = plan.upstream.delay_ms if plan.upstream else None
    try:
        weights = {e.name: e.weight if e.weight is not None else 1 for e in entries}
        services = [(service_of(e, plan.app, probe, delay), weights[e.name]) for e in entries if weights[e.name]]
        config_slots = slots(plan.server, plan.app, [e.path for e in entries], plan.server_cores)
    except NoModel:
        return None
    total = sum(weight for _, weight in services)
    mean = sum(service.seconds * weight for service, weight in services) / total if total else 0.0
    if mean <= 0 or math.isinf(config_slots.count):
        return None
    return config_slots.count / mean


def assess(plan: RunPlan, run: RunResult) -> RunResult:
    """The run with `model` and `flags` filled in (a failed run is left as it is)."""
    if not run.ok:
        return run
    model = model_of(plan, run)
    events = judge_events(plan, run)
    flags = run_flags(
        requests=run.requests,
        failures=max(0, run.failures - attributed_failures(events)),  # an event's are judged as its own
        loadgen=run.loadgen_resources,
        upstream=run.upstream.stats if run.upstream else None,
        server=run.server_resources,
        server_cores=plan.server_cores,
        model=model if plan.mode in ("steady", "open") else None,  # held connections: judged by held_flags
        allowed_errors=plan.allowed_errors,
        request_errors=run.request_errors,
    )
    senders = senders_of(plan.loadgen, plan.cpu)
    more = open_flags(run.open, senders) + stream_flags(run.stream, model) + websocket_flags(run.websocket, model)
    if events:  # the window's throughput holds each event's dip: the events are judged on their own
        flags = [flag for flag in flags if flag.kind != "model_mismatch"]
    more += event_flags(events or [])
    return run.model_copy(update={"model": model, "flags": flags + more, "events": events})
