"""A child's environment is an allow-list plus what the suite and the config set (pure)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perfsuite.plan.format import Suite, SuiteFile
from perfsuite.plan.runs import build_plan
from perfsuite.run.children import TOKEN_VARIABLE, child_environment, server_environment

LEAKY = {
    "GUNICORN_CMD_ARGS": "--max-requests 20",
    "WEB_CONCURRENCY": "8",
    "UVICORN_WORKERS": "4",
    "GRANIAN_WORKERS": "4",
    "LOCUST_PROCESSES": "4",
    "PYTHONPATH": "/somewhere/else",
    "PYTHONHASHSEED": "1",
}


def suite(tmp_path: Path, **server: object) -> Suite:
    declared = SuiteFile.model_validate(
        {
            "servers": {"s": {"server": "gunicorn", "app": "apps.wsgi_app:app", **server}},
            "scenarios": [{"name": "x", "mix": [{"name": "fast", "path": "/fast"}]}],
        }
    )
    return Suite(name="t", source=tmp_path / "t.yaml", base_dir=tmp_path, declared=declared)


def test_the_callers_variables_do_not_reach_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in LEAKY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LC_TIME", "C")
    env = child_environment("tok")
    assert not set(LEAKY) & set(env.full)
    assert env.full["PATH"] == os.environ["PATH"] and env.full["LC_TIME"] == "C"
    assert env.set_by_suite == {TOKEN_VARIABLE: "tok", "PYTHONUNBUFFERED": "1"}


def test_a_server_gets_its_app_dir_and_what_its_config_declares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in LEAKY.items():
        monkeypatch.setenv(name, value)
    declared = {"WEB_CONCURRENCY": "2", "PYTHONPATH": "/extra"}
    loaded = suite(tmp_path, env=declared, app_dir="app")
    plan = build_plan(loaded)[0]
    env = server_environment(plan, loaded, "tok", upstream_url="http://127.0.0.1:9")
    full = env.full
    assert full["PYTHONPATH"] == f"{(tmp_path / 'app').resolve()}{os.pathsep}/extra"  # the caller's never
    assert full["WEB_CONCURRENCY"] == "2" and full["UPSTREAM_URL"] == "http://127.0.0.1:9"
    assert "GUNICORN_CMD_ARGS" not in full and "PYTHONHASHSEED" not in full
    assert env.set_by_suite["WEB_CONCURRENCY"] == "2"  # recorded in results.json as set
