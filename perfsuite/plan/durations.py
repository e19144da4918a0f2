"""Durations as users write them: `20s`, `500ms`, `2m`, `1m30s`, or a number of seconds."""

from __future__ import annotations

import re

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")  # ASCII digits only, as the schema's pattern
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_MAX_TEXT = 64  # a duration longer than this is no duration
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object) -> float:
    """Seconds from `value`; raises ValueError with a message fit for users."""
    if isinstance(value, bool):
        raise ValueError(f"must be a duration such as 20s, 500ms or 2m, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if len(text) > _MAX_TEXT:
            raise ValueError(f"must be a duration such as 20s, 500ms or 2m, got {len(text):,} characters")
        if _NUMBER.fullmatch(text):
            seconds = float(text)
        else:
            position = 0
            seconds = 0.0
            for match in _PART.finditer(text):
                if match.start() != position:
                    break
                seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
                position = match.end()
            if not text or position != len(text):
                raise ValueError(f"must be a duration such as 20s, 500ms or 2m, got {value!r}")
    else:
        raise ValueError(f"must be a duration such as 20s, 500ms or 2m, got {value!r}")
    if seconds < 0:
        raise ValueError(f"must not be negative, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s".replace(".00 s", " s")
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"
