"""What the loader reports: a problem names the file, the line where it can
be known and the field's path; ScenarioError carries every one found."""

from __future__ import annotations

from dataclasses import dataclass

PathKey = tuple[str | int, ...]  # a field's place in the file: ("servers", "g", "workers")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(Exception):
    """The scenario file is invalid; `problems` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def dotted(path: PathKey) -> str:
    return ".".join(str(part) for part in path)


def resolve(path: PathKey, lines: dict[PathKey, int]) -> tuple[PathKey, int | None]:
    """The longest prefix of a location that exists in the file, and its line."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return path[:end], lines[path[:end]]
    return (), lines.get(())


def located(file: str, found: list[tuple[PathKey, str]], lines: dict[PathKey, int]) -> list[Problem]:
    """(path, message) pairs as Problems with the line each can be known at."""
    return [Problem(file, resolve(path, lines)[1], dotted(path), message) for path, message in found]
