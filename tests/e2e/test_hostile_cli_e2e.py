"""The third hostile round (issue 20), case by case, where no server needs to
start: each input is refused before anything starts (exit 2, file, line and
field named) or handled without a traceback, a hang or a file written
outside its folder. The cases that need servers, Locust or signals are in
test_hostile_e2e.py."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from perfsuite.plan import interpreters
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.preflight import interpreter_problems
from perfsuite.record import history
from perfsuite.record.fingerprint import fingerprint
from tests.conftest import REPO, read_json, run_cli, start_cli, write_scenario

FIXTURE = REPO / "tests" / "data" / "fixture_run"
DEADLINE_S = 60  # every command here ends within this, or the test fails

SUITE = """\
name: gate
servers:
  u: {server: uvicorn, app: apps.asgi_app:app}
scenarios:
  - {name: paced, users: 2, warmup: 0, duration: 1s, mix: [{path: /fast}]}
"""


def fixture_folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "run"))


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr


def baseline_file(path: Path, entries: list[dict[str, Any]], suite: str = "other") -> Path:
    """A baseline of this machine (so --strict judges its entries, not its origin)."""
    data = {"kind": "perfsuite-baseline", "schema_version": 2, "suite": suite, "entries": entries}
    path.write_text(json.dumps({**data, "environment": fingerprint().model_dump(mode="json")}), encoding="utf-8")
    return path


def entry(scenario: str, server: str = "u", level: str = "users=2", rps: list[float] | None = None) -> dict[str, Any]:
    samples = rps or [100.0, 101.0]
    return {
        "scenario": scenario,
        "server": server,
        "level": level,
        "runs": len(samples),
        "medians": {"rps": sorted(samples)[len(samples) // 2]},
        "samples": {"rps": samples},
    }


# -- a nightly gate that passes without judging anything ------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_a_baseline_with_nothing_in_common_is_exit_2_naming_both_sides(tmp_path: Path, strict: bool) -> None:
    scenario = write_scenario(tmp_path, SUITE)
    baseline = baseline_file(tmp_path / "b.json", [entry("checkout"), entry("search")], suite="shop")
    out = tmp_path / "out"
    args = [str(scenario), "--baseline", str(baseline), "--out", str(out), "--no-history"]
    done = run_cli(*args, *(["--strict"] if strict else []), timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert "nothing in common with this suite: the baseline holds checkout, search (suite 'shop')" in done.stderr
    assert "this suite runs paced" in done.stderr
    assert not out.exists()
    no_traceback(done)


def test_a_baseline_that_overlaps_in_part_lists_the_rest_and_strict_refuses_it(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path, SUITE + "  - {name: other, users: 2, warmup: 0, duration: 1s, mix: [{path: /fast}]}\n"
    )
    baseline = baseline_file(tmp_path / "b.json", [entry("paced"), entry("gone")], suite="gate")
    done = run_cli(str(scenario), "--baseline", str(baseline), "--strict", "--out", str(tmp_path / "o"))
    assert done.returncode == 2, done.stderr
    assert "not in the baseline: other / u / 2 users" in done.stderr
    assert "in the baseline, not run now: gone / u / 2 users" in done.stderr
    assert "--strict: 1 compared, but not everything on both sides" in done.stderr
    assert not (tmp_path / "o").exists()
    # --only narrows both sides: `other` is not run, `gone` is not asked for; all that is left compares.
    # (An --out that is a file stops the suite right after the gate, before anything starts.)
    (tmp_path / "a-file").write_text("")
    only = ["--only", "paced/*", "--strict", "--out", str(tmp_path / "a-file")]
    narrowed = run_cli(str(scenario), "--baseline", str(baseline), *only, timeout=DEADLINE_S)
    assert narrowed.returncode == 2 and "cannot write to output folder" in narrowed.stderr, narrowed.stderr
    assert "not in the baseline" not in narrowed.stderr and "not run now" not in narrowed.stderr


def test_a_baseline_that_cannot_be_saved_is_refused_before_anything_starts(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, SUITE)
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--save-baseline", "/proc/self/comm", "--out", str(out), timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert "--save-baseline /proc/self/comm: cannot create files in /proc/self" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--against", ""], "--against needs a git revision (a commit, a tag, HEAD~1); it was given an empty one"),
        (["--pair", "u:u"], "--pair u:u: compares 'u' with itself, which can only read 'unchanged'"),
    ],
)
def test_against_an_empty_ref_and_a_pair_of_one_config_are_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    scenario = write_scenario(tmp_path, SUITE)
    done = run_cli(str(scenario), *args, "--out", str(tmp_path / "out"), timeout=DEADLINE_S)
    assert done.returncode == 2 and f"error: {message}" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("rps", "message"),
    [
        ([-5.0, -5.0], "medians.rps is -5"),
        ([0.0, 0.0, 1.0], "medians.rps is 0"),
    ],
)
def test_a_baseline_with_negative_or_zero_medians_is_refused_naming_the_entry(
    tmp_path: Path, rps: list[float], message: str
) -> None:
    scenario = write_scenario(tmp_path, SUITE)
    baseline = baseline_file(tmp_path / "b.json", [entry("paced"), entry("paced", level="users=3", rps=rps)])
    done = run_cli(str(scenario), "--baseline", str(baseline), "--out", str(tmp_path / "out"), timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert f"b.json: entries.1 (paced / u / users=3): {message}: a baseline's figures must be positive" in done.stderr
    assert not (tmp_path / "out").exists()


# -- writes that destroy or go where they should not ----------------------------------------


def test_a_link_planted_at_report_html_is_replaced_never_written_through(tmp_path: Path) -> None:
    folder = fixture_folder(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (folder / "report.html").symlink_to(victim)
    done = run_cli("report", str(folder), timeout=DEADLINE_S)
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "precious"
    assert not (folder / "report.html").is_symlink() and "<html" in (folder / "report.html").read_text()


def _limited(limit: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_rebuild_that_fails_half_way_keeps_the_last_good_report_byte_for_byte(tmp_path: Path) -> None:
    folder = fixture_folder(tmp_path)
    assert run_cli("report", str(folder), timeout=DEADLINE_S).returncode == 0
    before = {name: (folder / name).read_bytes() for name in ("report.md", "report.html")}
    assert len(before["report.md"]) < 64_000 < len(before["report.html"])  # the limit falls between the two
    done = subprocess.run(
        [sys.executable, str(REPO / "run_suite.py"), "report", str(folder)],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        preexec_fn=_limited(64_000),
    )
    assert done.returncode == 2, done.stderr
    assert f"error: cannot write {folder / 'report.html'}: File too large" in done.stderr
    no_traceback(done)
    assert {name: (folder / name).read_bytes() for name in before} == before
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_first_results_json_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, SUITE)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(REPO / "run_suite.py"), str(scenario), "--out", str(out), "--no-history"],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        preexec_fn=_limited(200),  # the lock file's pid fits; results.json does not
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"error: cannot write {out / 'results.json'}: File too large"
    no_traceback(done)
    assert not (out / "runs").exists() and not (out / "results.json").exists()


def test_a_run_folder_outside_the_suite_folder_is_refused(tmp_path: Path) -> None:
    folder = fixture_folder(tmp_path)
    data = read_json(folder / "results.json")
    data["runs"][1]["run_dir"] = "../../../../etc"
    (folder / "results.json").write_text(json.dumps(data))
    done = run_cli("report", str(folder), timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert "runs.1.run_dir: '../../../../etc' lies outside the suite's folder" in done.stderr
    assert not (folder / "report.md").exists() and not (folder / "report.html").exists()
    no_traceback(done)


# -- hangs ---------------------------------------------------------------------------------


def test_a_fifo_where_results_json_goes_is_refused_at_once_by_report_and_resume(tmp_path: Path) -> None:
    folder = fixture_folder(tmp_path)
    (folder / "results.json").unlink()
    os.mkfifo(folder / "results.json")
    started = time.monotonic()
    done = run_cli("report", str(folder), timeout=DEADLINE_S)
    assert done.returncode == 2 and "results.json: is a FIFO, not a regular file" in done.stderr, done.stderr
    scenario = REPO / "tests" / "data" / "fixture_suite.yaml"
    resumed = run_cli(str(scenario), "--resume", str(folder), "--no-history", timeout=DEADLINE_S)
    assert resumed.returncode == 2 and "results.json: is a FIFO, not a regular file" in resumed.stderr
    assert time.monotonic() - started < DEADLINE_S
    no_traceback(resumed)


def test_a_job_summary_that_is_a_fifo_nobody_reads_never_blocks(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, SUITE)
    fifo = tmp_path / "summary"
    os.mkfifo(fifo)
    done = run_cli(
        str(scenario), "--out", str(tmp_path / "out"), env={"GITHUB_STEP_SUMMARY": str(fifo)}, timeout=DEADLINE_S
    )
    assert done.returncode == 2, done.stderr
    assert f"$GITHUB_STEP_SUMMARY {fifo} is a FIFO, not a regular file" in done.stderr
    assert not (tmp_path / "out").exists()


HANGING = """#!/bin/sh
# An interpreter that answers nothing; what it forks must not outlive its check.
echo asked >> {count}
sleep 300 {marker} &  # GNU sleep adds its arguments: the marker, a number, names it among the processes
sleep 300
"""
SLOW = f"""#!/bin/sh
# Answers as an interpreter would, after {{delay}} s.
sleep {{delay}}
exec {sys.executable} "$@"
"""


def _pids_running(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_an_interpreter_that_hangs_is_asked_once_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = f"{os.getpid()}{time.monotonic_ns()}"
    hang = tmp_path / "hang"
    hang.write_text(HANGING.format(marker=marker, count=tmp_path / "count"))
    hang.chmod(0o755)
    monkeypatch.setattr(interpreters, "ASK_TIMEOUT_S", 1.5)
    monkeypatch.setattr(interpreters, "_KNOWN", {})
    started = time.monotonic()
    configs = [{"server": "uvicorn"}, {"server": "gunicorn", "worker_class": "gevent"}, {"server": "hypercorn"}]
    for index, fields in enumerate(configs):  # three configs naming it, one wait
        config = ServerConfig.model_validate({**fields, "app": "a:b", "python": str(hang)})
        ((where, message),) = interpreter_problems(f"s{index}", config, tmp_path)
        assert where == ("servers", f"s{index}", "python") and message == f"{hang} did not answer within 1.5 s"
    assert (tmp_path / "count").read_text() == "asked\n"  # started once, not three times
    assert time.monotonic() - started < 3
    deadline = time.monotonic() + 5
    while _pids_running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pids_running(marker) == []  # its whole process group went, what it forked included


def test_interpreters_of_several_configs_are_asked_in_parallel_once_each(tmp_path: Path) -> None:
    pythons = []
    for name in ("a", "b", "c"):
        slow = tmp_path / f"python-{name}"
        slow.write_text(SLOW.format(delay=2))
        slow.chmod(0o755)
        pythons.append(slow)
    scenario = write_scenario(
        tmp_path,
        "servers:\n"
        + "".join(
            f"  {p.name}-{i}: {{server: uvicorn, app: apps.asgi_app:app, python: {p}}}\n"
            for p in pythons
            for i in range(3)
        )
        + "scenarios:\n  - {name: s, mix: [{path: /fast}]}\n",
    )
    started = time.monotonic()
    done = run_cli("validate", str(scenario), timeout=DEADLINE_S)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "valid; 9 runs" in done.stdout
    assert took < 2 * 3, f"nine configs naming three interpreters of 2 s took {took:.1f} s: not one wait each, at once"


# -- checks that come too late or say too little --------------------------------------------


@pytest.mark.parametrize(
    ("objective", "line", "message"),
    [
        ('{p99_ms: "< 0"}', "capacity.p99_ms", "a latency is always above 0 ms: '< 0' is never met"),
        ('{error_rate: "< 0"}', "capacity.error_rate", "error_rate is never below 0: '< 0' is never met"),
        ('{error_rate: "> 2"}', "capacity.error_rate", "an error rate is a fraction from 0 to 1 (5% is 0.05), not 2"),
        ('{p99_ms: "> 500"}', "capacity.p99_ms", "'> 500' is inverted for a capacity search"),
        ('{p50_ms: "< 10", p99_ms: "< 5"}', "capacity.p50_ms", "p50_ms '< 10' with p99_ms '< 5': p99_ms is never"),
    ],
)
def test_capacity_objectives_no_rate_can_meet_are_exit_2(
    tmp_path: Path, objective: str, line: str, message: str
) -> None:
    scenario = write_scenario(
        tmp_path,
        "servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n"
        f"  - name: cap\n    mode: open\n    rate: auto\n    capacity: {objective}\n    mix: [{{path: /fast}}]\n",
    )
    done = run_cli(str(scenario), "--out", str(tmp_path / "out"), timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert f"suite.yaml:7: scenarios.0.{line}: {message}" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_protocol_relative_mix_path_is_refused(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        SUITE.replace("mix: [{path: /fast}]", "mix: [{path: /fast}, {path: //evil.example/x}]"),
    )
    done = run_cli("validate", str(scenario), timeout=DEADLINE_S)
    assert done.returncode == 2
    assert "suite.yaml:5: scenarios.0.mix.1.path: must start with exactly one /" in done.stderr


@pytest.mark.parametrize(
    ("locustfile", "message"),
    [
        ("/etc/passwd", "'/etc/passwd' is not a Python file (.py): Locust imports a locustfile as a module"),
        ("broken.py", "'broken.py' is not valid Python (line 1: "),
        ("fifo.py", "file 'fifo.py' is not a file"),
    ],
)
def test_a_locustfile_must_be_an_existing_python_file(tmp_path: Path, locustfile: str, message: str) -> None:
    (tmp_path / "broken.py").write_text("def (:\n")
    os.mkfifo(tmp_path / "fifo.py")
    scenario = write_scenario(
        tmp_path,
        SUITE.replace("mix: [{path: /fast}]", f"locustfile: {locustfile}"),
    )
    done = run_cli(str(scenario), "--out", str(tmp_path / "out"), timeout=DEADLINE_S)
    assert done.returncode == 2
    assert f"suite.yaml:5: scenarios.0.locustfile: {message}" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def _history_with(db: Path, server: str, rps: Any) -> None:
    history.append(db, "nightly", 1.0, Path("/out"), history.Environment(), 0, [])  # creates the tables
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO metrics VALUES (1, 'paced', ?, 'users=2', 2, ?, 1.0, 2.0, 3.0, 0.0, 0.01)", (server, rps)
        )


def test_history_with_text_where_a_number_goes_is_refused_with_a_message(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    _history_with(db, "u", "fast")
    done = run_cli("history", "--db", str(db), timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert "suite 1: rps holds 'fast' where a number or nothing goes" in done.stderr
    no_traceback(done)


def test_history_shows_terminal_escapes_in_names_as_text(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    _history_with(db, "\x1b[2J\x1b]0;pwned\x07evil", 12.5)
    done = run_cli("history", "--db", str(db), timeout=DEADLINE_S)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout
    assert "\\x1b[2J\\x1b]0;pwned\\x07evil" in done.stdout


def test_report_md_shows_html_from_names_as_text(tmp_path: Path) -> None:
    folder = fixture_folder(tmp_path)
    data = read_json(folder / "results.json")
    data["suite"] = "<script>alert(1)</script>"
    run = data["runs"][0]
    run["server"] = "<img src=x onerror=alert(2)>"
    name = next(iter(run["endpoints"]))
    run["endpoints"]["![pixel](http://tracker.example/p.png)<b>"] = run["endpoints"].pop(name)
    run["flags"] = [{"kind": "errors", "message": "<details open><summary>x</summary>"}]
    (folder / "results.json").write_text(json.dumps(data))
    done = run_cli("report", str(folder), timeout=DEADLINE_S)
    assert done.returncode == 0, done.stderr
    report = (folder / "report.md").read_text()
    for raw in ("<script", "<img", "<b>", "<details open"):
        assert raw not in report, raw
    assert not re.search(r"(?<!\\)\]\(http", report)  # no link or image: its brackets are escaped
    assert "# Suite &lt;script>alert(1)&lt;/script>" in report
    assert "!\\[pixel\\](http://tracker.example/p.png)&lt;b>" in report


def test_a_mix_name_that_a_spreadsheet_would_run_is_refused(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path, SUITE.replace("mix: [{path: /fast}]", "mix: [{path: /fast, name: \"=cmd|' /C calc'!A0\"}]")
    )
    done = run_cli("validate", str(scenario), timeout=DEADLINE_S)
    assert done.returncode == 2
    assert "scenarios.0.mix.0.name: begins with '=': Locust's CSV files carry names as they are" in done.stderr
    assert "begins with =, +, - or @ as a formula" in done.stderr


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda run: run.__setitem__("rps", float("nan")), "runs.0: rps is nan: a count or a measurement is a finite"),
        (lambda run: run["latency_ms"].__setitem__("p99", float("inf")), "runs.0.latency_ms: p99 is inf: a count"),
        (lambda run: run.__setitem__("failures", -5), "runs.0: failures is -5: a count or a measurement is a finite"),
    ],
)
def test_nan_infinity_and_negative_counts_in_results_are_refused(tmp_path: Path, change: Any, field: str) -> None:
    folder = fixture_folder(tmp_path)
    data = read_json(folder / "results.json")
    change(data["runs"][0])
    (folder / "results.json").write_text(json.dumps(data))
    done = run_cli("report", str(folder), timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert field in done.stderr
    no_traceback(done)


def _repository_that_moved_its_app(tmp_path: Path) -> Path:
    """A git repository whose app lived in old/ at HEAD~1 and lives in svc/ now."""
    repo = tmp_path / "repo"
    (repo / "old").mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=DEADLINE_S)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (repo / "old" / "shop.py").write_text("async def app(scope, receive, send):\n    pass\n")
    git("add", "-A")
    git("commit", "-q", "-m", "the app in old/")
    git("mv", "old", "svc")
    git("commit", "-q", "-m", "the app moves to svc/")
    return repo


def test_against_a_ref_where_the_app_dir_does_not_exist_is_exit_2_before_any_run(tmp_path: Path) -> None:
    repo = _repository_that_moved_its_app(tmp_path)
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          shop: {{server: uvicorn, app: shop:app, app_dir: {repo / "svc"}}}
        scenarios:
          - {{name: buy, mix: [{{path: /buy}}]}}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--against", "HEAD~1", "--out", str(out), "--no-history", timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert f"error: --against HEAD~1: servers.shop.app_dir: directory 'HEAD~1:svc' does not exist (in {repo})" in (
        done.stderr
    )
    assert not out.exists()
    listed = subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True, check=True)
    assert len(listed.stdout.splitlines()) == 1  # the worktree made for the check is gone


@pytest.mark.parametrize("where", ["scenario", "baseline", "history", "history-command"])
def test_a_fifo_where_the_suite_reads_is_refused_at_once(tmp_path: Path, where: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    scenario = write_scenario(tmp_path, SUITE)
    args = {
        "scenario": ["validate", str(fifo)],
        "baseline": [str(scenario), "--baseline", str(fifo), "--out", str(tmp_path / "out")],
        "history": [str(scenario), "--history", str(fifo), "--out", str(tmp_path / "out")],
        "history-command": ["history", "--db", str(fifo)],
    }[where]
    done = run_cli(*args, timeout=DEADLINE_S)
    assert done.returncode == 2, done.stderr
    assert "is a FIFO, not a regular file" in done.stderr
    assert not (tmp_path / "out").exists()
    no_traceback(done)


@pytest.mark.parametrize(
    ("command", "signum"),
    [("run", signal.SIGTERM), ("run", signal.SIGHUP), ("validate", signal.SIGINT), ("ui", signal.SIGTERM)],
)
def test_a_signal_during_the_checks_before_the_runs_stops_the_suite_at_once(
    tmp_path: Path, command: str, signum: int
) -> None:
    """The first signal ends a check that hangs (an interpreter that never answers) at once,
    whatever the command, and what the check started goes with it."""
    marker = f"{os.getpid()}{time.monotonic_ns()}"
    hang = tmp_path / "hang"
    hang.write_text(HANGING.format(marker=marker, count=tmp_path / "count"))
    hang.chmod(0o755)
    scenario = write_scenario(
        tmp_path,
        SUITE.replace("app: apps.asgi_app:app}", f"app: apps.asgi_app:app, python: {hang}}}"),
    )
    args = {
        "run": [str(scenario), "--out", str(tmp_path / "out")],
        "validate": ["validate", str(scenario)],
        "ui": ["ui", str(scenario), "--server", "u", "--logs", str(tmp_path / "out")],
    }[command]
    running = start_cli(*args)
    deadline = time.monotonic() + DEADLINE_S
    while not _pids_running(marker):
        assert time.monotonic() < deadline and running.poll() is None, "the check never began"
        time.sleep(0.05)
    sent = time.monotonic()
    running.send_signal(signum)
    _, err = running.communicate(timeout=DEADLINE_S)
    assert running.returncode == 128 + signum, err
    assert time.monotonic() - sent < 5  # not the 30 s the check may take
    if command == "run":
        assert f"interrupted before anything started (interrupted by {signal.Signals(signum).name})" in err
    deadline = time.monotonic() + 5
    while _pids_running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pids_running(marker) == [] and not (tmp_path / "out").exists()
    no_traceback(subprocess.CompletedProcess([], 0, "", err))
