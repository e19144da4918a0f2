"""What is shown is inert: text taken from a scenario file or a record, made
safe for the place it is shown in.

- terminal(): control characters (C0 but newline and tab, DEL, C1) and the
  bidirectional overrides become visible escapes (`\\x1b`), so no name can
  move the cursor, recolour the terminal, rewrite a line or reverse one.
  `TerminalStream` applies it to everything a command prints.
- markdown(): HTML and link syntax escaped (a `<` that would open a tag as an
  entity; `[` `]` and backquotes with a backslash; line breaks as spaces), so a name in report.md
  and in GitHub's job summary (which renders a subset of HTML) reads as the
  text it is. code(): an inline code span no text can close early.
- csv_cell(): a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
  return gets a leading `'` (OWASP's advice against formula injection), so a
  spreadsheet shows it rather than runs it; numbers stay numbers.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, TextIO

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """`text` with every character that would act on a terminal shown as an escape."""
    return _UNSAFE.sub(_escape, text)


class TerminalStream:
    """A text stream for a terminal that may hang up (SIGHUP) or a pipe that may
    close: writes and flushes never raise (the output is lost, not the suite),
    and with `escape` each write passes through terminal(). All else is the
    wrapped stream's (`raw`)."""

    def __init__(self, raw: TextIO, escape: bool = True) -> None:
        self.raw = getattr(raw, "raw", raw) if isinstance(raw, TerminalStream) else raw
        self.escape = escape

    def write(self, text: str) -> int:
        with contextlib.suppress(OSError, ValueError):  # EIO from a hung-up terminal, EPIPE, closed
            self.raw.write(terminal(text) if self.escape else text)
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.raw.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


_MARKDOWN = str.maketrans({"[": "\\[", "]": "\\]", "`": "\\`", "\\": "\\\\", "\n": " ", "\r": " "})
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")  # what begins raw HTML or an autolink (`< 200` stays as it is)


def markdown(text: str) -> str:
    """Text from a record, inert in Markdown: no HTML, no link or image, no code span, one line."""
    return _TAG_OPEN.sub("&lt;", terminal(text).translate(_MARKDOWN))


def code(text: str) -> str:
    """`text` as an inline code span, its fence longer than any run of backquotes inside."""
    one_line = terminal(text).replace("\n", " ").replace("\r", " ")
    fence = "`" * (1 + max((len(run) for run in re.findall("`+", one_line)), default=0))
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell no spreadsheet takes for a formula (a number is left as it is)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.match(text):
        return "'" + text
    return text
