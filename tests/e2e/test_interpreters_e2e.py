"""Servers from the app's own environment: a config's `python:` names the
interpreter its server runs under (here a virtualenv made in the test, with
gunicorn 23 beside the suite's own); validation asks it before anything
starts, and the reports show the versions side by side."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import read_json, run_cli, write_scenario

APP = """\
import time


def app(environ, start_response):
    time.sleep(0.01)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"older"]
"""
OLD_GUNICORN = "23.0.0"  # before gunicorn's control socket (25.1): no --no-control-socket either


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("venvs") / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return folder / "bin" / "python"


@pytest.fixture(scope="module")
def old_gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("venvs") / "gunicorn23"
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"gunicorn=={OLD_GUNICORN}"], check=True, timeout=300)
    return python


def test_a_config_runs_under_its_own_interpreter_and_the_report_shows_both(tmp_path: Path, old_gunicorn: Path) -> None:
    (tmp_path / "older.py").write_text(APP)
    scenario = write_scenario(
        tmp_path,
        f"""\
        defaults: {{users: 2, warmup: 0.5s, duration: 2s}}
        servers:
          today:     {{server: gunicorn, app: older:app, app_dir: .}}
          gunicorn23: {{server: gunicorn, app: older:app, app_dir: ., python: {old_gunicorn}}}
        scenarios:
          - name: side-by-side
            mix: [{{path: /}}]
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history")
    assert done.returncode in (0, 3), done.stderr
    results = read_json(out / "results.json")
    runs = {run["server"]: run for run in results["runs"]}
    assert all(run["status"] == "ok" and run["requests"] > 0 for run in runs.values())
    old = runs["gunicorn23"]
    assert old["server_argv"][0] == str(old_gunicorn) and "--no-control-socket" not in old["server_argv"]
    assert runs["today"]["server_argv"][0] == sys.executable and "--no-control-socket" in runs["today"]["server_argv"]
    recorded = results["environment"]["interpreters"]["gunicorn23"]
    assert recorded["path"] == str(old_gunicorn) and recorded["packages"]["gunicorn"] == OLD_GUNICORN
    report = (out / "report.md").read_text()
    today = results["environment"]["packages"]["gunicorn"]
    assert f"| (the suite's own) | {results['environment']['python']} |  | {today} |" in report
    assert f"| gunicorn23 | {recorded['python']} | {old_gunicorn} | {OLD_GUNICORN} |" in report


def test_an_interpreter_that_is_missing_or_lacks_the_server_is_exit_2(tmp_path: Path, bare_venv: Path) -> None:
    (tmp_path / "older.py").write_text(APP)
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          nowhere: {{server: gunicorn, app: older:app, app_dir: ., python: venvs/none/bin/python}}
          bare:    {{server: gunicorn, app: older:app, app_dir: ., python: {bare_venv}}}
          ext:     {{server: external, url: "http://10.0.0.5:8000", python: {bare_venv}}}
        scenarios:
          - {{name: a, mix: [{{path: /}}]}}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 2 and not out.exists()
    assert f"servers.nowhere.python: {tmp_path / 'venvs/none/bin/python'} is not an executable file" in done.stderr
    assert f"servers.bare.python: {bare_venv} (Python 3." in done.stderr and "cannot import gunicorn" in done.stderr
    assert "servers.ext.python: does not apply to server: external" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def gevent_without_packaging(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip install gunicorn gevent`, as a user would: gunicorn 27's gevent worker imports
    `packaging`, which gunicorn declares only under its `gevent` extra."""
    folder = tmp_path_factory.mktemp("venvs") / "gevent"
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "gunicorn==27.0.1", "gevent"], check=True, timeout=300)
    lacks = subprocess.run([str(python), "-I", "-c", "import packaging"], capture_output=True)
    assert lacks.returncode != 0, "the virtualenv was meant to lack packaging"
    return python


def test_a_worker_class_that_cannot_import_in_its_interpreter_is_exit_2(
    tmp_path: Path, gevent_without_packaging: Path
) -> None:
    (tmp_path / "older.py").write_text(APP)
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          gev:  {{server: gunicorn, app: older:app, app_dir: ., worker_class: gevent, python: {gevent_without_packaging}}}
          sync: {{server: gunicorn, app: older:app, app_dir: ., python: {gevent_without_packaging}}}
        scenarios:
          - {{name: a, mix: [{{path: /}}]}}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    assert done.returncode == 2 and not out.exists(), done.stderr
    assert (
        f"servers.gev.python: {gevent_without_packaging} (Python 3." in done.stderr
        and "has gunicorn.workers.ggevent, but importing it failed (ModuleNotFoundError: No module named 'packaging');"
        " install packaging there"
        in done.stderr
    ), done.stderr
    assert "servers.sync" not in done.stderr  # the sync worker imports what it needs
    assert "Traceback" not in done.stderr


def test_what_an_imported_module_prints_or_leaves_running_never_spoils_the_answer(tmp_path: Path) -> None:
    """The check imports the server's modules: one that prints, registers an atexit hook that prints,
    swaps sys.stdout and leaves a thread running must not lose or hold back the interpreter's answer."""
    import time

    from perfsuite.plan.interpreters import ask

    folder = tmp_path / "noisy"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    package = Path(site) / "noisyserver"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import atexit, io, sys, threading, time\n"
        "print('hello from an import')\n"
        "atexit.register(lambda: print('bye from atexit'))\n"
        "threading.Thread(target=time.sleep, args=(60,)).start()\n"
        "sys.stdout = io.StringIO()\n"
    )
    started = time.monotonic()
    answer = ask(str(python), ("noisyserver", "nowhere_module"), ("pip",))
    assert time.monotonic() - started < 20  # not the 30 s of an interpreter that never answers
    assert answer.missing == ("nowhere_module",) and answer.failing == {}
    assert answer.python.startswith("3.")
