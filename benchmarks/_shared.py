"""What the benchmarks share: a plain FastHttpUser, core pinning, a uvicorn serving the suite's ASGI app."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PLAIN = """\
from locust import FastHttpUser, task


class Plain(FastHttpUser):
    @task
    def fast(self):
        self.client.get("/fast")
"""


def pinned(core: int) -> dict[str, object]:
    """Popen/run keyword arguments that pin the child to `core` (where there is more than one)."""
    return {"preexec_fn": lambda: os.sched_setaffinity(0, {core})} if len(os.sched_getaffinity(0)) > 1 else {}


@contextlib.contextmanager
def uvicorn_on_core_0(port: int) -> Iterator[str]:
    """uvicorn serving apps.asgi_app on core 0 until the block ends; yields its URL once /fast answers."""
    argv = [sys.executable, "-m", "uvicorn", "apps.asgi_app:app", "--port", str(port), "--no-access-log",
            "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(argv, cwd=ROOT, **pinned(0))  # type: ignore[call-overload]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/fast", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
