"""Plain WSGI app under test: /fast, /slow, /cpu, /json, /io/{sequential,concurrent}.

Waits block the worker (`time.sleep`, a blocking HTTP client), which is the
point: a sync worker is held for the whole wait. Concurrent upstream calls go
through a thread pool; under gunicorn's gevent worker those threads are
greenlets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from apps import _shared as shared

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


# Made at import, not on first use: building a client (with its TLS context)
# costs ~70 ms, which would land on each worker's first request. gunicorn
# imports the app in every worker after fork; with --preload the pool is
# still empty at fork time, so no connection is ever shared.
_LIMIT = shared.UPSTREAM_MAX_CONNECTIONS
_client = httpx.Client(
    limits=httpx.Limits(max_connections=_LIMIT, max_keepalive_connections=_LIMIT),
    timeout=httpx.Timeout(600.0, pool=600.0),
)
_pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="upstream")  # threads start on first use


def _call(client: httpx.Client, url: str) -> None:
    client.get(url).raise_for_status()


def io(mode: str, query: str) -> shared.Response:
    calls, delay_ms = shared.io_params(query)
    try:
        url = shared.upstream_url(delay_ms)
        if mode == "sequential":
            for _ in range(calls):
                _call(_client, url)
        else:
            list(_pool.map(lambda _: _call(_client, url), range(calls)))
    except (httpx.HTTPError, shared.UpstreamError) as error:
        return shared.upstream_failed(error)
    return shared.io_body(mode, calls)


def route(path: str, query: str) -> shared.Response:
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
    except shared.BadRequest as error:
        return shared.bad_request(error)
    return shared.not_found()


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    status, content_type, body = route(environ.get("PATH_INFO", "/"), environ.get("QUERY_STRING", ""))
    start_response(
        f"{status} {shared.REASONS[status]}",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]


def process_time_header(app: WSGIApp) -> WSGIApp:
    """The classic example's middleware: add X-Process-Time to every response."""

    def middleware(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()

        def timed_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            elapsed = time.perf_counter() - started
            return start_response(status, [*headers, ("X-Process-Time", f"{elapsed:.6f}")], *args)

        return app(environ, timed_start_response)

    return middleware


app = process_time_header(application)
