"""A scenario file read as YAML 1.2 into plain values, with each key's line.

ruamel.yaml's round-trip parser keeps each key's line, refuses duplicate
keys, constructs no Python objects, and accepts `{path: /slow?delay_ms=5000}`
in a flow mapping, which PyYAML (YAML 1.1) rejects. Reading is bounded: a
file over 4 MiB or of more than 50,000 lines and commas (before parsing:
the parser's time and memory grow with them), past 200,000 values once
aliases are expanded (a 668-byte alias bomb reaches billions) or nested
past 64 levels is refused at once,
and so is a file that is a FIFO or a device (perfsuite.io.files).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, CommentedMap, CommentedSeq
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError

from perfsuite.io.files import FileRefused, read_text
from perfsuite.plan.problems import PathKey, Problem, ScenarioError, dotted

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000  # after aliases are expanded
MAX_DEPTH = 64
MAX_DIGITS = 4_301  # Python refuses to turn a longer run of digits into an int
# Lines and commas, counted before parsing: the pure-Python parser takes about 60 us and 10 KB per value, so
# a 4 MiB flow list of numbers took 100 s and 2.4 GB; a scenario file holds hundreds.
MAX_SEPARATORS = 50_000


class TooLarge(Exception):
    def __init__(self, path: PathKey, message: str) -> None:
        super().__init__(message)
        self.path = path


def read_yaml(path: Path) -> tuple[dict[str, Any], dict[PathKey, int]]:
    """The file's mapping as plain values, and the line of each path in it;
    ScenarioError (one problem) if it cannot be read as one."""
    shown = str(path)
    text = _text(path)
    if (separators := text.count("\n") + text.count(",")) > MAX_SEPARATORS:
        message = f"holds {separators:,} lines and commas (at most {MAX_SEPARATORS:,}): no scenario file is that long"
        raise ScenarioError([Problem(shown, None, "", message)])
    try:
        tree = YAML(typ="rt", pure=True).load(text)
    except RecursionError:
        raise ScenarioError([Problem(shown, None, "", f"nested too deeply (at most {MAX_DEPTH} levels)")]) from None
    except ValueError as error:  # a scalar YAML cannot turn into a value, e.g. an integer of 5000 digits
        huge = re.search(rf"\d{{{MAX_DIGITS},}}", text)
        line = text.count("\n", 0, huge.start()) + 1 if huge else None
        raise ScenarioError([Problem(shown, line, "", f"a value cannot be read: {str(error).split(';')[0]}")]) from None
    except YAMLError as error:
        raise ScenarioError([_yaml_problem(shown, error)]) from None
    if not isinstance(tree, CommentedMap):
        raise ScenarioError([Problem(shown, 1, "", "must be a mapping with servers: and scenarios:")])
    lines: dict[PathKey, int] = {(): 1}
    tags: list[PathKey] = []
    try:
        data = _plain(tree, (), lines, tags)
    except TooLarge as error:
        top = error.path[:1]  # deeper paths repeat through aliases; the top-level key has its own line
        raise ScenarioError([Problem(shown, lines.get(top), dotted(top), str(error))]) from None
    if tags:
        raise ScenarioError([Problem(shown, lines.get(p), dotted(p), "YAML tags are not allowed here") for p in tags])
    return data, lines


def _text(path: Path) -> str:
    shown = str(path)
    try:
        return read_text(path, MAX_FILE_BYTES)  # a FIFO or a device is refused, never opened blocking
    except FileRefused as error:
        raise ScenarioError([Problem(shown, None, "", error.reason)]) from None
    except OSError as error:
        raise ScenarioError([Problem(shown, None, "", f"cannot read file: {error.strerror or error}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(shown, None, "", "is not UTF-8 text")]) from None


def _yaml_problem(shown: str, error: YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if isinstance(error, DuplicateKeyError):
        problem = problem.split(" with value")[0]
    return Problem(shown, line, "", f"YAML error: {problem}")


def _plain(node: Any, path: PathKey, lines: dict[PathKey, int], tags: list[PathKey]) -> Any:
    """ruamel's round-trip tree -> plain Python values, recording each path's line.

    Bounded: raises TooLarge past MAX_NODES values (counted with aliases
    expanded, before anything is copied) or MAX_DEPTH levels. Explicit tags
    (`!!python/...`, `!foo`) are never constructed; they are collected in
    `tags` and refused, except `!!str` on a scalar."""
    if len(lines) > MAX_NODES:
        raise TooLarge(path, f"more than {MAX_NODES:,} values once YAML aliases are expanded")
    if len(path) > MAX_DEPTH:
        raise TooLarge(path, f"nested more than {MAX_DEPTH} levels deep")
    tag = getattr(getattr(node, "tag", None), "value", None)
    if isinstance(node, TaggedScalar):
        if tag != "tag:yaml.org,2002:str":
            tags.append(path)
        return str(node.value)
    if tag is not None:
        tags.append(path)
    if isinstance(node, CommentedMap):
        return _mapping(node, path, lines, tags)
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            item_path = (*path, index)
            with contextlib.suppress(KeyError, TypeError, IndexError):
                lines[item_path] = node.lc.item(index)[0] + 1
            lines.setdefault(item_path, lines.get(path, 1))
            items.append(_plain(value, item_path, lines, tags))
        return items
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _mapping(node: CommentedMap, path: PathKey, lines: dict[PathKey, int], tags: list[PathKey]) -> dict[str, Any]:
    result = {}
    for key, value in node.items():
        key_path = (*path, str(key))
        with contextlib.suppress(KeyError, TypeError):  # merged keys have no position of their own
            lines[key_path] = node.lc.key(key)[0] + 1
        lines.setdefault(key_path, lines.get(path, 1))
        name = _plain(key, key_path, lines, tags) if not isinstance(key, str) else str(key)
        result[name] = _plain(value, key_path, lines, tags)
    return result
