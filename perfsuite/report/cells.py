"""The cells of a report's tables and the figures in them (pure): how a number,
a percentile and a rate are shown, and which runs are ranked."""

from __future__ import annotations

from dataclasses import dataclass

from perfsuite.record.results import Flag, RunResult

FLAG_LABELS = {
    "errors": "errors",
    "loadgen_saturated": "load generator saturated",
    "upstream_slow": "upstream slow",
    "model_mismatch": "model mismatch",
    "loadgen_behind": "load generator behind",
    "overloaded": "overloaded",
    "streams_cut": "streams cut",
    "messages_lost": "messages lost",
    "event_failed": "event failed",
}


def number(value: float | None, digits: int = 1) -> str:
    """A figure for a table: thousands separated above 1000, a dash for none."""
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ms_text(value: float | None) -> str:
    """A percentile in ms at the precision it was measured with: whole where
    whole (a schema-1/2 bucket), else 3 significant figures (0.412, 4.56, 78.9)."""
    if value is None:
        return "–"
    if float(value).is_integer() or abs(value) >= 100:
        return number(value, 0)
    return f"{value:.3g}"


def rps_text(value: float | None) -> str:
    return number(value, 2 if value is not None and value < 100 else 1)


@dataclass(frozen=True)
class Cell:
    """One table cell. kind: "" (a number), "text", "error" (spans `span`
    columns), "flags" (labels), "held"/"violated", "regression"/"improvement"."""

    text: str
    kind: str = ""
    span: int = 1
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Cell]]


def text_cell(value: str) -> Cell:
    return Cell(value, "text")


def ranked(run: RunResult) -> bool:
    """A run is ranked against the others only if it succeeded and its requests did (its `errors` flag)."""
    return run.ok and not any(flag.kind == "errors" for flag in run.flags)


NOT_RANKED = "not ranked: requests failed"


def flags_cell(flags: list[Flag]) -> Cell:
    """A run's flags, labelled, beside its numbers."""
    labels = tuple(FLAG_LABELS.get(f.kind, f.kind) for f in flags)
    return Cell(", ".join(f"⚠ {label}" for label in labels), "flags", labels=labels)
