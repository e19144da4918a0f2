import pytest

from perfsuite.plan.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20s", 20.0), ("500ms", 0.5), ("2m", 120.0), ("1m30s", 90.0), ("1h", 3600.0), (3, 3.0), (0, 0.0),
     ("0", 0.0), ("2.5", 2.5), ("1.5s", 1.5), (" 10s ", 10.0)],
)  # fmt: skip
def test_parses_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10x", "", "s", "1s2", "ms", "-1s", True, None, [1], "1 0s0"])
def test_rejects_malformed(text: object) -> None:
    with pytest.raises(ValueError, match="duration|negative"):
        parse_duration(text)


def test_negative_number_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_duration(-1)


def test_formats() -> None:
    assert format_duration(0.25) == "250 ms"
    assert format_duration(15.04) == "15.04 s"
    assert format_duration(150) == "2m30s"
