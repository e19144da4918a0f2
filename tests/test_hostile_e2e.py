"""Input that once crashed a suite at run time, run for real on an app the
suite has never seen: each now runs or is refused before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import read_json, run_cli, write_scenario

pytestmark = pytest.mark.integration

ECHO = '''\
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-size", str(size).encode())]})
    await send({"type": "http.response.body", "body": str(size).encode()})
'''


def test_a_mix_larger_than_an_argument_may_be_reaches_locust(tmp_path: Path) -> None:
    """A 300 KB JSON body: the mix travels in a file (the kernel caps one argument at 128 KB)."""
    (tmp_path / "echo.py").write_text(ECHO)
    body = "x" * 300_000
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          u: {{server: uvicorn, app: echo:app, interface: asgi, app_dir: .}}
        scenarios:
          - name: big
            users: 1
            warmup: 0
            duration: 1s
            mix:
              - {{path: "/orders?id=1", method: POST, json: {{blob: "{body}"}}}}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history")
    assert done.returncode == 0, done.stderr[-3000:]
    (run,) = read_json(out / "results.json")["runs"]
    assert run["status"] == "ok" and run["failures"] == 0 and run["requests"] > 0
    assert list(run["endpoints"]) == ["/orders?id=1"]  # named by its path
    assert len((out / run["run_dir"] / "mix.json").read_text()) > 300_000
