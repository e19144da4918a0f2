"""DIR/junit.xml: one test case per SLO check and per regression check, plus
one per failed run and per run whose requests failed beyond what its scenario
allows, so CI systems show them natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from perfsuite.io.files import write_file
from perfsuite.judge.compare import REGRESSION
from perfsuite.judge.verdict import Verdict
from perfsuite.plan.key import GroupKey

JUNIT_FILE = "junit.xml"


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _where(key: GroupKey) -> str:
    """A JUnit class name: scenario.server.level, as since schema 1 (10_users, sequential)."""
    return f"{key.scenario}.{key.server}.{str(key.level).replace(' ', '_')}"


def build(suite: str, verdict: Verdict) -> ET.ElementTree:
    root = ET.Element("testsuites", name=f"perfsuite {suite}")
    cases: list[tuple[str, ET.Element]] = []

    def case(group: str, classname: str, name: str, failure: str | None = None, skipped: str | None = None) -> None:
        element = ET.Element("testcase", classname=classname, name=name, time="0")
        if failure is not None:
            ET.SubElement(element, "failure", message=failure, type="failure").text = failure
        if skipped is not None:
            ET.SubElement(element, "skipped", message=skipped)
        cases.append((group, element))

    for check in verdict.slo:
        name = f"{check.endpoint + '.' if check.endpoint else ''}{check.metric} {check.allowed}"
        failure = None if check.passed else f"measured {_fmt(check.measured)}, allowed {check.allowed}"
        case("slo", f"slo.{_where(check.key)}", name, failure)
    for entry in verdict.baseline or []:
        for c in entry.comparisons:
            message = (
                f"{c.metric}: baseline {_fmt(c.baseline)}, now {_fmt(c.candidate)} "
                f"({c.ratio - 1:+.1%}, threshold {c.threshold:.0%}); {c.verdict}; {c.basis}"
            )
            case("baseline", f"baseline.{_where(entry.key)}", c.metric, message if c.verdict == REGRESSION else None)
    for key in verdict.failed_runs:
        case("runs", "runs", key.label, "the run failed; see report.md")
    for item in verdict.failed_requests:
        case("requests", f"requests.{_where(item.key.group)}", f"errors #{item.key.repeat}", item.message)
    for message in verdict.capacity_unmet:
        case("capacity", "capacity", message.partition(":")[0], message)
    for group in ("slo", "baseline", "runs", "requests", "capacity"):
        members = [element for g, element in cases if g == group]
        if not members:
            continue
        suite_element = ET.SubElement(
            root,
            "testsuite",
            name=f"{suite}.{group}",
            tests=str(len(members)),
            failures=str(sum(m.find("failure") is not None for m in members)),
        )
        suite_element.extend(members)
    ET.indent(root)
    return ET.ElementTree(root)


def write(directory: Path, suite: str, verdict: Verdict) -> Path:
    root = build(suite, verdict).getroot()
    assert root is not None
    text = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return write_file(directory / JUNIT_FILE, text)
