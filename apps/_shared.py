"""What both apps answer, byte for byte: the WSGI and ASGI apps only differ in
how they wait, never in what they return."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

DEFAULT_SLOW_MS = 5000
DEFAULT_CPU_N = 20_000
MAX_DELAY_MS = 600_000
MAX_CPU_N = 10_000_000

JSON_DOC = json.dumps(
    {"message": "hello", "items": [{"id": i, "name": f"item-{i}", "ok": i % 2 == 0} for i in range(10)]},
    separators=(",", ":"),
).encode()

Response = tuple[int, str, bytes]  # status, content type, body

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


class BadRequest(ValueError):
    pass


def int_param(query: str, name: str, default: int, maximum: int, minimum: int = 0) -> int:
    values = parse_qs(query).get(name)
    if not values:
        return default
    try:
        value = int(values[-1])
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not minimum <= value <= maximum:
        raise BadRequest(f"{name} must be between {minimum} and {maximum}")
    return value


def cpu_work(n: int) -> int:
    """A fixed amount of pure-Python work: the same n costs the same CPU."""
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total


def fast() -> Response:
    return 200, TEXT, b"fast\n"


def slow_body(delay_ms: int) -> Response:
    return 200, TEXT, f"slow {delay_ms} ms\n".encode()


def cpu(n: int) -> Response:
    return 200, JSON, json.dumps({"n": n, "result": cpu_work(n)}, separators=(",", ":")).encode()


def json_doc() -> Response:
    return 200, JSON, JSON_DOC


DEFAULT_STREAM_CHUNKS = 10
DEFAULT_STREAM_INTERVAL_MS = 100
DEFAULT_STREAM_BYTES = 16
MAX_STREAM_CHUNKS = 100_000
MAX_STREAM_BYTES = 1_048_576
EVENT_STREAM = "text/event-stream"
# No Content-Length: an HTTP/1.1 server sends the stream chunked.
STREAM_HEADERS = (("Content-Type", EVENT_STREAM), ("Cache-Control", "no-cache"))


@dataclass(frozen=True)
class Stream:
    """/stream's answer: `chunks` events, the first at once, then one every `interval_ms`,
    each padded with `size` bytes; the apps send them as they are made."""

    chunks: int
    interval_ms: int
    size: int

    @property
    def interval_s(self) -> float:
        return self.interval_ms / 1000


def stream_params(query: str) -> Stream:
    return Stream(
        chunks=int_param(query, "chunks", DEFAULT_STREAM_CHUNKS, MAX_STREAM_CHUNKS, minimum=1),
        interval_ms=int_param(query, "interval_ms", DEFAULT_STREAM_INTERVAL_MS, MAX_DELAY_MS),
        size=int_param(query, "bytes", DEFAULT_STREAM_BYTES, MAX_STREAM_BYTES),
    )


def stream_event(i: int, size: int) -> bytes:
    """Server-sent event i, stamped with the time it is made: `id: i`, `data: i <time> <size x's>`."""
    return b"id: %d\ndata: %d %.6f %b\n\n" % (i, i, time.time(), b"x" * size)


UPSTREAM_URL = os.environ.get("UPSTREAM_URL", "")
# Connections the app's upstream client may open at once; lower it to build an
# undersized server on purpose.
UPSTREAM_MAX_CONNECTIONS = int(os.environ.get("UPSTREAM_MAX_CONNECTIONS", "1000"))
DEFAULT_IO_CALLS = 3
MAX_IO_CALLS = 100
IO_MODES = ("sequential", "concurrent")


class UpstreamError(RuntimeError):
    pass


def io_params(query: str) -> tuple[int, int]:
    """(calls, delay_ms); delay_ms 0 means: the upstream's own default."""
    calls = int_param(query, "calls", DEFAULT_IO_CALLS, MAX_IO_CALLS)
    delay_ms = int_param(query, "delay_ms", 0, MAX_DELAY_MS)
    return calls, delay_ms


def upstream_url(delay_ms: int) -> str:
    if not UPSTREAM_URL:
        raise UpstreamError("UPSTREAM_URL is not set")
    return f"{UPSTREAM_URL}/?delay_ms={delay_ms}" if delay_ms else f"{UPSTREAM_URL}/"


def io_body(mode: str, calls: int) -> Response:
    return 200, JSON, json.dumps({"mode": mode, "calls": calls}, separators=(",", ":")).encode()


def upstream_failed(error: Exception) -> Response:
    return 502, TEXT, f"upstream failed: {error}\n".encode()


def not_found() -> Response:
    return 404, TEXT, b"not found\n"


def bad_request(error: BadRequest) -> Response:
    return 400, TEXT, f"bad request: {error}\n".encode()


REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 502: "Bad Gateway"}
