"""`run_suite.py ui` in a real browser: start a swarm from Locust's web UI, see
requests counted against the chosen server, stop, and leave nothing behind."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from perfsuite.run.process import free_port
from tests.conftest import own_locustfile, start_cli, strays, write_scenario

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
def interrupted(proc: subprocess.Popen[str], reader: threading.Thread) -> int:
    """Ctrl-C to the UI; its exit code once it and the thread reading its output have ended."""
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=20)
    reader.join(timeout=10)  # it reads to the end of the pipe, which closes after the test
    return code


def test_explore_in_the_web_ui(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          u: {server: uvicorn, app: apps.asgi_app:app}
          g: {server: gunicorn, app: apps.wsgi_app:app, workers: 2}
        scenarios:
          - {name: explore, users: 3, mix: [{name: slow, path: /slow?delay_ms=50}, {name: fast, path: /fast, weight: 2}]}
        """,
    )
    port = free_port()
    proc = start_cli("ui", str(scenario), "--servers", "all", "--port", str(port), "--logs", str(tmp_path / "logs"))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + 60
    while not any(line.startswith("logs:") for line in lines):
        assert proc.poll() is None and time.monotonic() < deadline, (lines, proc.stderr.read() if proc.stderr else "")
        time.sleep(0.1)
    ui = f"http://127.0.0.1:{port}"
    urls = dict(re.findall(r"^\s+(\w+): (http://127\.0\.0\.1:\d+)$", "".join(lines), re.MULTILINE))
    assert set(urls) == {"u", "g"} and len(set(urls.values())) == 2
    # The web UI and both servers listen on loopback only.
    listening = set()
    for child in strays(proc.pid):
        with contextlib.suppress(psutil.Error):
            listening |= {(c.laddr.ip, c.laddr.port) for c in child.net_connections("inet") if c.status == "LISTEN"}
    ports = {port, *(int(url.rsplit(":", 1)[1]) for url in urls.values())}
    assert {p for _, p in listening} >= ports and {ip for ip, _ in listening} == {"127.0.0.1"}, listening
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            try:
                page = browser.new_page()
                page.goto(ui)
                assert page.locator("input[name=host]").input_value() == urls["u"]  # the first config, preselected
                assert '"path":"/slow?delay_ms=50"' in page.locator("input[name=mix]").input_value()
                page.locator("input[name=userCount]").fill("4")
                page.locator("input[name=spawnRate]").fill("4")
                page.locator("input[name=host]").fill(urls["g"])  # switch to the other config
                page.get_by_role("button", name="Start").click()
                counted = 0
                deadline = time.monotonic() + 30
                while counted < 20 and time.monotonic() < deadline:
                    stats = httpx.get(f"{ui}/stats/requests", timeout=5).json()
                    counted = next(s["num_requests"] for s in stats["stats"] if s["name"] == "Aggregated")
                    time.sleep(0.5)
                assert counted >= 20, counted
                page.get_by_role("cell", name="fast", exact=True).first.wait_for(timeout=10_000)
                assert {s["name"] for s in stats["stats"]} >= {"fast", "slow", "Aggregated"}
                page.get_by_text(urls["g"]).first.wait_for(timeout=10_000)  # the header shows the switched host
                page.get_by_role("button", name="Stop").click()
                page.get_by_text("STOPPED").first.wait_for(timeout=15_000)
            finally:
                browser.close()
    finally:
        code = interrupted(proc, reader)
    assert code == 0
    assert strays(proc.pid) == []


def test_ui_rejects_an_unknown_server(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        "servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n  - {name: a, mix: [{name: f, path: /fast}]}\n",
    )
    proc = start_cli("ui", str(scenario), "--server", "nope", "--port", str(free_port()), "--logs", str(tmp_path / "l"))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "unknown server(s) nope; the file has u" in err
    assert strays(proc.pid) == []


@contextlib.contextmanager
def ui_for(scenario: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`run_suite.py ui` on server u, up: (the UI's URL, u's URL); stopped with Ctrl-C after,
    which must exit 0 and leave nothing."""
    port = free_port()
    proc = start_cli("ui", str(scenario), "--server", "u", "--port", str(port), "--logs", str(tmp_path / "logs"))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any(line.startswith("logs:") for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, (
                lines,
                proc.stderr.read() if proc.stderr else "",
            )
            time.sleep(0.1)
        target = re.search(r"^\s+u: (http://\S+)$", "".join(lines), re.MULTILINE)
        assert target is not None
        yield f"http://127.0.0.1:{port}", target.group(1)
    finally:
        code = interrupted(proc, reader)
    assert code == 0
    assert strays(proc.pid) == []


def aggregated(ui: str) -> tuple[int, set[str]]:
    stats = httpx.get(f"{ui}/stats/requests", timeout=5).json()
    counted = next(s["num_requests"] for s in stats["stats"] if s["name"] == "Aggregated")
    return counted, {s["name"] for s in stats["stats"]}


def test_ui_with_the_scenarios_own_locustfile(tmp_path: Path) -> None:
    own_locustfile(tmp_path / "own.py", "own-visit", 0.05)
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          u: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - {name: own, users: 2, locustfile: own.py}
        """,
    )
    with ui_for(scenario, tmp_path) as (ui, target):
        started = httpx.post(f"{ui}/swarm", data={"user_count": 2, "spawn_rate": 2, "host": target}, timeout=10)
        assert started.status_code == 200 and started.json()["success"], started.text
        counted, names = 0, set()
        deadline = time.monotonic() + 30
        while counted < 10 and time.monotonic() < deadline:
            counted, names = aggregated(ui)
            time.sleep(0.3)
        assert counted >= 10 and "own-visit" in names, (counted, names)
        assert httpx.post(f"{ui}/stop", timeout=10).status_code == 200


def test_ui_with_an_open_scenario_takes_the_rate_from_the_form(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          u: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - {name: open, mode: open, rate: 5, mix: [{path: /fast}]}
        """,
    )
    with ui_for(scenario, tmp_path) as (ui, target):
        form = {"user_count": 1, "spawn_rate": 1, "host": target, "rate": 40}  # the form's rate: 40, not 5
        started = httpx.post(f"{ui}/swarm", data=form, timeout=10)
        assert started.status_code == 200 and started.json()["success"], started.text
        first = time.monotonic()
        time.sleep(2.0)
        counted, _ = aggregated(ui)
        took = time.monotonic() - first
        assert 40 * (took - 1.0) <= counted <= 40 * (took + 0.5), (counted, took)
        assert httpx.post(f"{ui}/stop", timeout=10).status_code == 200
