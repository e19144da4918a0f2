"""Plain WSGI app under test: /fast, /slow, /cpu, /json, /io/{sequential,concurrent},
/stream (server-sent events).

Waits block the worker (`time.sleep`, urllib3's blocking client), which is
the point: a sync worker is held for the whole wait. Concurrent upstream
calls go through a thread pool; under gunicorn's gevent worker those threads
are greenlets and the sockets cooperative. /stream is a generator that
sleeps between events, as Flask and Django stream: the worker is held for
the whole stream.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import urllib3

from apps import _shared as shared

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


# Made at import, not on first use: gunicorn imports the app in every worker
# after fork, and a pool holds no connection until its first request, so no
# connection is ever shared between workers (even with --preload). urllib3,
# not httpx: ~0.4 ms of CPU per call against ~1.1 ms, which would otherwise
# be measured as the server's cost. block=True: at most UPSTREAM_MAX_CONNECTIONS
# at once, the others wait, like an async client's pool limit.
_client = urllib3.PoolManager(
    maxsize=shared.UPSTREAM_MAX_CONNECTIONS, block=True, timeout=urllib3.Timeout(total=600.0), retries=False
)
_pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="upstream")  # threads start on first use


def _call(url: str) -> None:
    response = _client.request("GET", url)
    if response.status != 200:
        raise shared.UpstreamError(f"upstream answered {response.status}")


def io(mode: str, query: str) -> shared.Response:
    calls, delay_ms = shared.io_params(query)
    try:
        url = shared.upstream_url(delay_ms)
        if mode == "sequential":
            for _ in range(calls):
                _call(url)
        else:
            list(_pool.map(lambda _: _call(url), range(calls)))
    except (urllib3.exceptions.HTTPError, shared.UpstreamError) as error:
        return shared.upstream_failed(error)
    return shared.io_body(mode, calls)


def stream(params: shared.Stream) -> Iterator[bytes]:
    """One event per item, made when the server asks for it. A client that leaves closes
    the generator at its `yield` (GeneratorExit), which simply ends it."""
    for i in range(params.chunks):
        if i:
            time.sleep(params.interval_s)
        yield shared.stream_event(i, params.size)


def route(path: str, query: str) -> shared.Response | shared.Stream:
    try:
        if path == "/fast":
            return shared.fast()
        if path == "/slow":
            delay_ms = shared.int_param(query, "delay_ms", shared.DEFAULT_SLOW_MS, shared.MAX_DELAY_MS)
            time.sleep(delay_ms / 1000)
            return shared.slow_body(delay_ms)
        if path == "/cpu":
            return shared.cpu(shared.int_param(query, "n", shared.DEFAULT_CPU_N, shared.MAX_CPU_N))
        if path == "/json":
            return shared.json_doc()
        if path.startswith("/io/") and path[4:] in shared.IO_MODES:
            return io(path[4:], query)
        if path == "/stream":
            return shared.stream_params(query)
    except shared.BadRequest as error:
        return shared.bad_request(error)
    return shared.not_found()


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    answer = route(environ.get("PATH_INFO", "/"), environ.get("QUERY_STRING", ""))
    if isinstance(answer, shared.Stream):
        start_response(f"200 {shared.REASONS[200]}", list(shared.STREAM_HEADERS))
        return stream(answer)
    status, content_type, body = answer
    start_response(
        f"{status} {shared.REASONS[status]}",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]


def process_time_header(app: WSGIApp) -> WSGIApp:
    """The classic example's middleware: add X-Process-Time to every response
    (for /stream: the time to its headers, which go before the first event)."""

    def middleware(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()

        def timed_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            elapsed = time.perf_counter() - started
            return start_response(status, [*headers, ("X-Process-Time", f"{elapsed:.6f}")], *args)

        return app(environ, timed_start_response)

    return middleware


app = process_time_header(application)
