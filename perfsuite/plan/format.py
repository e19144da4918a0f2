"""The scenario file's model: what users declare, validated, never mutated.

Each setting is declared once here with its type, bounds and help; the JSON
Schema shipped for editors (scenarios/schema.json) is generated from it.
Resolved runtime state (ports, argv, effective load) lives in perfsuite.plan.runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
    model_validator,
)

from perfsuite.plan.durations import parse_duration

MAX_USERS = 100_000
MAX_WORKERS = 1_024
MAX_BURST_REQUESTS = 10_000
DAY_S = 86_400.0

DURATION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h))+$|^\d+(\.\d+)?$"},
    ],
    "description": "seconds, or a duration such as 500ms, 20s, 2m, 1m30s",
}


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, int) and not isinstance(value, bool) else value


def _printable(value: str) -> str:
    """Text that becomes an argument, an environment entry, a header or a
    path: no NUL or other control character (the kernel, the server or the
    HTTP client would refuse it, or cut it short, at run time)."""
    for char in value:
        if ord(char) < 32 or ord(char) == 127:
            raise ValueError(f"contains a control character (U+{ord(char):04X}); not allowed here")
    return value


def _header_value(value: str) -> str:
    """A header value: printable (a tab allowed, as HTTP does) and Latin-1, which
    is all an HTTP/1.1 header can carry (Locust's client refuses anything else)."""
    _printable(value.replace("\t", " "))
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("holds a character outside Latin-1; an HTTP header cannot carry it") from None
    return value


Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(DURATION_SCHEMA)]
Text = Annotated[str, AfterValidator(_printable), Field(max_length=65_536)]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=256)]
HeaderName = Annotated[str, Field(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", max_length=256)]
HeaderValue = Annotated[str, AfterValidator(_header_value), Field(max_length=65_536)]
FORMULA_STARTS = ("=", "+", "-", "@")  # a CSV cell that begins so is a formula to a spreadsheet


def _not_a_formula(value: str) -> str:
    """A mix entry's name reaches Locust's CSV files as it is: none may begin as a formula does."""
    if value.startswith(FORMULA_STARTS):
        raise ValueError(
            f"begins with {value[0]!r}: Locust's CSV files carry names as they are, and a spreadsheet runs a cell"
            " that begins with =, +, - or @ as a formula; rename it"
        )
    return value


EntryName = Annotated[
    str, AfterValidator(_printable), AfterValidator(_not_a_formula), Field(min_length=1, max_length=8_200)
]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
# A request's path and query: exactly one leading / (//host/x would name another host), no space or control.
RequestPath = Annotated[str, Field(pattern=r"^/([^/\s\x00-\x1f\x7f][^\s\x00-\x1f\x7f]*)?$", max_length=8_192)]
UserCount = Annotated[int, Field(ge=1, le=MAX_USERS)]
Users = Annotated[
    list[UserCount],
    BeforeValidator(_one_or_many),
    Field(min_length=1),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_USERS},
                {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_USERS}, "minItems": 1},
            ],
            "description": "concurrent users, or a list of levels (a sweep)",
        }
    ),
]
MAX_RATE = 1_000_000.0
Rate = Annotated[float, Field(gt=0, le=MAX_RATE)]
Rates = Annotated[
    list[Rate],
    BeforeValidator(lambda v: [v] if isinstance(v, int | float) and not isinstance(v, bool) else v),
    Field(min_length=1),
]  # its JSON Schema is RateSetting's
AUTO = "auto"
RateSetting = Annotated[
    Rates | Literal["auto"],
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RATE},
                {
                    "type": "array",
                    "items": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RATE},
                    "minItems": 1,
                },
                {"const": "auto"},
            ],
            "description": "open mode: requests per second offered, a list of rates (a sweep), or auto: search for"
            " each config's capacity under `capacity:`",
        }
    ),
]
Method = Annotated[
    Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


CoreList = Annotated[list[Annotated[int, Field(ge=0, le=4_095)]], Field(min_length=1)]


class UpstreamSettings(_Model):
    """The upstream API the app calls in the I/O-wait endpoints (apps/upstream.py)."""

    delay_ms: Annotated[int, Field(ge=0, le=600_000)] = Field(1000, description="answer after this long")
    jitter_ms: Annotated[int, Field(ge=0, le=60_000)] = Field(0, description="plus or minus up to this much, uniformly")


class CpuSettings(_Model):
    """Cores per role; a role left out gets the default (server and load generator on disjoint cores)."""

    server: CoreList | None = Field(None, description="cores the server (and so its workers) runs on")
    loadgen: CoreList | None = Field(None, description="cores Locust runs on")
    upstream: CoreList | None = Field(None, description="cores the upstream runs on")


Threshold = Annotated[
    str,
    Field(
        pattern=r"^\s*(<|<=|>|>=)\s*\d+(\.\d+)?\s*$",
        description="a comparison such as '< 200' or '>= 100' (quote it in YAML)",
    ),
]


class EndpointSlo(_Model):
    """Objectives for one mix entry."""

    rps: Threshold | None = Field(None, description="median requests per second over repetitions")
    error_rate: Threshold | None = Field(None, description="failed / sent, 0..1 (median)")
    avg_ms: Threshold | None = None
    p50_ms: Threshold | None = Field(None, description="from the repetitions' merged histograms")
    p95_ms: Threshold | None = None
    p99_ms: Threshold | None = None


class Slo(EndpointSlo):
    """Service-level objectives; every violation is listed and fails the suite (exit 1)."""

    endpoints: dict[str, EndpointSlo] = Field(default_factory=dict, description="per mix entry name")


class CapacityObjective(_Model):
    """What a rate must meet to count as taken (latency from the intended start)."""

    error_rate: Threshold | None = Field(None, description="failed / sent, 0..1")
    avg_ms: Threshold | None = None
    p50_ms: Threshold | None = None
    p95_ms: Threshold | None = None
    p99_ms: Threshold | None = None
    gap_p99_ms: Threshold | None = Field(
        None, description="stream mode, connections: auto: the p99 gap between a stream's events"
    )
    ttfb_p99_ms: Threshold | None = Field(
        None, description="stream mode, connections: auto: the p99 time from connecting to the first event"
    )


class Target(_Model):
    """The load a team must serve and the latency it must serve it within: the
    sizing answer (which config, how many replicas, cores and memory)."""

    rate: Annotated[float, Field(gt=0, le=10_000_000)] = Field(description="requests per second to serve")
    avg_ms: Threshold | None = Field(None, description="mean latency to hold at that rate")
    p50_ms: Threshold | None = Field(None, description="median latency to hold at that rate")
    p95_ms: Threshold | None = Field(None, description="95th percentile to hold at that rate")
    p99_ms: Threshold | None = Field(None, description="99th percentile to hold at that rate, e.g. '< 200'")


class LoadgenSettings(_Model):
    """Where the load comes from: one Locust process (default), several on this
    machine, or a master that waits for workers on other machines."""

    processes: Annotated[int, Field(ge=-1, le=256)] | None = Field(
        None, description="Locust worker processes here (--processes); -1: one per core not given to the server"
    )
    workers: Annotated[int, Field(ge=1, le=1024)] | None = Field(
        None, description="wait for this many workers started elsewhere (Locust's --master)"
    )
    master_bind: str | None = Field(
        None,
        pattern=r"^[^\s:\x00-\x1f\x7f]+:\d{1,5}$",
        description="with workers: HOST:PORT the master listens on (default 127.0.0.1:5557)",
    )


def effective(value: Any, description: str) -> Any:
    """A load field that may be left out: None in the model (so a scenario
    can inherit from `defaults:`), `value` when neither sets it."""
    return Field(None, description=description, json_schema_extra={"default": value})


class LoadSettings(_Model):
    """Load fields, settable under `defaults:` and overridable per scenario."""

    users: Users | None = effective([10], "concurrent users; a list is a sweep")
    spawn_rate: Annotated[float, Field(gt=0, le=MAX_USERS)] | None = Field(
        None, description="users started per second (default: all at once)"
    )
    warmup: Annotated[Duration, Field(le=3_600)] | None = effective(2.0, "run but left out of every statistic")
    duration: Annotated[Duration, Field(gt=0, le=DAY_S)] | None = effective(10.0, "the measured window")
    repeat: Annotated[int, Field(ge=1, le=1_000)] | None = effective(1, "repetitions")
    upstream: UpstreamSettings | None = Field(
        None, description="start apps/upstream.py for each run; the app gets its URL as UPSTREAM_URL"
    )
    cpu: CpuSettings | None = Field(None, description="cores for server, loadgen and upstream")
    slo: Slo | None = Field(None, description="objectives checked against every server config's results")
    max_error_rate: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None,
        description="failed / sent above this fails the run's verdict (exit 1); default 0, any failure,"
        " or the slo's error_rate where the scenario declares one",
    )
    loadgen: LoadgenSettings | None = Field(None, description="Locust processes here, or workers elsewhere")


class ServerConfig(_Model):
    """One server configuration under test."""

    # The kinds are the registry's (perfsuite.plan.servers): the rules check the name against it,
    # and perfsuite.plan.schema adds them to the JSON Schema, so a kind is named in one place.
    server: str = Field(max_length=64, description="server kind")
    app: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\(\))?$",
        description="the app as module.path:attribute, or module.path:function() for a factory called once per"
        " worker (every kind but external)",
    )
    url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/\x00-\x1f\x7f]+(:\d+)?/?$",
        description="external only: the server's base URL, e.g. http://10.0.0.5:8000",
    )
    workers: Annotated[int, Field(ge=1, le=MAX_WORKERS)] = Field(1, description="worker processes")
    worker_class: Literal["sync", "gthread", "gevent", "uvicorn", "asgi"] | None = Field(
        None,
        description="gunicorn only (default sync); uvicorn means uvicorn_worker.UvicornWorker; asgi is gunicorn's"
        " own ASGI worker (gunicorn 24 and later)",
    )
    threads: Annotated[int, Field(ge=1, le=10_000)] | None = Field(None, description="gunicorn gthread only")
    worker_connections: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None, description="gunicorn gevent only (gunicorn's default 1000)"
    )
    loop: Literal["auto", "asyncio", "uvloop", "rloop"] | None = Field(
        None, description="uvicorn, granian (also rloop), hypercorn"
    )
    asgi_loop: Literal["auto", "asyncio", "uvloop"] | None = Field(
        None, description="gunicorn's asgi worker: its event loop (--asgi-loop)"
    )
    http_parser: Literal["auto", "fast", "python"] | None = Field(
        None, description="gunicorn: its HTTP parser (--http-parser; fast needs gunicorn_h1c)"
    )
    runtime_mode: Literal["auto", "mt", "st"] | None = Field(
        None, description="granian: its Rust runtime, single- or multi-threaded (--runtime-mode)"
    )
    runtime_threads: Annotated[int, Field(ge=1, le=1_024)] | None = Field(
        None, description="granian: runtime threads per worker (--runtime-threads)"
    )
    blocking_threads: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None,
        description="granian, interface: wsgi: threads per worker running the app (--blocking-threads; default:"
        " backpressure / 2)",
    )
    backpressure: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None, description="granian: requests a worker processes at once (--backpressure; default 1024 / workers)"
    )
    task_impl: Literal["asyncio", "rust"] | None = Field(
        None, description="granian: its async task implementation (--task-impl)"
    )
    http: Literal["auto", "h11", "httptools"] | None = Field(None, description="uvicorn only")
    interface: Literal["asgi", "wsgi"] | None = Field(
        None,
        description="the app's interface; granian serves this one (default asgi); elsewhere it is checked against"
        " the config (default: read from the app's source where plain)",
    )
    args: list[Text] = Field(
        default_factory=list,
        description="extra command-line arguments, appended; they may not set what a declared field sets",
    )
    env: dict[EnvName, Text] = Field(default_factory=dict, description="extra environment variables (strings)")
    app_dir: Text | None = Field(
        None, description="where the app is imported from; relative to the scenario file (default: current dir)"
    )
    python: Text | None = Field(
        None,
        description="the interpreter the server runs under, e.g. a virtualenv's bin/python, relative to the"
        " scenario file or a command on PATH (default: the suite's own); it must import the server and its"
        " worker class",
    )
    host: str | None = Field(
        None,
        pattern=r"^(\d{1,3}(\.\d{1,3}){3}|localhost)$",
        description="the address the server binds (default 127.0.0.1; 0.0.0.0 opens it to the network)",
    )
    port: Annotated[int, Field(ge=1, le=65_535)] | None = Field(
        None, description="the port the server binds (default: a free one; a taken port fails the run)"
    )
    ready_timeout: Annotated[Duration, Field(gt=0, le=3_600)] = Field(
        30.0, description="how long the server may take to answer its first HTTP request"
    )
    slots: Annotated[int, Field(ge=1, le=10_000_000)] | None = Field(
        None,
        description="requests the config serves at once, for the model, where it knows better than the suite"
        " (e.g. a thread pool of the app's own)",
    )
    max_requests: Annotated[int, Field(ge=1, le=1_000_000_000)] | None = Field(
        None,
        description="each worker restarts after this many requests (gunicorn --max-requests, uvicorn"
        " --limit-max-requests, hypercorn --max-requests): recycling against leaks, measured as it happens",
    )
    max_requests_jitter: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = Field(
        None, description="plus a random 0..N per worker, so workers do not restart together (with max_requests)"
    )

    @property
    def factory(self) -> bool:
        """`app: module:function()`: the server calls the function (once per worker) for the app."""
        return self.app is not None and self.app.endswith("()")

    @property
    def app_target(self) -> str:
        """module:attribute, without a factory's call."""
        return (self.app or "").removesuffix("()")


def _name_may_be_left_out(schema: dict[str, Any]) -> None:
    """A mix entry's name is filled in from its path before validation: optional to whoever writes the file."""
    schema["required"] = [name for name in schema.get("required", []) if name != "name"]


class MixEntry(_Model):
    """One request of a mix."""

    model_config = ConfigDict(json_schema_extra=_name_may_be_left_out)

    name: EntryName = Field(
        description="as Locust names it in its statistics (default: the path; METHOD /path when not a GET)"
    )
    path: RequestPath = Field(
        description="path and query, starting with exactly one / (//host/x would name another host), no spaces"
        " (percent-encode them: %20)",
    )
    method: Method = Field("GET", description="the HTTP method")
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict, description="request headers")
    body: JsonValue = Field(None, alias="json", description="a JSON request body")
    expect_status: Annotated[int, Field(ge=100, le=599)] = Field(200, description="anything else is a failure")
    weight: Annotated[int, Field(ge=0, le=1_000_000)] | None = Field(None, description="steady mode (default 1)")
    count: Annotated[int, Field(ge=1, le=MAX_BURST_REQUESTS)] | None = Field(
        None, description="burst mode: how many of this request (default 1)"
    )
    service_ms: Annotated[float, Field(gt=0, le=DAY_S * 1000)] | None = Field(
        None,
        description="for the model: how long this request takes on an idle server, in ms (default: measured by a"
        " short probe before a config's runs)",
    )

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_path(cls, data: Any) -> Any:
        """Named as Locust would: by its path; by method and path when not a GET."""
        if isinstance(data, dict) and "name" not in data and isinstance(data.get("path"), str):
            method = data.get("method")
            name = (
                data["path"]
                if not isinstance(method, str) or method.upper() == "GET"
                else f"{method.upper()} {data['path']}"
            )
            return {**data, "name": name}
        return data


MAX_CONNECTIONS = 100_000
Connections = Annotated[
    list[Annotated[int, Field(ge=1, le=MAX_CONNECTIONS)]],
    BeforeValidator(_one_or_many),
    Field(min_length=1),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_CONNECTIONS},
                {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1, "maximum": MAX_CONNECTIONS},
                    "minItems": 1,
                },
            ],
            "description": "streams held at once, or a list of levels (a sweep)",
        }
    ),
]


CONNECTIONS_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 1, "maximum": MAX_CONNECTIONS},
        {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_CONNECTIONS}, "minItems": 1},
        {"const": "auto"},
    ],
    "description": "connections held at once, a list of levels (a sweep), or auto (a search)",
}


class StreamSpec(_Model):
    """What each stream user opens, one stream after another (mode: stream)."""

    name: EntryName | None = Field(None, description="as Locust names it in its statistics (default: the path)")
    path: RequestPath = Field(
        description="path and query of a route that answers text/event-stream (Server-Sent Events)"
    )
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict, description="request headers")
    interval: Annotated[Duration, Field(gt=0, le=DAY_S)] | None = Field(
        None, description="the gap the app means between events: lateness is measured against it (default: none)"
    )

    @property
    def label(self) -> str:
        return self.name or self.path


class WebSocketSpec(_Model):
    """What each WebSocket user does (mode: websocket): echo, or a fan-out with `subscribers`."""

    name: EntryName | None = Field(None, description="as Locust names it in its statistics (default: the path)")
    path: RequestPath = Field(
        description="the WebSocket route: echo sends each message back; a fan-out route sends a publisher's"
        " messages to every other connection",
    )
    rate: Annotated[float, Field(gt=0, le=10_000)] = Field(
        1.0, description="messages per second: each echo connection's, or the fan-out's one publisher's"
    )
    subscribers: Annotated[int, Field(ge=1, le=MAX_CONNECTIONS)] | None = Field(
        None, description="fan-out: connections that only listen; one more publishes (default: echo)"
    )
    publisher: RequestPath | None = Field(
        None,
        description="fan-out: the route the publisher connects to (default: path); the demo app's room takes"
        " /ws/room?role=publisher",
    )
    bytes: Annotated[int, Field(ge=0, le=1_048_576)] = Field(0, description="padding added to each message")

    @property
    def label(self) -> str:
        return self.name or self.path

    @property
    def fan_out(self) -> bool:
        return self.subscribers is not None


def _scale_delta(value: Any) -> Any:
    """`workers: +2` (YAML reads it as 2) or the string "+2" / "-1" -> a signed count."""
    if isinstance(value, str) and re.fullmatch(r"[+-][0-9]{1,7}", value.strip()):
        return int(value.strip())
    return value


EVENTS = ("reload", "kill_worker", "scale")
ScaleDelta = Annotated[int, BeforeValidator(_scale_delta), Field(ge=-MAX_WORKERS, le=MAX_WORKERS)]
MAX_EVENTS = 100


class Event(_Model):
    """Something done to the server while the load runs: a deploy's reload, a worker's death, scaling."""

    at: Annotated[Duration, Field(le=DAY_S)] = Field(description="when, from the start of the measured window")
    do: Literal["reload", "kill_worker", "scale"] = Field(
        description="reload: the kind's graceful reload (gunicorn, uvicorn: SIGHUP); kill_worker: SIGKILL to one"
        " worker, chosen at random; scale: workers added or removed by the server's own means (SIGTTIN/SIGTTOU)"
    )
    workers: ScaleDelta | None = Field(None, description="scale only: workers to add (+N) or remove (-N)")
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = Field(
        None, description="kill_worker: the seed of the random choice (default: drawn, and recorded in results)"
    )


class Scenario(LoadSettings):
    """One scenario: a request mix (or own locustfile) run against server configs."""

    name: Name = Field(description="names its runs and its table in the reports")
    mode: Literal["steady", "burst", "open", "stream", "websocket"] = Field(
        "steady",
        description="steady: closed-loop users; burst: each request sent once; open: requests arrive at a rate,"
        " whether or not earlier ones answered; stream: connections each hold one stream after another;"
        " websocket: connections held open, messages echoed or fanned out",
    )
    connections: Annotated[Connections | Literal["auto"], WithJsonSchema(CONNECTIONS_SCHEMA)] | None = Field(
        None,
        description="stream mode: streams held at once (one user each), ramped at spawn_rate; websocket echo:"
        " connections held; a list sweeps; auto (stream mode, with capacity:) searches the most each config holds",
    )
    stream: StreamSpec | None = Field(None, description="stream mode: the stream each connection opens")
    websocket: WebSocketSpec | None = Field(None, description="websocket mode: echo, or a fan-out to subscribers")
    rate: RateSetting | None = Field(
        None, description="open mode: requests per second offered; a list is a sweep; auto searches for capacity"
    )
    capacity: CapacityObjective | None = Field(
        None,
        description="open mode, rate: auto: what each rate must meet (default: the scenario's slo latencies and"
        " error rate)",
    )
    expect_loadgen_limit: bool = Field(
        False,
        description="the scenario knowingly drives servers faster than its load generator: a run the generator"
        " bounds is reported as a lower bound ('>= X, the load generator's limit'), not as inconclusive (exit 3);"
        " leave it off in CI gates",
    )
    target: Target | None = Field(
        None,
        description="the sizing answer: for each config, the replicas, cores and memory that serve this rate"
        " within these latencies (steady or open mode)",
    )
    arrival: Literal["constant", "poisson"] | None = Field(
        None, description="open mode: evenly spaced arrivals (default) or a Poisson process"
    )
    max_in_flight: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None, description="open mode: the generator's cap on requests in flight (default 1000); more wait for a slot"
    )
    order: Annotated[list[Literal["sequential", "concurrent"]], Field(min_length=1)] | None = Field(
        None, description="burst only (default both)"
    )
    servers: Annotated[list[str], Field(min_length=1)] | None = Field(None, description="default: every server")
    mix: Annotated[list[MixEntry], Field(min_length=1)] | None = Field(
        None,
        description="the requests sent: weighted (steady, open) or counted (burst); stream mode: short requests"
        " sent beside the streams by `users` more users",
    )
    locustfile: Text | None = Field(None, description="instead of mix: your own locustfile (steady mode)")
    timeout: Annotated[Duration, Field(gt=0, le=DAY_S)] = Field(
        300.0, description="burst only: give up on the burst after this long"
    )
    events: Annotated[list[Event], Field(max_length=MAX_EVENTS)] | None = Field(
        None,
        description="steady and open modes: what is done to the server under load, each measured across it"
        " (failed requests, p99 before and after, time to recover, workers before and after)",
    )
    max_failed_per_event: Annotated[int, Field(ge=0, le=1_000_000_000)] = Field(
        0, description="with events: the failed requests an event may cause; more fails it (exit 1)"
    )
    recover_within: Annotated[Duration, Field(gt=0, le=DAY_S)] | None = Field(
        None,
        description="with events: throughput must be back within 5% of before the event this soon (exit 1 if not)",
    )


class SuiteFile(_Model):
    """A whole scenario file."""

    name: Name | None = Field(None, description="default: the file's stem")
    defaults: LoadSettings = Field(default_factory=LoadSettings, description="load fields every scenario inherits")
    servers: Annotated[dict[Name, ServerConfig], Field(min_length=1)] = Field(
        description="the configs under test, by name"
    )
    scenarios: Annotated[list[Scenario], Field(min_length=1)] = Field(
        description="what load each config gets, in order"
    )

    def setting(self, scenario: Scenario, name: str) -> Any:
        """A load setting as it applies to `scenario`: its own value, else the
        one under defaults:, else its declared effective default (or None)."""
        for source in (scenario, self.defaults):
            value = getattr(source, name)
            if value is not None:
                return value
        extra = LoadSettings.model_fields[name].json_schema_extra
        return extra.get("default") if isinstance(extra, dict) else None


@dataclass(frozen=True)
class Suite:
    """A loaded scenario file: its model and where it came from."""

    name: str
    source: Path
    base_dir: Path  # relative paths in the file resolve from here
    declared: SuiteFile  # what the file declares, validated
    warnings: tuple[str, ...] = ()  # file:line: field: what may not measure what it says (nothing refused)
