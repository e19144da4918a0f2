"""The Little's-law model (pure): slots, waits, expectations, and where it does not apply."""

from __future__ import annotations

import math

import pytest

from perfsuite.judge.expectation import NoModel, expect, slots, wait_s
from perfsuite.spec.format import ServerConfig


def server(**fields: object) -> ServerConfig:
    return ServerConfig.model_validate({"app": "a:b", **fields})


def test_slots_per_server_model() -> None:
    assert slots(server(server="gunicorn", workers=4)) == 4
    assert slots(server(server="gunicorn", worker_class="gthread", workers=2, threads=4)) == 8
    assert slots(server(server="gunicorn", worker_class="gthread", workers=3)) == 3  # gunicorn's default: 1 thread
    assert slots(server(server="gunicorn", worker_class="gevent", workers=2, worker_connections=50)) == 100
    assert slots(server(server="gunicorn", worker_class="gevent")) == 1000
    for unbounded in (server(server="uvicorn"), server(server="hypercorn"), server(server="granian"),
                      server(server="gunicorn", worker_class="uvicorn", workers=2)):  # fmt: skip
        assert math.isinf(slots(unbounded))
    with pytest.raises(NoModel, match="granian's WSGI"):
        slots(server(server="granian", interface="wsgi"))


@pytest.mark.parametrize(
    ("path", "seconds"),
    [("/fast", 0.0), ("/json", 0.0), ("/slow", 5.0), ("/slow?delay_ms=250", 0.25),
     ("/io/sequential?calls=3&delay_ms=200", 0.6), ("/io/concurrent?calls=3&delay_ms=200", 0.2),
     ("/io/sequential", 3.0), ("/io/concurrent?calls=5", 1.0)],
)  # fmt: skip
def test_wait_per_request(path: str, seconds: float) -> None:
    assert wait_s(path, upstream_delay_ms=1000) == pytest.approx(seconds)


@pytest.mark.parametrize(("path", "why"), [("/cpu?n=100", "CPU-bound"), ("/other", "unknown endpoint")])
def test_no_model_where_the_wait_is_unknown(path: str, why: str) -> None:
    with pytest.raises(NoModel, match=why):
        wait_s(path, upstream_delay_ms=1000)
    with pytest.raises(NoModel, match="no upstream delay"):
        wait_s("/io/sequential", upstream_delay_ms=None)


def test_sync_worker_is_bound_by_slots() -> None:
    e = expect(server(server="gunicorn", workers=1), {"io": ("/io/sequential?calls=3&delay_ms=200", 50)},
               users=4, upstream_delay_ms=None, cpu_s_per_request=0.0, cores=1)  # fmt: skip
    assert e.bound == "slots" and e.expected_rps == pytest.approx(1 / 0.6, rel=1e-3)
    assert e.expected_latency_ms == pytest.approx(4 * 600)  # every user waits for the other three


def test_event_loop_is_bound_by_users() -> None:
    e = expect(server(server="uvicorn"), {"io": ("/io/concurrent?calls=3&delay_ms=200", 50)},
               users=10, upstream_delay_ms=None, cpu_s_per_request=0.001, cores=1)  # fmt: skip
    assert e.bound == "users" and e.expected_rps == pytest.approx(10 / 0.201, rel=1e-3)
    assert e.expected_latency_ms == pytest.approx(201)


def test_measured_cpu_caps_throughput() -> None:
    # 1000 users waiting 100 ms each could do 10,000 req/s; 1 ms of CPU each on one core caps it at 1,000.
    e = expect(server(server="uvicorn"), {"slow": ("/slow?delay_ms=100", 10)},
               users=1000, upstream_delay_ms=None, cpu_s_per_request=0.001, cores=2)  # fmt: skip
    assert e.bound == "cpu" and e.expected_rps == pytest.approx(1000)


def test_the_realized_mix_weights_the_wait() -> None:
    sent = {"slow": ("/slow?delay_ms=100", 10), "fast": ("/fast", 90)}
    e = expect(server(server="gunicorn"), sent, users=5, upstream_delay_ms=None, cpu_s_per_request=None, cores=1)
    assert e.wait_s == pytest.approx(0.01) and e.expected_rps == pytest.approx(100)


def test_fast_only_mix_has_no_model() -> None:
    with pytest.raises(NoModel, match="no waiting"):
        expect(server(server="uvicorn"), {"fast": ("/fast", 10)}, 1, None, 0.001, 1)


def test_client_time_is_part_of_each_users_cycle() -> None:
    # 2 users, 5 ms of waiting, 0.5 ms of Locust per request: 2 / 5.5 ms, not 2 / 5 ms.
    e = expect(
        server(server="uvicorn"), {"slow": ("/slow?delay_ms=5", 10)}, 2, None, 0.0, 1, client_s_per_request=0.0004
    )
    assert e.expected_rps == pytest.approx(2 / 0.0054, rel=1e-3)
    assert e.expected_latency_ms == pytest.approx(5.0, rel=1e-3)  # what the server holds it for


def test_no_verdict_where_waiting_does_not_dominate() -> None:
    with pytest.raises(NoModel, match="waiting does not dominate: 0.90 ms of CPU per request"):
        expect(server(server="uvicorn"), {"slow": ("/slow?delay_ms=5", 10)}, 2, None, 0.0005, 1,
               client_s_per_request=0.0004)  # fmt: skip
