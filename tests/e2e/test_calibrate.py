"""`run_suite.py calibrate` for real, shortened."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_cli


def test_calibrate_reports_the_locust_ceiling(tmp_path: Path) -> None:
    out = tmp_path / "cal"
    done = run_cli("calibrate", "--duration", "2s", "--users", "20", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "one Locust process drove" in done.stdout
    summary = json.loads((out / "calibration.json").read_text())
    assert summary["status"] == "ok" and summary["locust_rps"] > 100
    assert summary["locust_cpu_percent"]["mean"] is not None
    # Saturated means Locust spent half the window or more above 90% of its core.
    assert summary["locust_saturated"] is (summary["locust_share_above_90_percent"] >= 0.5)
    verdict = "was the limit" if summary["locust_saturated"] else "was not saturated"
    assert verdict in done.stdout
    assert summary["affinity"]["server"] != summary["affinity"]["loadgen"]
    if shutil.which("wrk"):
        assert summary["wrk_rps"] > 100 and "wrk got" in done.stdout
    else:
        assert summary["wrk_rps"] is None and "install Debian's wrk" in done.stdout


def test_calibrate_rejects_bad_arguments(tmp_path: Path) -> None:
    done = run_cli("calibrate", "--duration", "10x", "--out", str(tmp_path / "c"))
    assert done.returncode == 2 and "--duration must be a duration" in done.stderr
