"""Writing a folder's reports: the CI job summary stays under GitHub's 1 MiB."""

from __future__ import annotations

from pathlib import Path

from perfsuite.report.files import STEP_SUMMARY_BYTES, step_summary


def test_a_summary_that_fits_is_whole() -> None:
    assert step_summary("# Suite\n| a |\n", Path("r.html")) == "# Suite\n| a |\n"


def test_a_large_summary_is_cut_at_a_line_with_a_pointer() -> None:
    text = "".join(f"| row {i} | ✓ |\n" for i in range(200_000))  # ~3 MB, multi-byte characters
    cut = step_summary(text, Path("/out/report.html"))
    assert len(cut.encode("utf-8")) <= STEP_SUMMARY_BYTES
    body, note = cut.split("\n\n**Cut here**")
    assert text.startswith(body) and body.endswith("|\n")  # whole lines only
    assert "see /out/report.html" in note and f"{len(text.encode()):,} bytes" in note
