"""Run identity (pure): levels as tokens, the display text of schema-1 files read alike."""

from __future__ import annotations

import pytest

from perfsuite.plan.key import GroupKey, Level, RunKey


def test_levels_have_a_token_and_a_display() -> None:
    assert (Level(users=10).token, str(Level(users=10)), Level(users=10).short) == ("users=10", "10 users", "10")
    assert (Level(order="sequential").token, str(Level(order="sequential"))) == ("order=sequential", "sequential")
    with pytest.raises(ValueError):
        Level()
    with pytest.raises(ValueError):
        Level(users=1, order="concurrent")
    held = Level(connections=200)
    assert (held.token, str(held), held.short) == ("connections=200", "200 connections", "200")
    assert RunKey("tokens", "uv", held, 1).dirname(3) == "003-tokens-uv-c200-r1"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("users=10", Level(users=10)),
        ("order=concurrent", Level(order="concurrent")),
        ("10 users", Level(users=10)),  # schema 1
        ("1 user", Level(users=1)),
        ("sequential", Level(order="sequential")),  # schema 1
        ("connections=200", Level(connections=200)),  # schema 7
    ],
)
def test_parse_reads_tokens_and_schema_1_text(text: str, level: Level) -> None:
    assert Level.parse(text) == level
    assert Level.parse(level.token) == level


@pytest.mark.parametrize(
    "text", ["", "users=", "users=x", "order=random", "ten users", "10", "connections=", "connections=-1"]
)
def test_parse_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        Level.parse(text)


def test_keys_round_trip_and_join() -> None:
    key = RunKey("mixed", "uvicorn-1", Level(users=50), 2)
    assert RunKey.from_dict(key.as_dict()) == key
    assert key.as_dict() == {"scenario": "mixed", "server": "uvicorn-1", "level": "users=50", "repeat": 2}
    assert key.group == GroupKey("mixed", "uvicorn-1", Level(users=50))
    assert GroupKey.from_dict({"scenario": "mixed", "server": "uvicorn-1", "level": "50 users"}) == key.group
    assert key.label == "mixed / uvicorn-1 / 50 users #2"
    assert key.dirname(7) == "007-mixed-uvicorn-1-u50-r2"
    assert RunKey("b", "s", Level(order="concurrent"), 1).dirname(1) == "001-b-s-concurrent-r1"
    assert key.selector == "mixed/uvicorn-1"
