"""junit.xml from a verdict (pure): one case per SLO check, comparison and failed run."""

from __future__ import annotations

from pathlib import Path

from perfsuite.judge.verdict import read
from perfsuite.report.junit import build

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_run"


def test_cases_and_failures_per_group() -> None:
    verdict = read(FIXTURE)
    assert verdict is not None
    root = build("fixture", verdict).getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"fixture.slo", "fixture.baseline", "fixture.runs"}
    slo = suites["fixture.slo"]
    assert slo.get("tests") == str(len(verdict.slo))
    assert slo.get("failures") == str(len(verdict.slo_failures)) == "5"
    classes = {case.get("classname") for case in slo.findall("testcase")}
    assert "slo.io-concurrent.broken.4_users" in classes
    failed = [c for c in slo.findall("testcase") if c.find("failure") is not None]
    assert any("measured 1300, allowed < 500" in (c.find("failure").get("message") or "") for c in failed)  # type: ignore[union-attr]
    (run,) = suites["fixture.runs"].findall("testcase")
    assert run.get("name") == "io-concurrent / broken / 4 users #1" and run.find("failure") is not None
    regressions = [c for c in suites["fixture.baseline"].findall("testcase") if c.find("failure") is not None]
    assert len(regressions) == len(verdict.regressions) == 1


def test_failed_requests_are_failing_cases() -> None:
    from perfsuite.judge.verdict import FailedRequests, Verdict
    from perfsuite.plan.key import Level, RunKey

    failed = FailedRequests(RunKey("s", "g", Level(users=2), 1), "9 of 9 requests failed (100.0%): 500 x 9")
    root = build("x", Verdict(failed_requests=[failed])).getroot()
    (suite,) = root.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("x.requests", "1", "1")
    (case,) = suite.findall("testcase")
    assert case.get("classname") == "requests.s.g.2_users" and case.get("name") == "errors #1"
    assert case.find("failure").get("message") == failed.message  # type: ignore[union-attr]
