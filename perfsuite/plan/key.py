"""A run's identity, defined once: (scenario, server, level, repeat).

Every place that names a run or joins runs uses these keys: the plan, results,
aggregates, SLO checks, baselines, history, junit.xml, checks.json, reports,
--resume and --only. A level is stored as a token (`users=10`,
`order=sequential`, `rate=50`, `connections=200`), never as the display text ("10 users"); files written
before schema 2 held the display text, which `Level.parse` still reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ORDERS = ("sequential", "concurrent")
_LEGACY_USERS = re.compile(r"^(\d+) users?$")
_RATE = re.compile(r"^\d+(\.\d+)?(e[+-]?\d+)?$")


@dataclass(frozen=True, order=True)
class Level:
    """What separates runs of one scenario and server: the users of a steady
    run, the order of a burst, the offered rate of an open run, or the
    streams held at once of a stream run."""

    users: int | None = None
    order: str | None = None
    rate: float | None = None
    connections: int | None = None

    def __post_init__(self) -> None:
        if sum(value is not None for value in (self.users, self.order, self.rate, self.connections)) != 1:
            raise ValueError("a level is one of users, a burst order, a rate or connections")

    @property
    def token(self) -> str:
        if self.rate is not None:
            return f"rate={self.rate:g}"
        if self.connections is not None:
            return f"connections={self.connections}"
        return f"order={self.order}" if self.order else f"users={self.users}"

    @property
    def short(self) -> str:
        """For a table's level column: "10", "sequential", "50/s" or "200" (connections)."""
        if self.rate is not None:
            return f"{self.rate:g}/s"
        if self.connections is not None:
            return str(self.connections)
        return self.order if self.order else str(self.users)

    def __str__(self) -> str:
        if self.rate is not None:
            return f"{self.rate:g} req/s"
        if self.connections is not None:
            return f"{self.connections} connections"
        return self.order if self.order else f"{self.users} users"

    @classmethod
    def parse(cls, text: str) -> Level:
        """A token, or the display text of schema-1 files ("10 users", "sequential")."""
        kind, _, value = text.partition("=")
        if kind == "users" and value.isdigit():
            return cls(users=int(value))
        if kind == "order" and value in ORDERS:
            return cls(order=value)
        if kind == "rate" and _RATE.match(value):
            return cls(rate=float(value))
        if kind == "connections" and value.isdigit():
            return cls(connections=int(value))
        if text in ORDERS:
            return cls(order=text)
        legacy = _LEGACY_USERS.match(text)
        if legacy:
            return cls(users=int(legacy.group(1)))
        raise ValueError(f"not a level: {text!r}")


@dataclass(frozen=True, order=True)
class GroupKey:
    """The repetitions of one (scenario, server, level): what aggregates,
    SLO checks, baselines and history are keyed by."""

    scenario: str
    server: str
    level: Level

    @property
    def label(self) -> str:
        return f"{self.scenario} / {self.server} / {self.level}"

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "server": self.server, "level": self.level.token}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupKey:
        return cls(str(data["scenario"]), str(data["server"]), Level.parse(str(data["level"])))


@dataclass(frozen=True, order=True)
class RunKey:
    scenario: str
    server: str
    level: Level
    repeat: int  # 1-based

    @property
    def group(self) -> GroupKey:
        return GroupKey(self.scenario, self.server, self.level)

    @property
    def label(self) -> str:
        return f"{self.group.label} #{self.repeat}"

    @property
    def selector(self) -> str:
        """What --only globs match: 'scenario/server'."""
        return f"{self.scenario}/{self.server}"

    def dirname(self, index: int) -> str:
        if self.level.connections is not None:
            level = f"c{self.level.connections}"
        else:
            level = self.level.order or (
                f"rate{self.level.rate:g}" if self.level.rate is not None else f"u{self.level.users}"
            )
        return f"{index:03d}-{self.scenario}-{self.server}-{level}-r{self.repeat}"

    def as_dict(self) -> dict[str, Any]:
        return {**self.group.as_dict(), "repeat": self.repeat}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunKey:
        group = GroupKey.from_dict(data)
        return cls(group.scenario, group.server, group.level, int(data["repeat"]))
