"""Scenario file -> validated Suite, or every problem at once.

Each problem names the file, the line where it can be known, and the field's
path (`servers.gunicorn-sync-1.workers: must be an integer >= 1, got 0`).
The jobs, in order: the YAML with each key's line (plan.yamlfile); the
format, pydantic's errors put in the format's words (plan.messages); the
rules across fields, section by section (plan.rules), with the checks
against this machine (plan.preflight). A file with format errors still has
its valid parts checked across fields, so every problem shows at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from perfsuite.plan import rules
from perfsuite.plan.format import LoadSettings, Scenario, ServerConfig, Suite, SuiteFile
from perfsuite.plan.messages import validation_problems
from perfsuite.plan.preflight import with_interpreters
from perfsuite.plan.problems import Problem, ScenarioError, located
from perfsuite.plan.yamlfile import read_yaml

__all__ = ["Problem", "ScenarioError", "load_suite"]


def load_suite(path: Path) -> Suite:
    """Read and validate a scenario file; raise ScenarioError listing every problem."""
    shown = str(path)
    data, lines = read_yaml(path)
    base_dir = path.resolve().parent
    try:
        declared = SuiteFile.model_validate(data)
    except ValidationError as error:
        problems = validation_problems(error, shown, lines)
        partial = _partial(data)
        if partial is not None:
            known = {(p.field, p.message) for p in problems}
            across = rules.problems(partial[0], base_dir, partial[1], partial[2])
            problems += [p for p in located(shown, across, lines) if (p.field, p.message) not in known]
        problems.sort(key=lambda p: p.line or 0)
        raise ScenarioError(problems) from None
    semantic = rules.problems(declared, base_dir)
    if semantic:
        raise ScenarioError(located(shown, semantic, lines))
    declared = with_interpreters(declared, base_dir)
    warnings = tuple(str(problem) for problem in located(shown, rules.warnings(declared), lines))
    return Suite(
        name=declared.name or path.stem, source=path.resolve(), base_dir=base_dir, declared=declared, warnings=warnings
    )


def _partial(data: Any) -> tuple[SuiteFile, list[int], set[str]] | None:
    """The parts of a file that are valid on their own, so the checks across
    fields run beside the format errors: every problem is listed at once.
    Returns them as a SuiteFile (unvalidated as a whole), the positions of its
    valid scenarios, and every server name the file declares."""
    if not isinstance(data, dict):
        return None

    def valid(model: type[Any], raw: Any) -> Any:
        try:
            return model.model_validate(raw)
        except ValidationError:
            return None

    raw_servers: dict[Any, Any] = data["servers"] if isinstance(data.get("servers"), dict) else {}
    servers = {name: found for name, raw in raw_servers.items() if (found := valid(ServerConfig, raw)) is not None}
    raw_scenarios: list[Any] = data["scenarios"] if isinstance(data.get("scenarios"), list) else []
    scenarios = [(index, found) for index, raw in enumerate(raw_scenarios) if (found := valid(Scenario, raw))]
    defaults = valid(LoadSettings, data.get("defaults", {})) or LoadSettings()
    declared = SuiteFile.model_construct(
        name=None, defaults=defaults, servers=servers, scenarios=[scenario for _, scenario in scenarios]
    )
    return declared, [index for index, _ in scenarios], {str(name) for name in raw_servers}
