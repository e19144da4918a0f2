"""report.md and report.html against golden files (tests/golden/).

The fixture (tests/data/fixture_run/, rendered by conftest's `rendered`) is a
real run of tests/data/fixture_suite.yaml: results.json plus each run's Locust
history and timing files. Regenerate the golden files after an intended change
with PERFSUITE_UPDATE_GOLDEN=1 python3 run_tests.py tests/unit/test_html.py
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from perfsuite.record.results import read_results
from perfsuite.report.files import write_reports
from tests.conftest import FIXTURE_RUN

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


@pytest.mark.parametrize("name", ["report.md", "report.html"])
def test_matches_the_golden_file(rendered: Path, name: str) -> None:
    produced = (rendered / name).read_text(encoding="utf-8")
    golden = GOLDEN / name
    if os.environ.get("PERFSUITE_UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8"), f"{name} changed; see the module docstring to regenerate"


def test_html_is_self_contained(rendered: Path) -> None:
    html = (rendered / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no remote resources"
    assert "<script" not in html
    assert html.count('<figure class="chart"') == html.count("<svg") == 8
    assert 'href="runs/007-io-concurrent-uvicorn-pool-1-u4-r1/locust.html"' in html
    assert "⚠ model mismatch" in html and "server exited with code 3 before it was ready" in html
    for fact in ("AMD EPYC", "2.47.0", "0" * 40, "[0.1, 0.2, 0.3]"):
        assert fact in html  # the environment fingerprint


def test_report_is_byte_for_byte_reproducible(rendered: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    shutil.copytree(FIXTURE_RUN, again)
    write_reports(again, read_results(again))
    for name in ("report.md", "report.html"):
        assert (again / name).read_bytes() == (rendered / name).read_bytes()
