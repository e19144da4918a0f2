"""The command line's contracts: validate, schema, report, output-folder safety."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli, write_scenario

VALID = """\
servers:
  u: {server: uvicorn, app: apps.asgi_app:app}
scenarios:
  - {name: a, users: [1, 2], repeat: 2, mix: [{name: fast, path: /fast}]}
"""


def test_validate_counts_runs_and_starts_nothing(tmp_path: Path) -> None:
    done = run_cli("validate", str(write_scenario(tmp_path, VALID)))
    assert done.returncode == 0 and "valid; 4 runs" in done.stdout


def test_validate_reports_errors_with_exit_2(tmp_path: Path) -> None:
    done = run_cli("validate", str(write_scenario(tmp_path, VALID.replace("uvicorn,", "uvicron,"))))
    assert done.returncode == 2
    assert "servers.u.server: must be one of" in done.stderr and "did you mean 'uvicorn'" in done.stderr


@pytest.mark.parametrize(
    "name", ["seed.yaml", "all.yaml", "open.yaml", "capacity.yaml", "io_wait.yaml", "nightly.yaml"]
)
def test_shipped_scenarios_are_valid(name: str) -> None:
    assert run_cli("validate", f"scenarios/{name}").returncode == 0


def test_refuses_a_folder_that_holds_results(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("{}")
    done = run_cli(str(write_scenario(tmp_path, VALID)), "--out", str(out))
    assert done.returncode == 2 and "already holds results.json" in done.stderr
    assert (out / "results.json").read_text() == "{}"


def test_unwritable_output_folder(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        out = Path("/sys")  # root may write anywhere but here: sysfs takes no new files
    else:
        (tmp_path / "locked").mkdir(mode=0o500)
        out = tmp_path / "locked"
    done = run_cli(str(write_scenario(tmp_path, VALID)), "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot write to output folder {out}: "), done.stderr
    assert not (out / "runs").exists() and not (out / "results.json").exists()  # stopped before any run


def test_output_folder_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = run_cli(str(write_scenario(tmp_path, VALID)), "--out", str(blocker / "sub"))
    assert done.returncode == 2 and "cannot write to output folder" in done.stderr


def test_only_matching_nothing_is_invalid_input(tmp_path: Path) -> None:
    done = run_cli(str(write_scenario(tmp_path, VALID)), "--only", "nope/*", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "matches no run" in done.stderr


def test_report_refuses_another_schema_version(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": 99, "suite": "x", "runs": []}))
    done = run_cli("report", str(tmp_path))
    assert done.returncode == 2 and "schema_version 99 is not supported" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "99999"], "--port must be 1..65535, got 99999"),
        (["--web-host", "not-an-ip"], "--web-host not-an-ip: cannot listen there"),
    ],
)
def test_ui_arguments_are_checked_before_anything_starts(tmp_path: Path, args: list[str], message: str) -> None:
    scenario = write_scenario(
        tmp_path,
        "servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n  - {name: a, mix: [{name: f, path: /fast}]}\n",
    )
    done = run_cli("ui", str(scenario), "--server", "u", "--logs", str(tmp_path / "logs"), *args, timeout=60)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "logs").exists()  # nothing started, nothing written


FIXTURE = REPO / "tests" / "data" / "fixture_run"
BIG_INT = "9" * 5000


def copy_fixture(tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(FIXTURE, tmp_path / "run"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "results.json: schema_version None is not supported"),
        ('{"schema_version": 2, "suite": "x", "started_at": ' + BIG_INT + "}", "results.json: not valid JSON"),
        ('{"schema_version": 2, "suite": "x", "runs": [{"index": "a"}]}', "results.json: not a perfsuite results file"),
        ('{"schema_version": 2, "suite": "x", "runs": 5}', "results.json: not a perfsuite results file: runs"),
        ("\xff\xfe", "results.json: not valid JSON"),
    ],
)
def test_every_reader_of_a_results_folder_names_a_malformed_results_file(
    tmp_path: Path, text: str, message: str
) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "results.json").write_text(text, encoding="latin-1")
    done = run_cli("report", str(folder))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    scenario = REPO / "tests" / "data" / "fixture_suite.yaml"
    done = run_cli(str(scenario), "--resume", str(folder), "--no-history")
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("checks.json", "{", "checks.json: Expecting property name"),
        ("checks.json", '{"failed_runs": [5]}', "checks.json: not a perfsuite checks file"),
        ("trend.json", '{"a": 1}', "trend.json: not a list of trend rows"),
        ("trend.json", BIG_INT, "trend.json: Exceeds the limit"),
        ("runs/009-cpu-uvicorn-1-u4-r1/timing.json", "[]", "timing.json: not a JSON object"),
        ("runs/009-cpu-uvicorn-1-u4-r1/locust_stats_history.csv", 'x,"\n', "not Locust's stats history"),
        (
            "runs/009-cpu-uvicorn-1-u4-r1/locust_stats_history.csv",
            "Timestamp,Name,Total Request Count,95%\nnot-a-time,Aggregated,1,2\n",
            "not Locust's stats history (ValueError",
        ),
    ],
)
def test_a_malformed_file_beside_results_is_named_and_left_out(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    folder = copy_fixture(tmp_path)
    (folder / name).write_text(text)
    done = run_cli("report", str(folder))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert f"warning: {folder / name}" in done.stderr and message in done.stderr, done.stderr
    assert "# Suite fixture" in (folder / "report.md").read_text()


def test_outputs_written_at_the_end_are_checked_before_anything_starts(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, VALID)
    (tmp_path / "not.db").write_text("not sqlite")
    (tmp_path / "a-folder").mkdir()
    out = tmp_path / "out"
    done = run_cli(
        str(scenario),
        "--out",
        str(out),
        "--history",
        str(tmp_path / "not.db"),
        "--save-baseline",
        str(tmp_path / "a-folder"),
        env={"GITHUB_STEP_SUMMARY": str(tmp_path / "a-folder")},
    )
    assert done.returncode == 2, done.stderr
    assert "history file" in done.stderr and "not.db is not a perfsuite history (SQLite)" in done.stderr
    assert "--save-baseline" in done.stderr and "a-folder is a folder, not a file" in done.stderr
    assert "$GITHUB_STEP_SUMMARY" in done.stderr
    assert not out.exists()
    done = run_cli("history", "--db", str(tmp_path / "not.db"))
    assert done.returncode == 2 and "not a perfsuite history" in done.stderr and "Traceback" not in done.stderr
