"""What is shown is inert: terminal escapes, Markdown, CSV cells."""

from __future__ import annotations

import io

from perfsuite.io.text import TerminalStream, code, csv_cell, markdown, terminal


def test_terminal_shows_control_characters_as_escapes() -> None:
    assert terminal("red\x1b[31mtext\x07\r\x9b2J") == "red\\x1b[31mtext\\x07\\x0d\\x9b2J"
    assert terminal("line\n\tindented ✓ é") == "line\n\tindented ✓ é"
    assert terminal("abc\u202eevil") == "abc\\u202eevil"


def test_a_terminal_stream_escapes_what_is_printed_through_it() -> None:
    raw = io.StringIO()
    stream = TerminalStream(raw)
    print("server \x1b]0;title\x07 done", file=stream)
    assert raw.getvalue() == "server \\x1b]0;title\\x07 done\n"
    assert stream.raw is raw and stream.getvalue() == raw.getvalue()


def test_a_terminal_that_hung_up_costs_output_not_the_suite() -> None:
    class HungUp(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(5, "Input/output error")

        def flush(self) -> None:
            raise OSError(5, "Input/output error")

    stream = TerminalStream(HungUp(), escape=False)
    assert stream.write("still running\n") == len("still running\n")
    stream.flush()


def test_markdown_renders_html_and_links_as_text() -> None:
    assert markdown("<script>alert(1)</script>") == "&lt;script>alert(1)&lt;/script>"
    assert markdown("<!-- x --><?php <a:b>") == "&lt;!-- x -->&lt;?php &lt;a:b>"
    assert markdown("p99 < 200, rps >= 30") == "p99 < 200, rps >= 30"
    assert markdown("![x](http://tracker/p.png)") == "!\\[x\\](http://tracker/p.png)"
    assert markdown("a\nb`c`\\") == "a b\\`c\\`\\\\"


def test_a_code_span_cannot_be_closed_by_its_text() -> None:
    assert code("runs/001") == "`runs/001`"
    assert code("a``b") == "```a``b```"
    assert code("`x") == "`` `x ``"


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    assert csv_cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert [csv_cell(v) for v in ("+1+1", "@SUM(A1)", "-x", "\tx")] == ["'+1+1", "'@SUM(A1)", "'-x", "'\tx"]
    assert [csv_cell(v) for v in ("-1.5", "+3", "1e-3", 12, None, "/fast")] == ["-1.5", "+3", "1e-3", "12", "", "/fast"]
