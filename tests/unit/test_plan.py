from __future__ import annotations

from pathlib import Path

from perfsuite.judge.slo import holds
from perfsuite.plan.loader import load_suite
from perfsuite.plan.runs import QUICK_DURATION_S, build_plan
from tests.conftest import write_scenario

SUITE = """\
defaults: {users: 5, warmup: 3s, duration: 20s, repeat: 2}
servers:
  a: {server: gunicorn, app: apps.wsgi_app:app}
  b: {server: uvicorn, app: apps.asgi_app:app}
scenarios:
  - name: burst
    mode: burst
    mix: [{name: slow, path: /slow, count: 3}, {name: fast, path: /fast, count: 15}]
  - name: sweep
    users: [10, 50]
    spawn_rate: 5
    mix: [{name: fast, path: /fast}]
"""


def test_runs_interleave_servers_and_resolve_defaults(tmp_path: Path) -> None:
    plans = build_plan(load_suite(write_scenario(tmp_path, SUITE)))
    labels = [(p.scenario.name, p.order or p.users, p.repeat, p.server_name) for p in plans]
    assert labels[:4] == [("burst", "sequential", 1, "a"), ("burst", "sequential", 1, "b"),
                          ("burst", "sequential", 2, "a"), ("burst", "sequential", 2, "b")]  # fmt: skip
    assert labels[8:12] == [("sweep", 10, 1, "a"), ("sweep", 10, 1, "b"), ("sweep", 10, 2, "a"), ("sweep", 10, 2, "b")]
    assert [p.index for p in plans] == list(range(1, len(plans) + 1))
    concurrent = next(p for p in plans if p.order == "concurrent")
    assert concurrent.users == 18 and concurrent.spawn_rate == 18
    sequential = plans[0]
    assert sequential.users == 1 and sequential.warmup_s == 0
    sweep = plans[8]
    assert sweep.warmup_s == 3 and sweep.duration_s == 20 and sweep.spawn_rate == 5
    assert len({p.dirname for p in plans}) == len(plans)


def test_only_and_quick(tmp_path: Path) -> None:
    suite = load_suite(write_scenario(tmp_path, SUITE))
    plans = build_plan(suite, only=["sweep/b"], quick=True)
    assert [(p.server_name, p.users, p.repeat) for p in plans] == [("b", 50, 1)]
    assert plans[0].duration_s == QUICK_DURATION_S and plans[0].warmup_s <= 0.25
    assert build_plan(suite, only=["nothing/*"]) == []


def test_mix_is_passed_to_locust_as_the_scenario_shape(tmp_path: Path) -> None:
    plans = build_plan(load_suite(write_scenario(tmp_path, SUITE)))
    assert plans[0].mix_json() == (
        '[{"name":"slow","path":"/slow","method":"GET","headers":{},"expect_status":200,"count":3},'
        '{"name":"fast","path":"/fast","method":"GET","headers":{},"expect_status":200,"count":15}]'
    )


def test_cpu_layout_per_role(tmp_path: Path) -> None:
    text = SUITE.replace("defaults: {", "defaults: {cpu: {loadgen: [0]}, upstream: {delay_ms: 50}, ")
    text = text.replace("  - name: sweep\n", "  - name: sweep\n    cpu: {server: [0], upstream: [0]}\n")
    plans = build_plan(load_suite(write_scenario(tmp_path, text)))
    burst, sweep = plans[0], plans[-1]
    assert burst.cpu["loadgen"] == [0] and sweep.cpu == {"server": [0], "loadgen": [0], "upstream": [0]}
    assert burst.upstream is not None and burst.upstream.delay_ms == 50


def test_the_error_rate_a_scenario_allows(tmp_path: Path) -> None:
    text = """\
    defaults: {max_error_rate: 0.02}
    servers:
      a: {server: uvicorn, app: apps.asgi_app:app}
    scenarios:
      - {name: inherited, mix: [{name: f, path: /f}]}
      - {name: own, max_error_rate: 0, mix: [{name: f, path: /f}]}
    """
    assert [p.allowed_errors for p in build_plan(load_suite(write_scenario(tmp_path, text)))] == ["<= 0.02", "<= 0"]
    text = """\
    servers:
      a: {server: uvicorn, app: apps.asgi_app:app}
    scenarios:
      - {name: none, mix: [{name: f, path: /f}]}
      - {name: slo, slo: {error_rate: "<  0.05"}, mix: [{name: f, path: /f}]}
      - {name: both, max_error_rate: 0.5, slo: {error_rate: "< 0.05"}, mix: [{name: f, path: /f}]}
    """
    allowed = [p.allowed_errors for p in build_plan(load_suite(write_scenario(tmp_path, text, "b.yaml")))]
    assert allowed == ["<= 0", "< 0.05", "<= 0.5"]
    # The scenario's own SLO before a rate under defaults:, and five nines written as a plain decimal.
    text = """\
    defaults: {max_error_rate: 0}
    servers:
      a: {server: uvicorn, app: apps.asgi_app:app}
    scenarios:
      - {name: slo, slo: {error_rate: "< 0.05"}, mix: [{name: f, path: /f}]}
      - {name: nines, max_error_rate: 0.00001, mix: [{name: f, path: /f}]}
    """
    allowed = [p.allowed_errors for p in build_plan(load_suite(write_scenario(tmp_path, text, "c.yaml")))]
    assert allowed == ["< 0.05", "<= 0.00001"]
    assert holds(0.000009, allowed[1]) and not holds(0.00002, allowed[1])


STREAMS = """\
defaults: {warmup: 1s, duration: 4s}
servers:
  a: {server: gunicorn, app: apps.wsgi_app:app}
scenarios:
  - name: tokens
    mode: stream
    connections: [20, 200]
    spawn_rate: 50
    stream: {path: "/stream?chunks=30&interval_ms=100", interval: 100ms, headers: {X-A: b}}
  - name: beside
    mode: stream
    connections: 8
    users: 2
    stream: {name: sse, path: /stream}
    mix: [{name: fast, path: /fast}]
"""


def test_stream_runs_hold_a_user_per_connection_and_the_mix_beside(tmp_path: Path) -> None:
    from perfsuite.run.loadgen import stream_arguments

    plans = build_plan(load_suite(write_scenario(tmp_path, STREAMS)))
    assert [(p.key.level.token, p.users, p.spawn_rate) for p in plans] == [
        ("connections=20", 20, 50), ("connections=200", 200, 50), ("connections=8", 10, 10)
    ]  # fmt: skip
    assert stream_arguments(plans[0], None) == [
        "--stream", '{"name":"/stream?chunks=30&interval_ms=100","path":"/stream?chunks=30&interval_ms=100",'
        '"headers":{"X-A":"b"},"interval_ms":100.0}', "--connections", "20", "StreamUser",
    ]  # fmt: skip
    assert stream_arguments(plans[2], tmp_path / "s.json")[-4:] == [
        "--stream-stats-file", str(tmp_path / "s.json"), "StreamUser", "BesideUser"
    ]  # fmt: skip
    assert plans[0].to_probe() == []  # a stream's model takes its length from the run


SOCKETS = """\
defaults: {warmup: 1s, duration: 4s}
servers:
  u: {server: uvicorn, app: apps.asgi_app:app}
scenarios:
  - name: chat
    mode: websocket
    connections: [10, 20]
    websocket: {path: /ws/echo, rate: 10}
  - name: room
    mode: websocket
    websocket: {path: /ws/room, subscribers: 50, rate: 5, publisher: "/ws/room?role=publisher"}
"""


def test_websocket_runs_hold_a_user_per_connection_and_a_fan_out_one_publisher(tmp_path: Path) -> None:
    from perfsuite.run.loadgen import websocket_arguments

    plans = build_plan(load_suite(write_scenario(tmp_path, SOCKETS)))
    assert [(p.key.level.token, p.users) for p in plans] == [
        ("connections=10", 10), ("connections=20", 20), ("connections=50", 51)
    ]  # fmt: skip
    assert websocket_arguments(plans[0], None) == [
        "--websocket", '{"name":"/ws/echo","path":"/ws/echo","rate":10.0,"bytes":0}', "--connections", "10",
        "EchoUser",
    ]  # fmt: skip
    assert websocket_arguments(plans[2], None)[1:] == [
        '{"name":"/ws/room","path":"/ws/room","rate":5.0,"bytes":0,"publisher":"/ws/room?role=publisher"}',
        "--connections", "50", "PublisherUser", "SubscriberUser",
    ]  # fmt: skip


DJANGO_SITE = """\
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

application = get_asgi_application()
wsgi = get_wsgi_application()
"""


def test_the_probe_measures_the_rate_inside_where_the_model_cannot_solve_it(tmp_path: Path) -> None:
    """Django under ASGI hands each request between the loop and a thread of its own: the plan asks
    the probe for its rate at 1, 2, 4, ... inside and at the scenario's users, defaults' too (open
    runs and a target: on until the rate stops growing);
    the same app under gunicorn's sync workers is modelled from its CPU and waits."""
    (tmp_path / "site_app.py").write_text(DJANGO_SITE)
    text = """\
    defaults: {warmup: 1s, duration: 2s, users: [6, 3]}
    servers:
      asgi: {server: uvicorn, app: site_app:application, app_dir: .}
      wsgi: {server: gunicorn, app: site_app:wsgi, app_dir: ., workers: 2}
    scenarios:
      - {name: closed, users: [12, 4], mix: [{path: /a, weight: 3}, {path: /b, service_ms: 20}]}
      - {name: open, mode: open, rate: 50, mix: [{path: /a}]}
      - {name: sized, target: {rate: 100, p99_ms: "< 200"}, mix: [{path: /a}]}
    """
    plans = build_plan(load_suite(write_scenario(tmp_path, text)))
    asgi = [p for p in plans if p.server_name == "asgi"]
    assert [(p.scenario.name, [e.path for e in p.to_measure_inside()], p.inside_counts()) for p in asgi] == [
        ("closed", ["/a", "/b"], ([4, 12], False)), ("closed", ["/a", "/b"], ([4, 12], False)),
        ("open", ["/a"], ([], True)), ("sized", ["/a"], ([3, 6], True)), ("sized", ["/a"], ([3, 6], True)),
    ]  # fmt: skip
    assert all(p.to_measure_inside() == [] for p in plans if p.server_name == "wsgi")
