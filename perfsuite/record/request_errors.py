"""Failed requests as Locust counted them -> typed records (pure).

Locust keeps one counter per (method, name, error message); locustfiles/
_window.py writes them at exit. The HTTP status is read back from the
message where it names one: the suite's own locustfiles say "status 500,
expected 200"; Locust's HttpUser says "500 Server Error: ..."; its
FastHttpUser "BadStatusCode(..., code=500)".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from perfsuite.record.results import RequestError

MAX_KINDS = 50  # kinds of error kept per run, most frequent first
MAX_MESSAGE = 500  # characters of one message
_STATUS = (  # most specific first: a URL in the message may hold "code=200" too
    re.compile(r"^status (\d{3})\b"),
    re.compile(r"\b(\d{3}) (?:Client|Server) Error\b"),
    re.compile(r"\bcode=(\d{3})\)$"),
    re.compile(r"\bstatus (\d{3})\b"),
    re.compile(r"\bHTTP (\d{3})\b"),
)


def status_of(message: str) -> int | None:
    for pattern in _STATUS:
        found = pattern.search(message)
        if found is not None and 100 <= int(found.group(1)) <= 599:
            return int(found.group(1))
    return None


def _cut(text: str) -> str:
    text = " ".join(text.split())  # one line: messages land in tables
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def parse(data: Any) -> list[RequestError]:
    """locust_errors.json's list -> records; ValueError if it is not that list."""
    if not isinstance(data, list):
        raise ValueError("not a list of errors")
    errors = []
    for item in data:
        if not isinstance(item, dict):
            raise ValueError("an error entry is not an object")
        message = _cut(str(item.get("error", "")))
        occurrences = item.get("occurrences")
        if not isinstance(occurrences, int) or isinstance(occurrences, bool) or occurrences < 0:
            raise ValueError(f"occurrences {occurrences!r} is not a count")
        errors.append(
            RequestError(
                method=_cut(str(item.get("method", ""))),
                name=_cut(str(item.get("name", ""))),
                error=message,
                occurrences=occurrences,
                status=status_of(message),
            )
        )
    errors.sort(key=lambda e: -e.occurrences)
    return errors[:MAX_KINDS]


def statuses(errors: Iterable[RequestError]) -> str:
    """'500 x 1,204; no response x 3': what failed, by status, most frequent first."""
    counts: Counter[str] = Counter()
    for e in errors:
        counts[str(e.status) if e.status is not None else "no status"] += e.occurrences
    return "; ".join(f"{what} x {count:,}" for what, count in counts.most_common())
