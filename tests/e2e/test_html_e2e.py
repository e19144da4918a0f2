"""report.html opened in a real browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "test-screenshots"


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
