"""results.json: the versioned record of a suite, rewritten atomically after
every run so an interrupted suite keeps each finished run.

A reader refuses a file of another schema_version rather than guess.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"


class Latency(BaseModel):
    avg: float | None = None
    min: float | None = None
    max: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


class EndpointResult(BaseModel):
    requests: int
    failures: int
    rps: float
    latency_ms: Latency
    histogram: dict[str, int] = Field(default_factory=dict, description="Locust's bucketed ms -> count")


class Overhead(BaseModel):
    """Seconds the suite spends around a run: start to first request, and teardown."""

    start_s: float | None = None
    teardown_s: float | None = None
    total_s: float | None = None


class RunResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    index: int
    scenario: str
    server: str
    mode: Literal["steady", "burst"]
    order: Literal["sequential", "concurrent"] | None
    users: int
    repeat: int
    status: Literal["ok", "error"]
    error: str | None = None
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    elapsed_s: float = 0.0
    latency_ms: Latency = Field(default_factory=Latency)
    endpoints: dict[str, EndpointResult] = Field(default_factory=dict)
    run_dir: str = ""
    started_at: float = 0.0
    overhead: Overhead = Field(default_factory=Overhead)
    server_kind: str = ""
    server_argv: list[str] = Field(default_factory=list)
    server_env: dict[str, str] = Field(default_factory=dict, description="variables the suite set for the server")
    affinity: dict[str, list[int] | None] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict, description="warmup_s, duration_s, spawn_rate")
    server_resources: dict[str, Any] | None = Field(None, description="CPU and memory of the server's process tree")
    loadgen_resources: dict[str, Any] | None = None
    upstream_resources: dict[str, Any] | None = None
    upstream: dict[str, Any] | None = Field(None, description="configured delay and the upstream's own latency")
    model: dict[str, Any] | None = Field(None, description="what the config should achieve, beside what it did")
    flags: list[dict[str, str]] = Field(default_factory=list, description="reasons not to trust the numbers")
    loadgen: dict[str, Any] | None = Field(None, description="processes or workers, and what each worker sent")

    @property
    def level(self) -> str:
        """What distinguishes runs of one scenario and server: "10 users" or the burst order."""
        return self.order if self.order else f"{self.users} users"


class SuiteResults(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    suite: str
    source: str = ""
    started_at: float = 0.0
    finished_at: float | None = None
    interrupted: bool = False
    planned_runs: int = 0
    command: list[str] = Field(default_factory=list)
    environment: dict[str, Any] = Field(default_factory=dict, description="machine and package fingerprint")
    runs: list[RunResult] = Field(default_factory=list)


class SchemaVersionError(ValueError):
    pass


def write_results(directory: Path, results: SuiteResults) -> Path:
    """Write DIR/results.json atomically (temp file + rename in the same folder)."""
    target = directory / RESULTS_FILE
    fd, temp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(results.model_dump(mode="json"), file, indent=1)
            file.write("\n")
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def read_results(directory: Path) -> SuiteResults:
    data = json.loads((directory / RESULTS_FILE).read_text(encoding="utf-8"))
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{directory / RESULTS_FILE}: schema_version {version!r} is not supported "
            f"(this suite reads {SCHEMA_VERSION})"
        )
    return SuiteResults.model_validate(data)
