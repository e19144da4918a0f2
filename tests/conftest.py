"""Shared helpers: run the real CLI, find processes a suite left behind.

The tiers are known by one rule, the folder: tests/unit/ starts no process
(pure functions, files, an in-process socket at most), tests/lint/ runs the
linters and the type checker, tests/e2e/ starts real processes (servers,
Locust, the suite's own CLI, browsers) and is marked `e2e` here, by folder.
`python3 run_tests.py --fast` runs everything but e2e."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psutil
import pytest

REPO = Path(__file__).resolve().parent.parent
RUN_SUITE = REPO / "run_suite.py"


STARTED_SUITES: list[int] = []  # pids of every suite a test started
_OPEN: list[subprocess.Popen[str]] = []  # suites of the test running now, their pipes closed after it
E2E = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


def start_cli(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(RUN_SUITE), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    STARTED_SUITES.append(proc.pid)
    _OPEN.append(proc)
    return proc


def run_cli(
    *args: str, cwd: Path = REPO, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = start_cli(*args, cwd=cwd, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def strays(suite_pid: int) -> list[psutil.Process]:
    """Processes started by the suite with pid `suite_pid` that are still alive."""
    prefix = f"{suite_pid}-"
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get("PERFSUITE_TOKEN", "").startswith(prefix):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def all_suite_strays() -> list[psutil.Process]:
    return [proc for pid in STARTED_SUITES for proc in strays(pid)]


def write_scenario(directory: Path, text: str, name: str = "suite.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def own_locustfile(path: Path, name: str, wait_s: float) -> Path:
    """A user's own locustfile: one HttpUser getting /fast as `name`, `wait_s` between requests."""
    path.write_text(
        "from locust import HttpUser, constant, task\n"
        "class Visitor(HttpUser):\n"
        f"    wait_time = constant({wait_s})\n"
        "    @task\n"
        "    def visit(self):\n"
        f"        self.client.get('/fast', name={name!r})\n"
    )
    return path


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True, scope="session")
def _no_strays_at_end() -> Any:
    yield
    left = all_suite_strays()
    for proc in left:
        proc.kill()
    assert not left, f"processes left running by the suite: {[p.cmdline() for p in left]}"


@pytest.fixture(autouse=True)
def _suites_closed() -> Any:
    """Every suite a test started has ended (killed if a failed test left it) and its pipes are
    closed when the test ends: an unclosed pipe is a ResourceWarning, and warnings are errors."""
    yield
    while _OPEN:
        proc = _OPEN.pop()
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture()
def repo() -> Path:
    return REPO


FIXTURE_RUN = REPO / "tests" / "data" / "fixture_run"  # a real run of tests/data/fixture_suite.yaml


@pytest.fixture()
def rendered(tmp_path: Path) -> Path:
    """A copy of the fixture run with its reports written."""
    from perfsuite.record.results import read_results
    from perfsuite.report.files import write_reports

    out = tmp_path / "run"
    shutil.copytree(FIXTURE_RUN, out)
    write_reports(out, read_results(out))
    return out


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Suites run by tests go to a history of their own, not the developer's.
    monkeypatch.setenv("PERFSUITE_HISTORY", str(tmp_path_factory.getbasetemp() / "history.sqlite"))
    monkeypatch.delenv("PERFSUITE_TOKEN", raising=False)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    os.environ.pop("GITHUB_STEP_SUMMARY", None)


def locustfile_module(name: str) -> Any:
    """A module of locustfiles/ loaded alone, as Locust's -f would find its siblings (no Locust import)."""
    folder = REPO / "locustfiles"
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(folder))
