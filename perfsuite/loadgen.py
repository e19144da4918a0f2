"""Locust as a subprocess: its argv for a run, and reading back what it wrote.

Locust runs in its own process (importing it monkey-patches everything with
gevent). Final numbers come from its --json-file output, never from the last
_stats.csv, which a 1 s timer rewrites and shutdown does not refresh.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfsuite.plan import RunPlan
from perfsuite.stats import EndpointStats, endpoints_from_locust_json

LOCUSTFILES = Path(__file__).resolve().parent.parent / "locustfiles"
LOCUST_PREFIX = "locust"  # locust_stats.csv, locust_stats_history.csv, locust.json, ...
TIMING_FILE = "timing.json"
GRACE_S = 30.0  # Locust start-up and shutdown beyond the planned time


def locustfiles_for(plan: RunPlan, base_dir: Path) -> str:
    if plan.mode == "burst":
        return str(LOCUSTFILES / "burst.py")
    if plan.scenario.locustfile is not None:
        own = (base_dir / plan.scenario.locustfile).resolve()
        return f"{LOCUSTFILES / '_window.py'},{own}"
    return str(LOCUSTFILES / "mix.py")


def time_limit_s(plan: RunPlan) -> float:
    """How long the suite lets Locust run before calling it hung."""
    return plan.warmup_s + plan.duration_s + GRACE_S


def locust_argv(plan: RunPlan, url: str, run_dir: Path, base_dir: Path) -> list[str]:
    prefix = str(run_dir / LOCUST_PREFIX)
    argv = [
        sys.executable, "-m", "locust",
        "-f", locustfiles_for(plan, base_dir),
        "--headless", "-H", url,
        "-u", str(plan.users), "-r", f"{plan.spawn_rate:g}",
        # Locust's own limit is a backstop only; _window.py ends the run on time.
        "-t", f"{math.ceil(plan.warmup_s + plan.duration_s) + 10}s",
        "--csv", prefix, "--csv-full-history",
        "--json-file", prefix,
        "--html", str(run_dir / "locust.html"),
        "--only-summary",
        "--exit-code-on-error", "0",  # failures are data; a non-zero exit means Locust broke
        "--timing-file", str(run_dir / TIMING_FILE),
    ]  # fmt: skip
    if plan.mode == "burst":
        argv += ["--order", plan.order or "sequential"]
    else:
        argv += ["--warmup", f"{plan.warmup_s:g}", "--duration", f"{plan.duration_s:g}"]
    mix = plan.mix_json()
    if mix is not None:
        argv += ["--mix", mix]
    return argv


@dataclass(frozen=True)
class LoadOutcome:
    endpoints: dict[str, EndpointStats]
    timing: dict[str, Any]


class OutcomeError(Exception):
    pass


def read_outcome(run_dir: Path) -> LoadOutcome:
    try:
        data = json.loads((run_dir / f"{LOCUST_PREFIX}.json").read_text(encoding="utf-8"))
        timing = json.loads((run_dir / TIMING_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise OutcomeError(f"Locust wrote no {Path(error.filename).name}") from None
    except (OSError, ValueError) as error:
        raise OutcomeError(f"cannot read Locust's output: {error}") from None
    return LoadOutcome(endpoints=endpoints_from_locust_json(data), timing=timing)
