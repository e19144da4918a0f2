"""Across each event, from every request's timing (perfsuite.record.deploy): pure."""

from __future__ import annotations

import pytest

from perfsuite.record.deploy import (
    DoneEvent,
    Request,
    error_kind,
    event_results,
    parse_log,
    recovered_after,
    recycling,
    timeline,
)

T0 = 1_000_000.0


def steady(
    start: float, end: float, rate: float, ms: float = 100.0, gap: tuple[float, float] | None = None
) -> list[Request]:
    """Requests ending evenly at `rate` a second from `start` to `end`, none ending inside `gap`."""
    found, step, t = [], 1 / rate, start + 1 / rate
    while t < end:
        if gap is None or not gap[0] <= t < gap[1]:
            found.append(Request(t - ms / 1000, t, 200, ""))
        t += step
    return found


def test_a_log_reads_back_and_anything_else_is_refused() -> None:
    text = "start,ms,status,error\n10.5,20.25,200,\n11,5,0,\"ConnectionResetError(104, 'Connection reset by peer')\"\n"
    first, second = parse_log(text)
    assert (first.start, round(first.ms, 3), first.ok) == (10.5, 20.25, True)
    assert not second.ok and error_kind(second.error) == "connection reset"
    for bad in ("a,b\n", "start,ms,status,error\n1,2\n", "start,ms,status,error\n1,-2,200,\n", "start,ms,status,error\nx,1,200,\n",
                "start,ms,status,error\nnan,1,200,\n"):  # fmt: skip
        with pytest.raises(ValueError):
            parse_log(bad)
    with pytest.raises(ValueError, match="more than 2"):
        parse_log("start,ms,status,error\n" + "1,1,200,\n" * 3, limit=2)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("ConnectionRefusedError(111, 'Connection refused')", "connection refused"),
        ("ConnectionResetError(104, 'Connection reset by peer')", "connection reset"),
        ("CatchResponseError(\"no response: HTTPConnectionClosed('connection closed.')\")", "disconnected"),
        ("timeout('timed out')", "timeout"),
        ("ValueError('odd')", "other: ValueError"),
    ],
)
def test_what_the_client_saw_is_named(error: str, kind: str) -> None:
    assert error_kind(error) == kind


def test_an_event_is_measured_across_from_the_requests_around_it() -> None:
    window = (T0, T0 + 9)
    requests = steady(T0, T0 + 9, 50, gap=(T0 + 3, T0 + 3.6))  # nothing answered for 0.6 s after the event
    requests += [
        Request(T0 + 2.8, T0 + 3.05, 0, "ConnectionResetError(104, 'reset')"),  # in flight, failed
        Request(T0 + 3.5, T0 + 3.55, 502, "status 502"),
        Request(T0 + 6.5, T0 + 6.6, 503, "status 503"),  # after the next event: its own
    ]
    done = [DoneEvent("kill_worker", T0 + 3, (1, 2), seed=7, killed=2), DoneEvent("reload", T0 + 6, (1, 3))]
    snapshots = [(T0 + 2.9, (1, 2)), (T0 + 3.2, (1,)), (T0 + 3.4, (1, 3)), (T0 + 6.5, (4, 5))]
    kill, reload = event_results(requests, window, done, snapshots)
    assert (kill.at_s, kill.seed, kill.killed) == (3.0, 7, 2)
    assert (
        kill.failed.count == 2 and kill.failed.errors == {"connection reset": 1} and kill.failed.statuses == {"502": 1}
    )
    assert kill.in_flight.count == 1 and kill.in_flight.failed == 1  # the others in flight would have ended in the gap
    assert kill.rps_before == pytest.approx(50, abs=1) and kill.requests_after < kill.requests_before
    assert kill.p99_before_ms == pytest.approx(100)
    # The fall ends 0.6 s in; windows of 0.5 s (20 requests at 50/s) leave it behind by then.
    assert kill.recovered_s is not None and 0.55 <= kill.recovered_s <= 0.7
    assert kill.workers_before == [1, 2] and kill.workers_after == [1, 3]
    assert reload.failed.statuses == {"503": 1} and reload.recovered_s == 0.0 and reload.workers_after == [4, 5]


def test_throughput_that_never_comes_back_is_none_and_an_unmoved_one_is_zero() -> None:
    requests = steady(T0, T0 + 10, 100, gap=(T0 + 5, T0 + 10))
    assert recovered_after(requests, T0 + 5, T0 + 10, T0, 100.0) is None
    assert recovered_after(steady(T0, T0 + 10, 100), T0 + 5, T0 + 10, T0, 100.0) == 0.0
    assert recovered_after(requests, T0 + 5, T0 + 5.2, T0, 100.0) is None  # too short to tell


def test_waves_of_a_closed_loop_are_not_a_fall() -> None:
    """Ten users answered together every 200 ms: a window's count moves by a wave, and that is no fall."""
    requests = [
        Request(T0 + k * 0.2 + 0.001 * i - 0.2, T0 + k * 0.2 + 0.001 * i, 200, "")
        for k in range(1, 50)
        for i in range(10)
    ]
    assert recovered_after(requests, T0 + 4, T0 + 9.8, T0, 50.0) == 0.0


def test_the_timeline_counts_each_second_and_its_workers() -> None:
    requests = [*steady(T0, T0 + 3, 10), Request(T0 + 1.2, T0 + 1.3, 0, "boom")]
    points = timeline(requests, (T0, T0 + 3.02), [(T0 + 0.5, (1, 2)), (T0 + 1.5, (1, 2, 3))])
    assert [p.t_s for p in points] == [0.0, 1.0, 2.0]  # a last sliver of a second is left out
    assert [p.failed for p in points] == [0, 1, 0] and [p.workers for p in points] == [2, 3, None]
    assert 9 <= points[0].rps <= 10 and points[1].p99_ms == pytest.approx(100)


def test_recycled_workers_and_what_they_cost() -> None:
    requests = [*steady(T0, T0 + 6, 20, ms=10), Request(T0 + 3.1, T0 + 3.4, 200, "")]
    found = recycling(requests, (T0, T0 + 6), [(T0, (1, 2)), (T0 + 3.0, (1, 3)), (T0 + 7, (4, 3))])
    assert found.count == 1 and found.at_s == [3.0]
    assert found.p99_near_ms == pytest.approx(300) and found.p99_else_ms == pytest.approx(10)
    assert found.requests_near == 21
