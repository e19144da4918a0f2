"""Plain WSGI app under test: /fast, /slow, /cpu, /json; 404 otherwise.

Waits block the worker (`time.sleep`), which is the point: a sync worker is
held for the whole wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from apps import _shared as shared

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


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
