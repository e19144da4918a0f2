"""The documentation stays true: generated files match their models, every
relative link resolves, and the README stays short."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from perfsuite.commands.docs import PAGES
from perfsuite.commands.schema import SCHEMAS
from perfsuite.commands.schema import text as schema_text
from perfsuite.plan.schema import json_schema
from perfsuite.report.reference import type_text
from tests.conftest import REPO

DOCUMENTS = sorted([REPO / "README.md", REPO / "CONTRIBUTING.md", REPO / "CHANGELOG.md", *(REPO / "docs").glob("*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("path", list(SCHEMAS), ids=lambda p: p.name)
def test_shipped_schemas_are_generated_from_the_models(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == schema_text(path), "run: python3 run_suite.py schema --write"


def test_the_scenario_schema_names_the_top_level_fields() -> None:
    shipped = json.loads((REPO / "scenarios" / "schema.json").read_text())
    assert set(shipped["properties"]) == {"name", "defaults", "servers", "scenarios"}


@pytest.mark.parametrize("path", list(PAGES), ids=lambda p: p.name)
def test_reference_pages_are_generated_from_the_models(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == PAGES[path](), "run: python3 run_suite.py docs --write"


def test_every_field_of_the_models_has_a_description() -> None:
    """A blank cell in a reference page is a field nobody explained."""
    for path, render in PAGES.items():
        blank = [line for line in render().splitlines() if line.startswith("| `") and line.endswith("|  |")]
        assert blank == [], f"{path.name}: fields without a description: {blank}"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_\[\]()]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"^#{1,6} ", line)}


def links(path: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for target in links(path):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto: leave the repository
            continue
        file, _, anchor = target.partition("#")
        found = (path.parent / file).resolve() if file else path
        if not found.exists():
            broken.append(f"{target}: no such file")
        elif anchor and found.suffix == ".md" and anchor not in anchors(found):
            broken.append(f"{target}: no heading #{anchor} in {found.name}")
    assert broken == []


def test_the_link_checker_sees_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[ok](#title) [bad](missing.md) [bad anchor](#nope)\n```\n[in a fence](no.md)\n```\n")
    assert links(page) == ["#title", "missing.md", "#nope"] and anchors(page) == {"title"}


def test_the_readme_is_short_and_points_at_the_docs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    pages = {path.name for path in (REPO / "docs").glob("*.md")}
    linked = {Path(target.partition("#")[0]).name for target in links(REPO / "README.md") if target.startswith("docs/")}
    assert pages <= linked, f"docs pages the README does not point at: {sorted(pages - linked)}"


def test_types_read_as_words() -> None:
    assert type_text({"type": "integer", "minimum": 1, "maximum": 1024}) == "integer >= 1, <= 1024"
    assert type_text({"anyOf": [{"$ref": "#/$defs/Slo"}, {"type": "null"}]}) == "[Slo](#slo), or null"
    assert type_text({"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}}) == "list of number > 0"
    assert type_text({"enum": ["sync", "gthread"]}) == '`"sync"` or `"gthread"`'


def test_a_mix_entry_may_leave_its_name_out_in_the_schema_as_in_the_loader() -> None:
    mix_entry = json_schema()["$defs"]["MixEntry"]
    assert "name" not in mix_entry["required"] and "path" in mix_entry["required"]
