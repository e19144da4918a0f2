"""report.md and report.html against golden files, and the page in a real browser.

The fixture (tests/data/fixture_run/) is a real run of
tests/data/fixture_suite.yaml: results.json plus each run's Locust history
and timing files. Regenerate the golden files after an intended change with
PERFSUITE_UPDATE_GOLDEN=1 python3 run_tests.py tests/test_html.py
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from perfsuite.record.results import read_results
from perfsuite.report.files import write_reports

DATA = Path(__file__).parent / "data" / "fixture_run"
GOLDEN = Path(__file__).parent / "golden"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "reports" / "test-screenshots"


@pytest.fixture()
def rendered(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(DATA, out)
    write_reports(out, read_results(out))
    return out


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
    shutil.copytree(DATA, again)
    write_reports(again, read_results(again))
    for name in ("report.md", "report.html"):
        assert (again / name).read_bytes() == (rendered / name).read_bytes()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_page_in_headless_chromium(rendered: Path) -> None:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.goto((rendered / "report.html").as_uri())
            page.wait_for_load_state("networkidle")
            charts = page.locator("figure.chart")
            assert charts.count() == 8
            for index in range(charts.count()):
                box = charts.nth(index).locator("svg").bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 80, index
            titles = {charts.nth(i).get_attribute("data-chart") for i in range(charts.count())}
            assert titles == {"burst elapsed", "throughput and latency", "over time", "resources"}
            assert page.locator("section.scenario").count() == 3
            assert page.locator(".box.errors").count() == 2  # failed runs; violated SLOs and a regression
            assert page.locator("#slo tr").count() == 13 and page.locator("#baseline").count() == 1
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOTS / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000
        finally:
            browser.close()
    assert requests == [(rendered / "report.html").as_uri()], requests
