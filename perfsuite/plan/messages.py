"""pydantic's validation errors as the loader's messages: each names what is
wrong in the words of the scenario format (`must be an integer >= 1, got 0`,
`unknown field (did you mean 'workers'?)`), at the line of its field."""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import ValidationError

from perfsuite.plan.format import (
    CapacityObjective,
    CpuSettings,
    EndpointSlo,
    LoadgenSettings,
    LoadSettings,
    MixEntry,
    Scenario,
    ServerConfig,
    Slo,
    SuiteFile,
    UpstreamSettings,
)
from perfsuite.plan.problems import PathKey, Problem, dotted, resolve


def validation_problems(error: ValidationError, shown: str, lines: dict[PathKey, int]) -> list[Problem]:
    """Each of pydantic's errors as a Problem: one per field, at its line."""
    problems = []
    for item in _one_per_union(error.errors(include_url=False)):
        loc = tuple(item["loc"])
        where, line = resolve(loc, lines)
        # An unknown or missing field is named in full, though the file has no line of its own for it.
        shown_path = loc if item["type"] in ("extra_forbidden", "missing") else where
        shown_path = tuple(p for p in shown_path if p != "[key]")
        problems.append(Problem(shown, line, dotted(shown_path), _describe(dict(item), loc)))
    return problems


# Allowed keys by where they appear, for "did you mean" hints.
def _fields(model: type[Any]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _vocabulary(path: PathKey) -> list[str]:
    parent = path[:-1]
    if not parent:
        return _fields(SuiteFile)
    if parent == ("defaults",):
        return _fields(LoadSettings)
    if parent[-1:] == ("upstream",):
        return _fields(UpstreamSettings)
    if parent[-1:] == ("cpu",):
        return _fields(CpuSettings)
    if parent[-1:] == ("slo",):
        return _fields(Slo)
    if parent[-1:] == ("loadgen",):
        return _fields(LoadgenSettings)
    if parent[-1:] == ("capacity",):
        return _fields(CapacityObjective)
    if len(parent) >= 2 and parent[-2] == "endpoints":
        return _fields(EndpointSlo)
    if len(parent) == 2 and parent[0] == "servers":
        return _fields(ServerConfig)
    if len(parent) == 2 and parent[0] == "scenarios":
        return _fields(Scenario)
    if len(parent) == 4 and parent[0] == "scenarios" and parent[2] == "mix":
        return _fields(MixEntry)
    return []


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_PATTERN_HELP = {
    **{
        metric: "must be a comparison such as '< 200' or '>= 100' (quote it in YAML)"
        for metric in ("rps", "error_rate", "avg_ms", "p50_ms", "p95_ms", "p99_ms")
    },
    "app": "must look like module.path:attribute (e.g. apps.wsgi_app:app), or module.path:function() for a factory",
    "path": "must start with exactly one / and hold no spaces or control characters (write a space as %20)",
    "env[key]": "must be an environment variable name (letters, digits and _, not starting with a digit)",
    "headers[key]": "must be a header name (letters, digits and !#$%&'*+.^_`|~-)",
    "host": "must be an IPv4 address or localhost (e.g. 127.0.0.1, 0.0.0.0)",
    "url": "must look like http://HOST:PORT",
    "name": "must be letters, digits, '.', '_' or '-', starting with a letter or digit",
}


SHOWN_CHARS = 80  # of a value quoted back: a hostile one is cut short
MAX_MESSAGE = 500  # of a validator's own message


class _Shown:
    """A value quoted back in a message: its repr, cut short past SHOWN_CHARS."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = repr(self.value)
        return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"

    def __str__(self) -> str:
        text = str(self.value)
        return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _describe(error: dict[str, Any], path: PathKey) -> str:
    kind, ctx, raw = error["type"], error.get("ctx", {}), error.get("input")
    value = raw if isinstance(raw, int | float | bool) or raw is None else _Shown(raw)
    leaf = next((p for p in reversed(path) if isinstance(p, str)), "")
    if leaf == "[key]" and len(path) >= 3:  # a mapping's key: named by the mapping's field
        leaf = f"{path[-3]}[key]"
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown field" + did_you_mean(str(path[-1]), _vocabulary(path))
    if kind in ("greater_than_equal", "greater_than"):
        sign = ">=" if kind == "greater_than_equal" else ">"
        bound = ctx.get("ge", ctx.get("gt"))
        whole = is_int and isinstance(bound, int)  # an integer field's bound is an integer
        return f"must be {'an integer ' if whole else ''}{sign} {bound:g}, got {value!r}"
    if kind in ("less_than_equal", "less_than"):
        sign = "<=" if kind == "less_than_equal" else "<"
        return f"must be {sign} {ctx.get('le', ctx.get('lt'))}, got {value!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be an integer, got {value!r}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {value!r}"
    if kind == "string_type":
        return f"must be a string, got {value!r}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {value!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping, got {value!r}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in str(expected).replace(" or ", ", ").split(",")]
        return f"must be one of {expected}, got {value!r}" + did_you_mean(str(value), options)
    if kind == "string_pattern_mismatch":
        return f"{_PATTERN_HELP.get(leaf, 'has the wrong form')}, got {value!r}"
    if kind == "too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else error["msg"].lower()
    if kind == "too_long" and isinstance(raw, list | tuple | dict):
        return f"holds at most {ctx.get('max_length')} entries, got {len(raw):,}"
    if kind == "too_long":
        return error["msg"].lower()
    if kind == "value_error":  # the format's own message: whole, but bounded
        text = str(error["msg"]).removeprefix("Value error, ")
        return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
    return str(error["msg"])


def _one_per_union(errors: list[Any]) -> list[Any]:
    """`rate: number | list | auto` fails as each alternative: one message is
    kept, the one for what was written (text: auto; anything else: numbers)."""
    auto = [e for e in errors if e["type"] == "literal_error" and "'auto'" in str(e.get("ctx", {}).get("expected"))]
    kept = [e for e in errors if e not in auto]
    for literal in auto:
        where = tuple(literal["loc"])[:-1]
        others = [e for e in kept if tuple(e["loc"])[: len(where)] == where]
        if isinstance(literal.get("input"), str) or not others:
            kept = [e for e in kept if e not in others] + [literal]
    # The alternative's own name (list[...], literal['auto']) is no place in the file.
    return [{**e, "loc": tuple(p for p in e["loc"] if not _union_tag(p))} for e in kept]


UNION_TAG = re.compile(r"^(list|literal|function-[a-z]+|constrained-[a-z]+)\[")  # pydantic's names for alternatives


def _union_tag(part: Any) -> bool:
    return isinstance(part, str) and UNION_TAG.match(part) is not None
