"""The package's folders are phases, and a phase imports only those below it:
io < plan < record < {run, judge} < report < conduct < commands. run and
judge never import each other (measuring and judging stay apart); nothing
imports a command, and commands/ holds only commands; io (files, terminals,
signals) imports no phase at all."""

from __future__ import annotations

import ast
from pathlib import Path

import perfsuite

PACKAGE = Path(perfsuite.__file__).parent
ALLOWED = {
    "io": {"io"},
    "plan": {"io", "plan"},
    "record": {"io", "plan", "record"},
    "run": {"io", "plan", "record", "run"},
    "judge": {"io", "plan", "record", "judge"},
    "report": {"io", "plan", "record", "judge", "report"},
    "conduct": {"io", "plan", "record", "run", "judge", "report", "conduct"},
    "commands": {"io", "plan", "record", "run", "judge", "report", "conduct"},
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("perfsuite."):
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("perfsuite.")}
    return found


def phase_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in ALLOWED else None


def test_every_module_lives_in_a_phase_folder() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    # The entry points' .venv set-up (standard library only) and the dispatcher.
    assert top == ["__init__.py", "bootstrap.py", "cli.py"]
    for folder in ALLOWED:
        assert (PACKAGE / folder / "__init__.py").exists()


def test_no_phase_imports_upward() -> None:
    wrong = []
    for folder, allowed in ALLOWED.items():
        for path in sorted((PACKAGE / folder).glob("*.py")):
            for module in imports(path):
                target = phase_of(module)
                if target is not None and target not in allowed:
                    wrong.append(f"{folder}/{path.name} imports {module}")
    assert wrong == []


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(("perfsuite", *path.relative_to(PACKAGE).with_suffix("").parts))
        graph[name] = {m for m in imports(path) if m in {*graph, *_all_modules()}}
    seen: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for nxt in graph.get(node, set()):
            assert seen.get(nxt) != 1, " -> ".join([*stack, node, nxt])
            if nxt not in seen:
                visit(nxt, [*stack, node])
        seen[node] = 2

    for node in graph:
        if node not in seen:
            visit(node, [])


def _all_modules() -> set[str]:
    return {".".join(("perfsuite", *p.relative_to(PACKAGE).with_suffix("").parts)) for p in PACKAGE.rglob("*.py")}


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    wrong = tmp_path / "bad.py"
    wrong.write_text("from perfsuite.run.process import ManagedProcess\nimport perfsuite.judge.verdict\n")
    assert {phase_of(m) for m in imports(wrong)} == {"run", "judge"}


def test_commands_holds_only_commands() -> None:
    """One module per command, each one the CLI dispatches to; what commands share lives in conduct/."""
    from perfsuite.cli import COMMANDS

    modules = sorted(path.stem for path in (PACKAGE / "commands").glob("*.py") if path.stem != "__init__")
    assert modules == sorted([*COMMANDS, "run"])
