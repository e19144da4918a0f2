"""Failed requests from Locust's counters -> typed records (pure)."""

from __future__ import annotations

import pytest

from perfsuite.record.request_errors import MAX_KINDS, MAX_MESSAGE, parse, status_of, statuses


@pytest.mark.parametrize(
    ("message", "status"),
    [
        ("status 500, expected 200", 500),
        ("HTTPError('401 Client Error: Unauthorized for url: login')", 401),
        ("BadStatusCode('http://127.0.0.1:8000/x', code=503)", 503),
        ("HTTP 429 too many", 429),
        ("HTTPError('404 Client Error: Not Found for url: http://h/cb?code=200')", 404),
        ("BadStatusCode('http://h/cb?code=200', code=502)", 502),
        ("no response: ConnectionRefusedError(111, 'Connection refused')", None),
        ("status 999, expected 200", None),  # not an HTTP status
        ("took 1500 ms", None),
    ],
)
def test_the_status_is_read_from_the_message(message: str, status: int | None) -> None:
    assert status_of(message) == status


def test_parse_orders_cuts_and_bounds() -> None:
    rows = [{"method": "GET", "name": f"e{i}", "error": "x" * 5000, "occurrences": i} for i in range(MAX_KINDS + 20)]
    errors = parse(rows)
    assert len(errors) == MAX_KINDS
    assert errors[0].occurrences == MAX_KINDS + 19 and errors[-1].occurrences == 20
    assert len(errors[0].error) == MAX_MESSAGE
    (one,) = parse([{"method": "POST", "name": "pay", "error": "status 502,\nexpected 200", "occurrences": 3}])
    assert (one.error, one.status) == ("status 502, expected 200", 502)


@pytest.mark.parametrize(
    "data",
    [{}, "x", [1], [{"method": "GET", "name": "a", "error": "e"}], [{"occurrences": -1}], [{"occurrences": True}]],
)
def test_malformed_input_is_a_value_error(data: object) -> None:
    with pytest.raises(ValueError):
        parse(data)


def test_statuses_by_frequency() -> None:
    errors = parse(
        [
            {"method": "GET", "name": "a", "error": "status 500, expected 200", "occurrences": 2},
            {"method": "GET", "name": "b", "error": "status 500, expected 200", "occurrences": 3},
            {"method": "GET", "name": "a", "error": "no response: timeout", "occurrences": 9},
        ]
    )
    assert statuses(errors) == "no status x 9; 500 x 5"
    assert statuses([]) == ""
