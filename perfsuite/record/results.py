"""results.json: the versioned record of a suite, rewritten atomically after
every run so an interrupted suite keeps each finished run.

Every section is typed; nothing in a run is a free-form dict. Schema 2 adds
and types what schema 1 held without renaming what scripts read (runs[].
scenario, server, status, error, requests, failures, rps, elapsed_s,
latency_ms, model.applies, model.expected_rps, flags[].kind,
server_resources). It adds `level` (the run's level as a token, see
perfsuite.plan.key) and `child_env` (what the suite set in each child's
environment). Schema 3 buckets each endpoint's `histogram` to 3 significant
figures of a millisecond ("0.412": count) where schemas 1 and 2 held whole
milliseconds below 100 ms, so percentiles resolve below a millisecond; the
shape is the same. Schema 4 adds what the model learns and what capacity
searches find: a run's `probe` (each mix entry's service time measured on
that server), the model's sources (`service_source`, `slots_source`) and
open-load terms, and a top-level `capacity` list. Schema 5 adds
`open.behind_s` (how long the generator ran behind its schedule). Schema 6
adds the sizing answer: a top-level `sizing` list (a scenario's `target:`),
the model's `objective_rps`, `cores` and `waiting`, and a run's `queue` (what
waited in the kernel). A reader takes schemas 1 to 6
and refuses any other.
"""

from __future__ import annotations

import json
import math
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    computed_field,
    field_validator,
    model_serializer,
    model_validator,
)

from perfsuite.io.files import read_text, write_file
from perfsuite.plan.key import Level, RunKey

SCHEMA_VERSION = 9
READABLE_VERSIONS = (1, 2, 3, 4, 5, 6, 7, 8, 9)
RESULTS_FILE = "results.json"
RUNS_FOLDER = "runs"  # each run's files, in DIR/runs/<its folder>/
SATURATED_SHARE = 0.5  # of the window's samples, above 90% of the role's cores
INNER_FAILED_SHARE = 0.02  # a probe count with more of its requests failed ends the ladder, unused


READING = {"reading": True}  # the validation context of a file read back: its figures are checked


def _sound(value: Any, where: str) -> None:
    """Every figure of a record counts or measures something: finite, and never below zero."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float) and not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{where} is {value!r}: a count or a measurement is a finite number of zero or more")
    if isinstance(value, dict):
        for key, item in value.items():
            _sound(item, f"{where}.{key}")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _sound(item, f"{where}.{index}")


class _Record(BaseModel):
    # Unknown keys are dropped on read, so a newer minor addition never breaks an older reader.
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="after")
    def _figures_sound(self, info: ValidationInfo) -> Any:
        """Read back (results.json given to report or --resume), a record with a figure that is NaN,
        infinite or negative was tampered with: refused. A record being made is not held to it: a clock
        that steps back mid-run must not cost a measured run."""
        if not (info.context or {}).get("reading"):
            return self
        for name in type(self).model_fields:
            value = getattr(self, name)
            if not isinstance(value, BaseModel):
                _sound(value, name)
        return self


def _buckets(histogram: dict[str, int]) -> dict[str, int]:
    """A histogram's keys are milliseconds: finite numbers, never below zero."""
    for key in histogram:
        try:
            ms = float(key)
        except ValueError:
            raise ValueError(f"bucket {key[:40]!r} is not a number of milliseconds") from None
        if not math.isfinite(ms) or ms < 0:
            raise ValueError(f"bucket {key[:40]!r} is not a number of milliseconds")
    return histogram


Histogram = Annotated[dict[str, int], AfterValidator(_buckets)]


class Latency(_Record):
    avg: float | None = Field(None, description="mean, ms (exact: from Locust's sum)")
    min: float | None = Field(None, description="ms")
    max: float | None = Field(None, description="ms")
    p50: float | None = Field(None, description="ms, from the merged histograms")
    p95: float | None = Field(None, description="ms")
    p99: float | None = Field(None, description="ms")


class EndpointResult(_Record):
    requests: int = Field(description="answered in the window")
    failures: int = Field(description="of them, failed")
    rps: float = Field(description="requests per second of the window")
    latency_ms: Latency = Field(description="the endpoint's latencies")
    histogram: Histogram = Field(
        default_factory=dict, description="ms, to 3 significant figures (schema 3; whole ms below 100 before) -> count"
    )


class Overhead(_Record):
    """Seconds the suite spends around a run: start to first request, and teardown."""

    start_s: float | None = Field(
        None, description="from the run's turn (the previous teardown done) to its first request"
    )
    teardown_s: float | None = Field(None, description="stopping every child of the run")
    total_s: float | None = Field(None, description="start_s + teardown_s")


class MeanPeak(_Record):
    mean: float | None = Field(None, description="over the window's samples")
    peak: float | None = Field(None, description="the highest sample")


class MemoryTotals(_Record):
    peak_total: float | None = Field(None, description="MB, the tree's highest total")
    per_process: dict[str, float | None] = Field(default_factory=dict, description="pid -> MB")


class PerWorker(_Record):
    uss: float | None = Field(None, description="MB, the median worker's unique memory")
    rss: float | None = Field(None, description="MB")


class Resources(_Record):
    """CPU and memory of one role's process tree inside the measured window."""

    cpu_seconds: float | None = Field(None, description="CPU time the tree used in the window")
    cpu_percent: MeanPeak = Field(default_factory=MeanPeak, description="of one core")
    share_above_90_percent: float | None = Field(None, description="share of samples above 90% of `cores`")
    cores: int = Field(1, description="the cores the role may use (saturation is 90% of them)")
    samples: int = Field(0, description="psutil samples in the window (every 0.25 s)")
    processes: int = Field(0, description="in the tree")
    workers: int = Field(
        0, description="of them, workers (a server's; helpers such as multiprocessing's tracker left out)"
    )
    rss_mb: MemoryTotals = Field(
        default_factory=MemoryTotals, description="resident memory; double-counts pages forked workers share"
    )
    uss_mb: MemoryTotals = Field(
        default_factory=MemoryTotals, description="unique memory: what each process alone holds"
    )
    pss_mb: MemoryTotals = Field(
        default_factory=MemoryTotals, description="proportional memory: shared pages divided among their sharers"
    )
    memory_per_worker_mb: PerWorker = Field(default_factory=PerWorker, description="per worker")
    cpu_seconds_per_1k_requests: float | None = Field(None, description="CPU seconds per 1,000 requests of the window")

    @property
    def saturated(self) -> bool:
        """At or above 90% of its cores for at least half of the measured window."""
        share = self.share_above_90_percent
        return share is not None and share >= SATURATED_SHARE

    def per_request_s(self, requests: int) -> float | None:
        return self.cpu_seconds / requests if self.cpu_seconds is not None and requests else None


class UpstreamStats(_Record):
    """The upstream's own account of the calls in the window."""

    requests: int = Field(0, description="calls the upstream answered in the window")
    requested_ms_mean: float | None = Field(None, description="the delay asked, mean")
    taken_ms_mean: float | None = Field(None, description="the delay it took, mean")
    taken_ms_max: float | None = Field(None, description="the delay it took, highest")
    ratio: float | None = Field(None, description="taken / requested")


class UpstreamResult(_Record):
    delay_ms: int = Field(description="configured delay")
    jitter_ms: int = Field(0, description="configured jitter, plus or minus")
    stats: UpstreamStats | None = Field(None, description="the upstream's own account of the window")


class LoadgenResult(_Record):
    processes: int | None = Field(None, description="Locust worker processes on this machine")
    workers: int | None = Field(None, description="Locust workers that joined from elsewhere")
    worker_requests: list[int] | None = Field(None, description="what each worker sent")


class ModelResult(_Record):
    """What the config should achieve, beside what it did (perfsuite.judge.expectation)."""

    applies: bool = Field(description="whether the model judged this run")
    why_not: str | None = Field(None, description="why it does not apply")
    slots: int | None = Field(None, description="requests held at once; null: unbounded")
    wait_s: float | None = Field(None, description="mean wait per request (not computing)")
    cpu_s: float | None = Field(None, description="the server's CPU per request, measured")
    client_s: float | None = Field(None, description="Locust's CPU per request, measured")
    service_s: float | None = Field(None, description="mean service time per request: wait plus CPU")
    expected_rps: float | None = Field(None, description="what the config should achieve")
    expected_latency_ms: float | None = Field(None, description="mean latency it should show")
    bound: Literal["users", "slots", "cpu", "rate", "loadgen", "server"] | None = Field(
        None,
        description="what limits it: users, slots, cpu, the load generator (schema 5), the offered rate, or"
        " server: the station the probe measured, near its highest rate (schema 9)",
    )
    loads: dict[str, float] | None = Field(
        None,
        description="closed loops (schema 5): each resource's share in use by the model, loadgen (Locust's"
        " cores), cpu (the server's cores), slots, and server (a measured station's highest rate, schema 9)",
    )
    service_source: str | None = Field(
        None, description="where the service time came from: path (the suite's apps), declared, probe, or a mix"
    )
    slots_source: str | None = Field(None, description="why the config holds that many requests at once")
    utilisation: float | None = Field(None, description="open runs: rate x service time / slots (or CPU share)")
    capacity_rps: float | None = Field(None, description="the highest rate the config should take")
    objective_rps: float | None = Field(
        None, description="schema 6, with a target: the highest rate at which the predicted latencies meet it"
    )
    cores: int | None = Field(None, description="schema 6: the cores its workers can use (a GIL per process)")
    waiting: float | None = Field(None, description="schema 6: requests waiting for a slot, on average")
    expected_held: float | None = Field(None, description="stream mode (schema 7): streams held at once, at most")
    expected_ttfb_ms: float | None = Field(
        None, description="stream mode (schema 7): mean time to the first event, the wait for a slot"
    )
    stream_length_ms: float | None = Field(
        None, description="stream mode (schema 7): a stream's length (first to last event, median of the run's)"
    )
    expected_chunks_per_s: float | None = Field(
        None, description="stream mode (schema 7): events a second over every stream, by the model"
    )
    measured_rps: float | None = Field(None, description="what it did")
    measured_latency_ms: float | None = Field(None, description="mean latency it showed")
    ratio: float | None = Field(None, description="measured / expected")
    tolerance: float | None = Field(
        None, description="the ratio's allowed distance from 1 (10%, or one wave of requests where coarser)"
    )

    @model_serializer(mode="wrap")
    def _known_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # As in schema 1: an expectation that does not apply is {applies, why_not}; slots stays (null:
        # unbounded), and so does expected_latency_ms (null: overloaded, the queue grows without bound).
        data = handler(self)
        kept = ("slots", "expected_latency_ms")
        return {k: v for k, v in data.items() if v is not None or (k in kept and self.applies)}


class RequestError(_Record):
    """One kind of failed request, as Locust counted it in the window."""

    method: str = Field(description="HTTP method")
    name: str = Field(description="the mix entry (Locust's name)")
    error: str = Field(description="Locust's message")
    occurrences: int = Field(description="in the window")
    status: int | None = Field(None, description="the HTTP status the error names, if any")


class Lag(_Record):
    p50: float | None = Field(None, description="ms")
    p99: float | None = Field(None, description="ms")
    max: float | None = Field(None, description="ms")


class HeldMemory(_Record):
    """What each held connection costs the server (stream and websocket modes, schema 7)."""

    kb_per_connection: float | None = Field(
        None, description="the server's memory (PSS) per held connection, from memory_samples (null: none held)"
    )
    kb_basis: Literal["slope", "share"] | None = Field(
        None,
        description="slope: of memory against connections held (20 or more held); share: the server's memory at"
        " the most held over their count (fewer held: a worker's share)",
    )
    memory_samples: list[list[float]] = Field(
        default_factory=list, description="[connections held, the server's PSS in MB] as sampled"
    )


class StreamResult(HeldMemory):
    """Stream mode (schema 7): streams held, and how their events arrived. A stream
    counts where it ended in the window: `completed`, `failed` (refused, not 200, not an
    event stream) or `cut` (ended by the server before its end); `unfinished` were still
    open when the window ended."""

    connections: int = Field(description="stream users: each holds one stream at a time")
    path: str = Field(description="the stream's path")
    interval_ms: float | None = Field(None, description="the gap declared between events (stream.interval)")
    held: int = Field(0, description="the most streams being served at once: first event received, last not yet")
    held_mean: float | None = Field(None, description="streams held, averaged over the window's seconds")
    ttfb_ms: Lag = Field(default_factory=Lag, description="from connecting to the first event")
    gap_ms: Lag = Field(default_factory=Lag, description="between consecutive events of a stream")
    ttlb_ms: Lag = Field(default_factory=Lag, description="from connecting to the last event, of completed streams")
    length_ms: Lag = Field(default_factory=Lag, description="first to last event, of completed streams")
    ttfb_mean_ms: float | None = Field(None, description="mean time to the first event")
    late_ms: Lag = Field(default_factory=Lag, description="how much longer than interval_ms each gap was")
    started: int = Field(0, description="streams opened in the window")
    completed: int = Field(0, description="ended as the app meant, in the window")
    failed: int = Field(0, description="refused, reset before an answer, not 200 or not text/event-stream")
    cut: int = Field(0, description="ended by the server before the stream's end")
    unfinished: int = Field(0, description="still open when the window ended")
    beside_sent: int = Field(0, description="requests of the mix beside the streams sent in the window")
    beside_unanswered: int = Field(
        0, description="of them, still unanswered when the window ended (its latency figures hold only the answered)"
    )
    events: int = Field(0, description="events received in the window")
    chunks_per_s: float = Field(0.0, description="events per second of the window, over every stream")
    ttfb_histogram: Histogram = Field(default_factory=dict, description="ms to the first event -> count")


class WebSocketResult(HeldMemory):
    """Websocket mode (schema 7): connections held, and their messages: echo round trips
    (`rtt_ms`) or a fan-out's deliveries (`delivery_ms`, from the send time in each message)."""

    kind: Literal["echo", "fan-out"] = Field(description="echo, or fan-out (one publisher, the rest subscribe)")
    connections: int = Field(description="echo connections, or subscribers")
    path: str = Field(description="the WebSocket route")
    rate: float = Field(description="messages per second per echo connection, or of the publisher")
    held: int = Field(0, description="the most connections open at once")
    held_mean: float | None = Field(None, description="connections open, averaged over the window")
    rtt_ms: Lag | None = Field(None, description="echo: send to its echo received")
    delivery_ms: Lag | None = Field(None, description="fan-out: publisher's send time to each subscriber's receipt")
    sent: int = Field(0, description="echo: messages sent in the window")
    published: int = Field(0, description="fan-out: messages the publisher sent in the window")
    received: int = Field(0, description="messages received in the window (echoes, or deliveries to subscribers)")
    lost: int = Field(
        0,
        description="fan-out: messages a subscriber never received (gaps in its sequence, and every message of"
        " the window for a subscriber that heard none)",
    )
    silent: int = Field(0, description="fan-out: subscribers that received nothing in the window")
    opened: int = Field(0, description="connections opened in the window")
    failed: int = Field(0, description="connections refused (handshake or socket)")
    closed: int = Field(0, description="connections the server ended")


class OpenResult(_Record):
    """Open mode: what was offered in the window and what became of it
    (`offered = completed + failed + unfinished + dropped`); the run's `latency_ms` counts
    from each request's intended start, `send_latency_ms` from its actual send."""

    rate: float = Field(description="requests per second offered")
    arrival: Literal["constant", "poisson"] = Field("constant", description="constant or poisson")
    max_in_flight: int = Field(1000, description="the generator's cap")
    offered: int = Field(0, description="requests whose intended start fell in the window")
    completed: int = Field(0, description="of them, answered as expected")
    failed: int = Field(0, description="of them, answered otherwise or not at all")
    unfinished: int = Field(0, description="in flight when the window ended")
    dropped: int = Field(
        0,
        description="never sent: due while the generator was over 100 ms behind its schedule (its CPU full;"
        " k6's dropped_iterations; schema 5)",
    )
    answered: int | None = Field(None, description="answers (ok or failed) the window received, as they came")
    achieved_rps: float = Field(0.0, description="answered per second of the window")
    send_latency_ms: Latency = Field(default_factory=Latency, description="from each request's actual send")
    schedule_lag_ms: Lag = Field(default_factory=Lag, description="the generator's lateness at each send")
    late_starts: int = Field(0, description="requests sent 1 ms or more after their intended time")
    behind_s: float | None = Field(
        None,
        description="how long the generator ran behind: requests sent more than 5 ms late, or dropped, over"
        " the rate, in seconds of the schedule (schema 5; null in older files)",
    )
    latency_rise: float | None = Field(None, description="mean latency of the window's last third over its first third")
    histogram: Histogram = Field(
        default_factory=dict, description="ms from the intended start, to 3 significant figures -> count"
    )


class QueueResult(_Record):
    """What waited for the server in the kernel inside the window (perfsuite.run.socketqueue)."""

    mean: float | None = Field(None, description="requests waiting: the accept queue plus connections unread")
    peak: int | None = Field(None, description="the highest sample")
    accept_mean: float | None = Field(None, description="of them, connections not yet accepted")
    unread_mean: float | None = Field(None, description="of them, accepted connections whose request is unread")
    samples: int = Field(0, description="samples in the window (every 0.25 s)")
    connections: list[float] = Field(
        default_factory=list,
        description="each worker's connections from clients, mean over the window, most first (2+ workers)",
    )
    unseen: str | None = Field(
        None, description="why the kernel cannot show this server's queue (it reads requests before a slot frees)"
    )


class ProbeEntry(_Record):
    service_ms: float = Field(description="median time one request took on the idle server")
    samples: int = Field(0, description="requests timed")
    spread_ms: list[float] = Field(default_factory=list, description="fastest and slowest sample")
    failures: int = Field(0, description="requests that failed")


class InnerRate(_Record):
    """The server's rate with a number of requests inside it, measured by the probe (schema 9)."""

    inside: int = Field(description="requests inside the server: that many clients sending back to back")
    rps: float = Field(description="answered per second")
    answered: int = Field(0, description="answered in the counted window")
    failed: int = Field(0, description="failed in the counted window")

    def usable(self) -> bool:
        """Answered, and no more than INNER_FAILED_SHARE of the window failed (else it ended the ladder
        and the model leaves it out)."""
        return self.answered > 0 and self.failed <= INNER_FAILED_SHARE * (self.answered + self.failed)


class ProbeResult(_Record):
    """Each mix entry's service time, measured before the load, one request at a time; where the
    model needs it, the server's rate with 1, 2, 4, ... requests inside (`inner`)."""

    entries: dict[str, ProbeEntry] = Field(default_factory=dict, description="per mix entry")
    cpu_ms_per_request: float | None = Field(None, description="the server's CPU time per probe request")
    run_index: int | None = Field(None, description="the run the probe was taken in (a config is probed once)")
    inner: list[InnerRate] | None = Field(
        None, description="schema 9: the rate at each count inside, where the model measures it (Django under ASGI)"
    )


class CapacityStep(_Record):
    rate: float = Field(description="offered, req/s (a connections search: the connections, as connections)")
    connections: int | None = Field(None, description="a connections search (schema 7): the streams held at once")
    achieved_rps: float | None = Field(None, description="answered per second")
    p99_ms: float | None = Field(None, description="from the intended start")
    error_rate: float | None = Field(None, description="failed / sent")
    ok: bool = Field(description="whether the step met the objective")
    loadgen_behind: bool = Field(False, description="the generator fell behind its schedule")
    loadgen_saturated: bool = Field(False, description="Locust's CPU at 90% or more for half the window")
    run_failed: bool = Field(False, description="the step's run failed (see its error): the search stopped")
    why: str | None = Field(None, description="what failed the objective")


class CapacityResult(_Record):
    """One config's capacity: the highest rate meeting the objective."""

    scenario: str = Field(description="the search's scenario")
    server: str = Field(description="the config searched")
    rps: float | None = Field(description="highest rate that met the criterion; null: none did (or not a rate)")
    connections: int | None = Field(
        None, description="a connections search (schema 7): the most streams held that met the criterion"
    )
    of: Literal["rate", "connections"] = Field("rate", description="what was searched: a rate, or connections")
    criterion: str = Field(description="the objective, as text")
    model_rps: float | None = Field(None, description="the model's capacity, from the step nearest the measured one")
    model_connections: float | None = Field(
        None, description="a connections search: the streams the model says the config holds at once (its slots)"
    )
    bound: Literal["server", "loadgen"] = Field(
        "server", description="what stopped the search: the server, or the load generator"
    )
    converged: bool = Field(False, description="bracketed to within 5%")
    steps: list[CapacityStep] = Field(default_factory=list, description="each rate measured, in order")


class SizingResult(_Record):
    """One config's answer to a scenario's target: how many replicas, cores and memory serve it."""

    scenario: str = Field(description="the scenario whose target this answers")
    server: str = Field(description="the config")
    target_rps: float = Field(description="the rate to serve")
    objective: str = Field(description="the latencies to hold at it, as text")
    capacity_rps: float | None = Field(None, description="one replica's rate under the objective; null: unknown")
    capacity_source: Literal["measured", "predicted"] | None = Field(
        None, description="measured by the scenario's capacity search, else predicted by the model"
    )
    predicted_rps: float | None = Field(None, description="the model's rate under the objective")
    measured_rps: float | None = Field(None, description="the capacity search's, where the scenario runs one")
    arrival: str | None = Field(None, description="the arrivals the prediction assumes (poisson for steady runs)")
    from_run: int | None = Field(None, description="the run whose measurements (CPU, memory) it takes")
    cores_per_replica: int | None = Field(None, description="the cores one replica's workers can use")
    memory_mb_per_replica: float | None = Field(None, description="PSS summed over the server's processes, MB")
    replicas: int | None = Field(None, description="replicas needed for the target rate")
    cores: int | None = Field(None, description="replicas x cores per replica")
    memory_mb: float | None = Field(None, description="replicas x memory per replica")
    cpu_busy: float | None = Field(None, description="cores busy at the target rate: rate x CPU per request")
    rps_per_core: float | None = Field(None, description="capacity / cores per replica")
    rps_per_gb: float | None = Field(None, description="capacity / memory per replica")
    rank: int | None = Field(None, description="1 = fewest cores, then least memory; null: no answer")
    why_not: str | None = Field(None, description="why there is no answer")


class Flag(_Record):
    kind: str = Field(
        description="errors, loadgen_saturated, loadgen_behind, overloaded, upstream_slow, model_mismatch,"
        " streams_cut, messages_lost or event_failed"
    )
    message: str = Field(description="what happened and the likely reason")


class EventFailed(_Record):
    """Failed requests attributed to an event: those that ended from it to the next event (or the window's end)."""

    count: int = Field(0, description="failed requests")
    statuses: dict[str, int] = Field(default_factory=dict, description="HTTP status -> count (5xx, 4xx)")
    errors: dict[str, int] = Field(
        default_factory=dict,
        description="no response, by what the client saw: connection reset, connection refused, timeout,"
        " disconnected, other -> count",
    )


class InFlight(_Record):
    """Requests in flight when the event was done, and what became of them."""

    count: int = Field(0, description="sent before the event, answered (or failed) after it")
    answered: int = Field(0, description="of them, answered as expected")
    failed: int = Field(0, description="of them, failed")


class EventResult(_Record):
    """One event done to the server under load, measured across it (schema 8)."""

    do: Literal["reload", "kill_worker", "scale"] = Field(description="what was done")
    at_s: float = Field(description="when it was done, seconds into the measured window")
    workers: int | None = Field(None, description="scale: workers added (+) or removed (-)")
    seed: int | None = Field(None, description="kill_worker: the seed of the random choice (give it to replay)")
    killed: int | None = Field(None, description="kill_worker: the worker's pid")
    note: str | None = Field(None, description="what could not be done as declared")
    failed: EventFailed = Field(default_factory=EventFailed, description="failed requests attributed to it")
    in_flight: InFlight = Field(default_factory=InFlight, description="requests in flight at the event")
    requests_before: int = Field(0, description="answered in the span before (up to SPAN_S, from the last event)")
    requests_after: int = Field(0, description="answered in the span after (up to SPAN_S, to the next event)")
    rps_before: float | None = Field(None, description="answered per second in the span before")
    rps_after: float | None = Field(None, description="answered per second in the span after")
    p50_before_ms: float | None = Field(None, description="latency of the requests answered in the span before")
    p50_after_ms: float | None = Field(None, description="latency of the requests answered in the span after")
    p99_before_ms: float | None = Field(None, description="latency of the requests answered in the span before")
    p99_after_ms: float | None = Field(None, description="latency of the requests answered in the span after")
    recovered_s: float | None = Field(
        None,
        description="seconds from the event until throughput was back within 5% of before (0: it never fell;"
        " null: not within the window)",
    )
    workers_before: list[int] = Field(default_factory=list, description="worker pids just before the event")
    workers_after: list[int] = Field(
        default_factory=list, description="worker pids once it settled (before the next event, or at the window's end)"
    )
    model_rps_before: float | None = Field(None, description="the model's throughput with the workers before")
    model_rps_after: float | None = Field(None, description="the model's throughput with the workers after")
    ok: bool | None = Field(None, description="within max_failed_per_event and recover_within (null: not judged)")
    why: str | None = Field(None, description="what broke the objective")


class TimelinePoint(_Record):
    """One second of a run with events or recycling (schema 8)."""

    t_s: float = Field(description="the second's start, from the window's start")
    rps: float = Field(description="requests answered as expected")
    failed: int = Field(description="requests failed")
    p99_ms: float | None = Field(None, description="latency of the requests that ended in it")
    workers: int | None = Field(None, description="the server's workers, at most, in that second")


class Recycling(_Record):
    """Workers restarted on purpose (max_requests) in the window, and what it cost (schema 8)."""

    count: int = Field(description="workers replaced in the window")
    at_s: list[float] = Field(default_factory=list, description="when each new worker was first seen")
    p99_near_ms: float | None = Field(None, description="requests answered within a second after a new worker")
    p99_else_ms: float | None = Field(None, description="all other requests")
    requests_near: int = Field(0, description="requests answered within a second after a new worker")


class ChildEnv(_Record):
    """A child's environment: what the suite set, and the names passed on from the caller's (an allow-list)."""

    set_by_suite: dict[str, str] = Field(default_factory=dict, description="variables the suite set, with their values")
    inherited: list[str] = Field(default_factory=list, description="names only; values stay private")


class Affinity(_Record):
    server: list[int] | None = Field(None, description="cores the server was pinned to")
    loadgen: list[int] | None = Field(None, description="cores Locust was pinned to")
    upstream: list[int] | None = Field(None, description="cores the upstream was pinned to")


class RunSettings(_Record):
    warmup_s: float | None = Field(None, description="run but left out of every statistic")
    duration_s: float | None = Field(None, description="the measured window")
    spawn_rate: float | None = Field(None, description="users started per second")


class RunResult(_Record):
    index: int = Field(description="1-based position in the suite")
    scenario: str = Field(description="its scenario")
    server: str = Field(description="its server config")
    mode: Literal["steady", "burst", "open", "stream", "websocket"] = Field(
        description="steady, burst, open, stream or websocket"
    )
    order: Literal["sequential", "concurrent"] | None = Field(description="burst: sequential or concurrent")
    users: int = Field(description="steady: users; open: sending processes; stream: connections and the mix's users")
    rate: float | None = Field(None, description="open mode: requests per second offered")
    connections: int | None = Field(
        None, description="stream mode: streams held at once; websocket: connections or subscribers (schema 7)"
    )
    repeat: int = Field(description="1-based repetition")
    status: Literal["ok", "error"] = Field(description="ok, or error (see error)")
    error: str | None = Field(None, description="why the run failed, with the tail of the log that says so")
    requests: int = Field(0, description="answered in the window")
    failures: int = Field(0, description="of them, failed")
    rps: float = Field(0.0, description="requests per second of the window")
    elapsed_s: float = Field(0.0, description="the window's length (a burst: first send to last answer)")
    latency_ms: Latency = Field(
        default_factory=Latency, description="latencies of the window (open mode: from the intended start)"
    )
    endpoints: dict[str, EndpointResult] = Field(default_factory=dict, description="per mix entry (Locust's name)")
    run_dir: str = Field("", description="the run's files, relative to the suite's folder")
    started_at: float = Field(0.0, description="the run's turn, seconds since the epoch")
    overhead: Overhead = Field(default_factory=Overhead, description="the suite's own cost around the run")
    server_kind: str = Field("", description="the server kind")
    server_argv: list[str] = Field(default_factory=list, description="the server's command line")
    server_env: dict[str, str] = Field(default_factory=dict, description="variables the suite set for the server")
    child_env: dict[str, ChildEnv] = Field(
        default_factory=dict, description="per child (server, upstream, loadgen): the environment it was given"
    )
    affinity: Affinity = Field(default_factory=Affinity, description="the cores each child was pinned to")
    settings: RunSettings = Field(default_factory=RunSettings, description="the run's warm-up, window and spawn rate")
    server_resources: Resources | None = Field(None, description="CPU and memory of the server's process tree")
    loadgen_resources: Resources | None = Field(None, description="CPU and memory of Locust's process tree")
    upstream_resources: Resources | None = Field(None, description="CPU and memory of the upstream's process tree")
    upstream: UpstreamResult | None = Field(None, description="configured delay and the upstream's own latency")
    model: ModelResult | None = Field(None, description="what the config should achieve, beside what it did")
    flags: list[Flag] = Field(default_factory=list, description="reasons not to trust the numbers")
    request_errors: list[RequestError] = Field(
        default_factory=list, description="failed requests by endpoint and error, most frequent first"
    )
    loadgen: LoadgenResult | None = Field(None, description="processes or workers, and what each worker sent")
    open: OpenResult | None = Field(None, description="open mode: offered, completed, failed, unfinished, lag")
    stream: StreamResult | None = Field(None, description="stream mode (schema 7): held, TTFB, gaps, memory")
    websocket: WebSocketResult | None = Field(
        None, description="websocket mode (schema 7): held, round trips or deliveries, lost, memory"
    )
    probe: ProbeResult | None = Field(None, description="service times measured before the load (schema 4)")
    queue: QueueResult | None = Field(None, description="schema 6: the server's queue as the kernel shows it")
    search: bool = Field(False, description="a step of a capacity search (schema 4): held to its objective only")
    events: list[EventResult] | None = Field(None, description="schema 8: each event done under load, measured")
    timeline: list[TimelinePoint] | None = Field(
        None, description="schema 8: per second, with events or recycling: throughput, failures, p99, workers"
    )
    recycling: Recycling | None = Field(None, description="schema 8: workers restarted on purpose, and the cost")

    @field_validator("run_dir")
    @classmethod
    def _inside_the_suite_folder(cls, value: str) -> str:
        """A run's folder lies inside the suite's (runs/NNN-...): a record that points
        elsewhere would have reports link, and read, outside it."""
        parts = PurePosixPath(value).parts
        if value and (value.startswith("/") or ".." in parts or any(ord(c) < 32 for c in value)):
            raise ValueError(f"{value!r} lies outside the suite's folder (a run's folder is {RUNS_FOLDER}/...)")
        return value

    @property
    def key(self) -> RunKey:
        if self.rate is not None:
            level = Level(rate=self.rate)
        elif self.connections is not None:
            level = Level(connections=self.connections)
        else:
            level = Level(order=self.order) if self.order else Level(users=self.users)
        return RunKey(self.scenario, self.server, level, self.repeat)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level(self) -> str:
        """The level as a token: users=10 or order=sequential (schema 2)."""
        return self.key.level.token

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class InterpreterRecord(_Record):
    """A server config's own interpreter (`python:`) and the server packages inside it."""

    path: str = Field(description="the interpreter")
    python: str | None = Field(None, description="its version")
    packages: dict[str, str | None] = Field(
        default_factory=dict, description="server packages inside it and their versions"
    )


class Environment(_Record):
    """The machine and package fingerprint (perfsuite.record.fingerprint)."""

    python: str | None = Field(None, description="the suite's Python")
    implementation: str | None = Field(None, description="CPython, PyPy, ...")
    os: str | None = Field(None, description="platform")
    kernel: str | None = Field(None, description="release")
    machine: str | None = Field(None, description="architecture")
    hostname: str | None = Field(None, description="the machine's name")
    cpu_model: str | None = Field(None, description="from /proc/cpuinfo")
    cpu_count: int | None = Field(None, description="logical CPUs")
    cpus_available: list[int] = Field(default_factory=list, description="CPUs the suite may use (its affinity)")
    memory_gb: float | None = Field(None, description="total")
    packages: dict[str, str | None] = Field(
        default_factory=dict, description="versions of the server packages and the suite's own"
    )
    project_commit: str | None = Field(None, description="the suite's git commit")
    project_dirty: bool | None = Field(None, description="uncommitted changes to tracked files")
    default_affinity: Affinity = Field(default_factory=Affinity, description="the default core layout")
    load_average: list[float] = Field(default_factory=list, description="1, 5, 15 minutes, at start")
    interpreters: dict[str, InterpreterRecord] = Field(
        default_factory=dict, description="per server config with python: its interpreter and packages (schema 4)"
    )


class SuiteResults(_Record):
    schema_version: int = Field(SCHEMA_VERSION, description="this file's schema (readers take 1 to the current)")
    suite: str = Field(description="the suite's name")
    source: str = Field("", description="the scenario file")
    started_at: float = Field(0.0, description="seconds since the epoch")
    finished_at: float | None = Field(None, description="seconds since the epoch; null while it runs")
    interrupted: bool = Field(False, description="stopped by a signal: finish it with --resume")
    planned_runs: int = Field(0, description="runs planned (a search counts its most steps)")
    command: list[str] = Field(default_factory=list, description="the command line")
    environment: Environment = Field(default_factory=Environment, description="machine and package fingerprint")
    runs: list[RunResult] = Field(default_factory=list, description="every run, in order")
    capacity: list[CapacityResult] = Field(default_factory=list, description="rate: auto searches (schema 4)")
    sizing: list[SizingResult] = Field(default_factory=list, description="scenarios' target: answers (schema 6)")


def json_schema() -> dict[str, Any]:
    """results.json's JSON Schema, as the suite writes it (scenarios/results.schema.json)."""
    schema = SuiteResults.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"perfsuite results.json, schema {SCHEMA_VERSION}"
    return schema


class SchemaVersionError(ValueError):
    pass


def write_results(directory: Path, results: SuiteResults) -> Path:
    """Write DIR/results.json whole (perfsuite.io.files); WriteFailed if it could not be."""
    return write_file(directory / RESULTS_FILE, json.dumps(results.model_dump(mode="json"), indent=1) + "\n")


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 held the same fields untyped and schema 2 coarser histograms of
    the same shape; the typed models read them as they are."""
    return {**data, "schema_version": SCHEMA_VERSION}


def parse_results(data: Any, where: str) -> SuiteResults:
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version not in READABLE_VERSIONS:
        raise SchemaVersionError(
            f"{where}: schema_version {version!r} is not supported "
            f"(this suite reads {', '.join(map(str, READABLE_VERSIONS))})"
        )
    assert isinstance(data, dict)
    try:
        return SuiteResults.model_validate(_upgrade(data) if version != SCHEMA_VERSION else data, context=READING)
    except ValidationError as error:
        shown = [
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors(include_url=False)[:3]
        ]
        more = f" (and {error.error_count() - 3} more)" if error.error_count() > 3 else ""
        raise ResultsError(f"{where}: not a perfsuite results file: {'; '.join(shown)}{more}") from None


class ResultsError(ValueError):
    """A results file that cannot be read; the message names it."""


def read_results(directory: Path) -> SuiteResults:
    """DIR/results.json; OSError if absent, ResultsError (a ValueError) if malformed."""
    path = directory / RESULTS_FILE
    try:
        data = json.loads(read_text(path))
    except ValueError as error:  # not JSON, not UTF-8, or an integer past Python's 4300 digits
        raise ResultsError(f"{path}: not valid JSON: {error}") from None
    return parse_results(data, str(path))
