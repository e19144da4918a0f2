"""results.json: typed sections, schema 3 written, schema 1 (tests/data/fixture_run) still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfsuite.plan.key import Level, RunKey
from perfsuite.record.results import SCHEMA_VERSION, SchemaVersionError, read_results, write_results

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_run"


def test_a_schema_1_folder_reads_into_the_typed_model() -> None:
    assert json.loads((FIXTURE / "results.json").read_text())["schema_version"] == 1
    results = read_results(FIXTURE)
    assert results.schema_version == SCHEMA_VERSION == 9
    io = next(r for r in results.runs if r.scenario == "io-concurrent" and r.server == "uvicorn-1")
    assert io.key == RunKey("io-concurrent", "uvicorn-1", Level(users=4), 1) and io.level == "users=4"
    assert io.server_resources is not None and io.server_resources.cpu_percent.mean == 25.7
    assert io.server_resources.uss_mb.per_process == {"8721": 26.93}
    assert io.upstream is not None and io.upstream.stats is not None and io.upstream.stats.requests == 222
    assert io.model is not None and io.model.applies and io.model.bound == "users" and io.model.slots is None
    assert io.affinity.server == [0] and io.settings.duration_s == 2.0
    pool = next(r for r in results.runs if r.server == "uvicorn-pool-1")
    assert [flag.kind for flag in pool.flags] == ["model_mismatch"]
    burst = results.runs[2]
    assert burst.key.level == Level(order="concurrent")
    assert results.environment.cpu_count is not None and results.environment.packages["locust"]


def test_written_as_schema_9_and_read_back_unchanged(tmp_path: Path) -> None:
    results = read_results(FIXTURE)
    write_results(tmp_path, results)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["schema_version"] == 9 and data["capacity"] == [] and data["sizing"] == []
    # What users' scripts read keeps its name and shape.
    run = data["runs"][5]
    for name in ("scenario", "server", "status", "error", "requests", "failures", "rps", "elapsed_s", "latency_ms"):
        assert name in run
    assert run["model"]["applies"] is True and run["model"]["expected_rps"] == 37.707
    assert run["server_resources"]["cpu_percent"] == {"mean": 25.7, "peak": 32.0}
    assert run["level"] == "users=4" and run["child_env"] == {}
    assert read_results(tmp_path) == results
    assert run["stream"] is None and run["connections"] is None  # a stream run's only (schema 7)


@pytest.mark.parametrize("version", [0, 10, None, "2"])
def test_other_versions_are_refused(tmp_path: Path, version: object) -> None:
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": version, "suite": "x", "runs": []}))
    with pytest.raises(SchemaVersionError, match="is not supported"):
        read_results(tmp_path)
