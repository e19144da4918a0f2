"""Scenario files: every problem reported at once, with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfsuite.plan.loader import ScenarioError, load_suite
from perfsuite.plan.runs import build_plan, build_searches
from tests.conftest import write_scenario

GOOD = """\
name: seed
defaults:
  users: 50
  spawn_rate: 50
  warmup: 3s
  duration: 20s
  repeat: 1
servers:
  gunicorn-sync-1: {server: gunicorn, app: apps.wsgi_app:app, worker_class: sync, workers: 1}
  uvicorn-1:       {server: uvicorn, app: apps.asgi_app:app, workers: 1}
scenarios:
  - name: blog-table
    mode: burst
    order: [sequential, concurrent]
    servers: [gunicorn-sync-1, uvicorn-1]
    mix:
      - {name: slow, path: /slow?delay_ms=5000, count: 3}
      - {name: fast, path: /fast, count: 15}
  - name: mixed
    users: [10, 50]
    mix:
      - {name: slow, path: /slow?delay_ms=1000, weight: 1}
      - {name: fast, path: /fast, weight: 5, method: post, headers: {X-A: b}, json: {k: [1, 2]}, expect_status: 201}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write_scenario(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_suite(path)
    return [f"{p.line}: {p.field}: {p.message}" for p in caught.value.problems]


def test_the_issue_example_loads(tmp_path: Path) -> None:
    suite = load_suite(write_scenario(tmp_path, GOOD))
    assert suite.name == "seed"
    declared = suite.declared
    assert declared.defaults.users == [50] and declared.defaults.warmup == 3.0 and declared.defaults.duration == 20.0
    assert declared.scenarios[0].mix is not None and declared.scenarios[0].mix[0].path == "/slow?delay_ms=5000"
    entry = declared.scenarios[1].mix[1]  # type: ignore[index]
    assert entry.method == "POST" and entry.body == {"k": [1, 2]} and entry.expect_status == 201


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    suite = load_suite(write_scenario(tmp_path, GOOD.replace("name: seed\n", ""), name="nightly.yaml"))
    assert suite.name == "nightly"


def test_every_error_at_once_with_line_and_field(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        defaults:
          users: 0
          duraton: 3s
        servers:
          g1: {server: gunicorn, app: apps.wsgi_app:app, workers: 0}
          g2: {server: gunicorn, app: apps.wsgi_app, workers: "four"}
          u1: {server: uvicron, app: apps.asgi_app:app}
        scenarios:
          - name: a
            duration: 10x
            mix:
              - {name: f, path: /fast, weight: -1}
          - name: b
            mix: []
        """,
    )
    assert found == [
        "2: defaults.users: must be an integer >= 1, got 0",
        "3: defaults.duraton: unknown field (did you mean 'duration'?)",
        "5: servers.g1.workers: must be an integer >= 1, got 0",
        "6: servers.g2.app: must look like module.path:attribute (e.g. apps.wsgi_app:app), or module.path:function() for a factory, got 'apps.wsgi_app'",
        "6: servers.g2.workers: must be an integer, got 'four'",
        "7: servers.u1.server: must be one of 'gunicorn', 'uvicorn', 'granian', 'hypercorn' or 'external', got 'uvicron'"
        " (did you mean 'uvicorn'?)",
        "10: scenarios.0.duration: must be a duration such as 20s, 500ms or 2m, got '10x'",
        "12: scenarios.0.mix.0.weight: must be an integer >= 0, got -1",
        "14: scenarios.1.mix: must not be empty",
    ]


SERVERS = "servers:\n  g1: {server: gunicorn, app: apps.wsgi_app:app}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("servers: {a: [1,\n", "2: : YAML error: expected the node content"),
        ("servers:\n  a: {server: gunicorn, app: x:y}\n  a: {server: gunicorn, app: x:y}\nscenarios: []\n",
         '3: : YAML error: found duplicate key "a"'),
        ("- 1\n", "1: : must be a mapping with servers: and scenarios:"),
        (SERVERS + "scenarios:\n  - {name: a, users: " + "9" * 5000 + ", mix: [{path: /f}]}\n",
         "4: : a value cannot be read: Exceeds the limit (4300 digits) for integer string conversion"),
        (SERVERS + "scenarios:\n  - {name: a, servers: [g2], mix: [{name: f, path: /f}]}\n",
         "4: scenarios.0.servers.0: unknown server 'g2'"),
        (SERVERS + "scenarios:\n  - {name: a, users: 0, mix: [{name: f, path: /f}]}\n",
         "4: scenarios.0.users: must be an integer >= 1, got 0"),
        (SERVERS + "scenarios:\n  - {name: a, users: 10000000, mix: [{name: f, path: /f}]}\n",
         "4: scenarios.0.users: must be <= 100000, got 10000000"),
        (SERVERS + "scenarios:\n  - {name: a, users: [10, 0], mix: [{name: f, path: /f}]}\n",
         "4: scenarios.0.users.1: must be an integer >= 1, got 0"),
        (SERVERS + "scenarios:\n  - {name: a}\n", "4: scenarios.0: needs exactly one of mix or locustfile"),
        (SERVERS + "scenarios:\n  - {name: a, mix: [{name: f, path: fast}]}\n",
         "4: scenarios.0.mix.0.path: must start with exactly one / and hold no spaces or control characters"),
        (SERVERS + "scenarios:\n  - {name: a, mix: [{name: f, path: '/a b'}]}\n",
         "4: scenarios.0.mix.0.path: must start with exactly one / and hold no spaces"),
        (SERVERS + 'scenarios:\n  - {name: a, mix: [{name: f, path: "/a\\tb"}]}\n',
         "4: scenarios.0.mix.0.path: must start with exactly one / and hold no spaces"),
        (SERVERS + "scenarios:\n  - {name: a, mix: [{name: f}]}\n", "4: scenarios.0.mix.0.path: is required"),
        (SERVERS + "scenarios:\n  - {mix: [{name: f, path: /f}]}\n", "4: scenarios.0.name: is required"),
        (SERVERS + 'scenarios:\n  - {name: a, mix: [{name: f, path: /f, headers: {X: "a\\r\\nB: c"}}]}\n',
         "4: scenarios.0.mix.0.headers.X: contains a control character (U+000D); not allowed here"),
        (SERVERS + 'scenarios:\n  - {name: a, mix: [{name: f, path: /f, headers: {X: "日本"}}]}\n',
         "4: scenarios.0.mix.0.headers.X: holds a character outside Latin-1"),
        (SERVERS + 'scenarios:\n  - {name: a, mix: [{name: f, path: /f, headers: {"X Y": a}}]}\n',
         "4: scenarios.0.mix.0.headers.X Y: must be a header name"),
        (SERVERS + 'scenarios:\n  - {name: a, mix: [{name: "f\\0", path: /f}]}\n',
         "4: scenarios.0.mix.0.name: contains a control character (U+0000)"),
        (SERVERS + 'scenarios:\n  - {name: a, locustfile: "x\\0.py"}\n',
         "4: scenarios.0.locustfile: contains a control character (U+0000)"),
        (SERVERS + "scenarios:\n  - {name: a, mix: [{name: f, path: /f, weight: 0}]}\n",
         "4: scenarios.0.mix: every weight is 0: nothing to send"),
        (SERVERS + "scenarios:\n  - {name: a, mode: burst, mix: [{name: f, path: /f, weight: 2}]}\n",
         "4: scenarios.0.mix.0.weight: burst mode takes count, not weight"),
        (SERVERS + "scenarios:\n  - {name: a, order: [sequential], mix: [{name: f, path: /f}]}\n",
         "4: scenarios.0.order: applies to burst mode only"),
        (SERVERS + "scenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "5: scenarios.1.name: duplicate scenario name 'a' (also scenarios.0)"),
        (SERVERS + "scenarios:\n  - {name: a, locustfile: nope.py}\n",
         "4: scenarios.0.locustfile: file 'nope.py' does not exist"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, mix: [{path: /f}]}\n",
         "4: scenarios.0: open mode needs rate:"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: 5, users: 3, mix: [{path: /f}]}\n",
         "4: scenarios.0.users: does not apply to open mode"),
        (SERVERS + "scenarios:\n  - {name: a, rate: 5, mix: [{path: /f}]}\n",
         "4: scenarios.0.rate: applies to open mode only"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: 2}\n",
         "4: scenarios.0: stream mode needs stream:"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, stream: {path: /s}}\n",
         "4: scenarios.0: stream mode needs connections:"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: [2, 0], stream: {path: /s}}\n",
         "4: scenarios.0.connections.1: must be an integer >= 1, got 0"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: 2, stream: {path: /s, interval: soon}}\n",
         "4: scenarios.0.stream.interval: "),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: 2, stream: {path: s}}\n",
         "4: scenarios.0.stream.path: "),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: 2, users: 3, stream: {path: /s}}\n",
         "4: scenarios.0.users: stream mode: users send the mix beside the streams; there is no mix"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: 2, rate: 5, stream: {path: /s}}\n",
         "4: scenarios.0.rate: does not apply to stream mode"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: 99999, stream: {path: /s}}\n",
         "4: scenarios.0.connections: 99,999 connections need about"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: auto, stream: {path: /s}}\n",
         "4: scenarios.0.connections: auto needs an objective: capacity:"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: auto, stream: {path: /s},"
         " capacity: {p99_ms: '< 5'}}\n",
         "4: scenarios.0.capacity.p99_ms: does not apply to a connections search"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: 5, stream: {path: /s},"
         " capacity: {gap_p99_ms: '< 5'}}\n",
         "4: scenarios.0.capacity: applies to connections: auto only"),
        (SERVERS + "scenarios:\n  - {name: a, mode: stream, connections: auto, stream: {path: /s},"
         " capacity: {gap_p99_ms: '< 0'}}\n",
         "4: scenarios.0.capacity.gap_p99_ms: a latency is always above 0 ms"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: auto, mix: [{path: /f}],"
         " capacity: {gap_p99_ms: '< 5'}}\n",
         "4: scenarios.0.capacity.gap_p99_ms: applies to stream mode's connections: auto only"),
        ("servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n"
         "  - {name: a, mode: websocket, connections: auto, websocket: {path: /ws/echo}}\n",
         "4: scenarios.0.connections: auto applies to stream mode"),
        (SERVERS + "scenarios:\n  - {name: a, connections: 5, mix: [{path: /f}]}\n",
         "4: scenarios.0.connections: applies to stream and websocket mode only"),
        (SERVERS + "scenarios:\n  - {name: a, mode: websocket, connections: 5, websocket: {path: /ws/echo}}\n",
         "4: scenarios.0.servers: g1 serves WSGI (gunicorn sync): WebSockets need an ASGI server"),
        ("servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n"
         "  - {name: a, mode: websocket, websocket: {path: /ws/echo}}\n",
         "4: scenarios.0: websocket echo needs connections:"),
        ("servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n"
         "  - {name: a, mode: websocket, connections: 3, websocket: {path: /ws/room, subscribers: 5}}\n",
         "4: scenarios.0.connections: a fan-out holds websocket.subscribers connections"),
        ("servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n"
         "  - {name: a, mode: websocket, connections: 3, websocket: {path: /ws/echo, rate: 0}}\n",
         "4: scenarios.0.websocket.rate: must be > 0"),
        ("servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n"
         "  - {name: a, mode: websocket, connections: 3, websocket: {path: /ws/echo}, mix: [{path: /f}]}\n",
         "4: scenarios.0.mix: does not apply to websocket mode"),
        (SERVERS + "scenarios:\n  - {name: a, stream: {path: /s}, mix: [{path: /f}]}\n",
         "4: scenarios.0.stream: applies to stream mode only"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: [5, 0], mix: [{path: /f}]}\n",
         "4: scenarios.0.rate.1: must be > 0"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: auto, mix: [{path: /f}]}\n",
         "4: scenarios.0.rate: auto needs an objective: capacity:"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: fast, mix: [{path: /f}]}\n",
         "4: scenarios.0.rate: must be one of 'auto', got 'fast'"),
        (SERVERS + "scenarios:\n  - {name: a, capacity: {p99_ms: '< 5'}, mix: [{path: /f}]}\n",
         "4: scenarios.0.capacity: applies to open mode only"),
        (SERVERS + "scenarios:\n  - {name: a, mode: burst, capacity: {p99_ms: '< 5'}, mix: [{path: /f}]}\n",
         "4: scenarios.0.capacity: applies to open mode only"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: 5, capacity: {p99_ms: '< 5'}, mix: [{path: /f}]}\n",
         "4: scenarios.0.capacity: applies to rate: auto only"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: auto, capacity: {}, mix: [{path: /f}]}\n",
         "4: scenarios.0.capacity: needs at least one objective"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: auto, capacity: {p99: '< 5'}, mix: [{path: /f}]}\n",
         "4: scenarios.0.capacity.p99: unknown field (did you mean 'p99_ms'?)"),
        (SERVERS + "scenarios:\n  - {name: a, slo: {endpoints: {'f(1)': {p95_ms: 5}}}, mix: [{name: 'f(1)', path: /f}]}\n",
         "4: scenarios.0.slo.endpoints.f(1).p95_ms: must be a string"),
        (SERVERS + "scenarios:\n  - {name: a, mix: [{path: /f, service_ms: 0}]}\n",
         "4: scenarios.0.mix.0.service_ms: must be > 0, got 0"),
        (SERVERS + "scenarios:\n  - {name: a, mix: [{path: /f, service_ms: -2}]}\n",
         "4: scenarios.0.mix.0.service_ms: must be > 0, got -2"),
        ("servers:\n  u: {server: uvicorn, app: apps.asgi_app:app, slots: 0}\nscenarios:\n  - {name: a, mix: [{path: /f}]}\n",
         "2: servers.u.slots: must be an integer >= 1, got 0"),
        (SERVERS + "scenarios:\n  - {name: a, mode: open, rate: 5, arrival: burst, mix: [{path: /f}]}\n",
         "4: scenarios.0.arrival: must be one of 'constant' or 'poisson'"),
        ("servers:\n  g1: {server: gunicorn, app: a:b, threads: 4}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.g1.threads: needs worker_class: gthread"),
        ("servers:\n  g1: {server: gunicorn, app: a:b, worker_class: eventlet}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.g1.worker_class: must be one of 'sync', 'gthread', 'gevent', 'uvicorn' or 'asgi', got 'eventlet'"),
        ("servers:\n  g1: {server: uvicorn, app: a:b, blocking_threads: 2}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.g1.blocking_threads: is not a setting of server 'uvicorn'"),
        ("servers:\n  g1: {server: granian, app: a:b, blocking_threads: 2}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.g1.blocking_threads: granian runs more than one blocking thread for interface: wsgi only"),
        ("servers:\n  g1: {server: granian, app: a:b, runtime_mode: fast}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.g1.runtime_mode: must be one of 'auto', 'mt' or 'st', got 'fast'"),
        ("servers:\n  g1: {server: gunicorn, app: a:b, asgi_loop: uvloop}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.g1.asgi_loop: needs worker_class: asgi"),
        ("servers:\n  g1: {server: gunicorn, app: a:b, worker_class: asgi, http_parser: rust}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.g1.http_parser: must be one of 'auto', 'fast' or 'python', got 'rust'"),
        ("servers:\n  u: {server: uvicorn, app: a:b, threads: 4}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.u.threads: is not a setting of server 'uvicorn'"),
        ("servers:\n  u: {server: uvicorn, app: a:b, host: 10.254.254.254}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.u.host: cannot listen on 10.254.254.254 here (Cannot assign requested address)"),
        ("servers:\n  u: {server: uvicorn, app: a:b, host: example.com}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.u.host: must be an IPv4 address or localhost"),
        ("servers:\n  u: {server: external, url: 'http://a:1', port: 80}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.u.port: does not apply to server: external"),
        ("servers:\n  u: {server: uvicorn, app: a:b, app_dir: nowhere}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.u.app_dir: directory 'nowhere' does not exist"),
        ("servers:\n  u: {server: uvicorn, app: a:b, env: {A: 1}}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.u.env.A: must be a string, got 1"),
        ('servers:\n  u: {server: uvicorn, app: a:b, env: {A: "x\\0y"}}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n',
         "2: servers.u.env.A: contains a control character (U+0000); not allowed here"),
        ('servers:\n  u: {server: uvicorn, app: a:b, env: {"A=B": x}}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n',
         "2: servers.u.env.A=B: must be an environment variable name"),
        ('servers:\n  u: {server: uvicorn, app: a:b, args: ["--x", "y\\0"]}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n',
         "2: servers.u.args.1: contains a control character (U+0000)"),
        ('servers:\n  u: {server: uvicorn, app: a:b, app_dir: "a\\x1b[31m"}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n',
         "2: servers.u.app_dir: contains a control character (U+001B)"),
        ('servers:\n  u: {server: external, url: "http://a\\0b:80"}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n',
         "2: servers.u.url: must look like http://HOST:PORT"),
        ("servers:\n  u: {server: uvicorn, app: a:b, workers: true}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
         "2: servers.u.workers: must be an integer, got True"),
        ("servers:\n  u: {server: uvicorn, app: !!python/object/apply:os.system [echo]}\nscenarios: []\n",
         "2: servers.u.app: YAML tags are not allowed here"),
    ],
)  # fmt: skip
def test_bad_input(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert any(line.startswith(expected) for line in found), found


def test_an_slo_is_a_capacity_searchs_objective_by_default(tmp_path: Path) -> None:
    text = SERVERS + "scenarios:\n  - {name: a, mode: open, rate: auto, slo: {p99_ms: '< 50'}, mix: [{path: /f}]}\n"
    suite = load_suite(write_scenario(tmp_path, text))
    (search,) = build_searches(suite)
    assert search.objective.p99_ms == "< 50" and search.server_name == "g1" and build_plan(suite) == []
    assert search.at(12.5, 3).key.level.token == "rate=12.5" and search.at(12.5, 3).index == 3


def test_format_and_cross_field_problems_are_listed_together(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        servers:
          a: {server: uvicorn, app: apps.asgi_app:app, workers: 0}
          b: {server: gunicorn, app: apps.wsgi_app:app, threads: 2}
        scenarios:
          - {name: s, servers: [a, c], mix: [{name: f, path: /f}]}
          - {name: s, users: 0, mix: [{name: f, path: /f}]}
          - {name: t, servers: [cc], mix: [{name: f, path: /f, count: 2}]}
        """,
    )
    assert found == [
        "2: servers.a.workers: must be an integer >= 1, got 0",
        "3: servers.b.threads: needs worker_class: gthread",
        "5: scenarios.0.servers.1: unknown server 'c'",  # a is declared, though not valid
        "6: scenarios.1.users: must be an integer >= 1, got 0",
        "7: scenarios.2.servers.0: unknown server 'cc'",
        "7: scenarios.2.mix.0.count: steady mode takes weight, not count",
    ]


def test_an_override_beside_a_scenarios_server_list(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        servers:
          g: {server: gunicorn, app: apps.wsgi_app:app, args: [--workers, "3"]}
          u: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - {name: a, servers: [g, u, ork], mix: [{path: /f}]}
        """,
    )
    assert found == [
        "2: servers.g.args.0: '--workers' would override what the suite sets (--workers); declare workers:",
        "5: scenarios.0.servers.2: unknown server 'ork'",
    ]


def test_a_mix_entry_is_named_by_its_path_unless_named(tmp_path: Path) -> None:
    mix_text = "[{path: /slow?delay_ms=5}, {name: n, path: /f}, {path: /orders}, {path: /orders, method: post}]"
    path = write_scenario(tmp_path, SERVERS + "scenarios:\n  - {name: a, mix: " + mix_text + "}\n")
    mix = load_suite(path).declared.scenarios[0].mix
    assert mix is not None and [e.name for e in mix] == ["/slow?delay_ms=5", "n", "/orders", "POST /orders"]
    tab = write_scenario(
        tmp_path, SERVERS + 'scenarios:\n  - {name: a, mix: [{path: /, headers: {X: "a\\tb"}}]}\n', "t.yaml"
    )
    mix = load_suite(tab).declared.scenarios[0].mix
    assert mix is not None and mix[0].headers == {"X": "a\tb"}  # sent as declared


def test_an_app_the_config_cannot_serve(tmp_path: Path, repo: Path) -> None:
    found = problems(
        tmp_path,
        f"""\
        defaults: {{users: 1}}
        servers:
          sync:     {{server: gunicorn, app: apps.asgi_app:app, app_dir: {repo}}}
          uvw:      {{server: gunicorn, app: apps.wsgi_app:app, worker_class: uvicorn, app_dir: {repo}}}
          uv:       {{server: uvicorn, app: apps.wsgi_app:app, app_dir: {repo}}}
          gr:       {{server: granian, app: apps.wsgi_app:app, app_dir: {repo}}}
          declared: {{server: gunicorn, app: apps.wsgi_app:app, interface: asgi, app_dir: {repo}}}
          fits-1:   {{server: gunicorn, app: apps.wsgi_app:app, worker_class: gevent, app_dir: {repo}}}
          fits-2:   {{server: granian, app: apps.wsgi_app:app, interface: wsgi, app_dir: {repo}}}
          fits-3:   {{server: hypercorn, app: apps.wsgi_app:app, app_dir: {repo}}}
          unknown:  {{server: uvicorn, app: apps.not_there:app, app_dir: {repo}}}
        scenarios:
          - {{name: a, mix: [{{name: f, path: /f}}]}}
        """,
    )
    assert [line.split(" (")[0] for line in found] == [
        "3: servers.sync.server: gunicorn's sync worker serves WSGI, but apps.asgi_app:app is ASGI",
        "4: servers.uvw.worker_class: gunicorn's uvicorn worker serves ASGI, but apps.wsgi_app:app is WSGI",
        "5: servers.uv.server: uvicorn serves ASGI, but apps.wsgi_app:app is WSGI",
        "6: servers.gr.server: granian with interface: asgi serves ASGI, but apps.wsgi_app:app is WSGI",
        "7: servers.declared.interface: gunicorn's sync worker serves WSGI, but interface: asgi says the app is ASGI;"
        " use worker_class: asgi or uvicorn for an ASGI app; sync, gthread or gevent for a WSGI app",
        f"11: servers.unknown.app: module 'apps.not_there' is neither in {repo} nor installed",
    ]
    # Each says why it believes what the app is, and what to change.
    assert (
        "returning async def middleware(scope, receive, send) (line 289)); use worker_class: asgi or uvicorn"
        in found[0]
    )
    unless = " (if that reading of the source is wrong, declare interface:)"
    assert found[2].endswith("for a WSGI app use gunicorn, hypercorn, or granian with interface: wsgi" + unless)
    assert found[3].endswith("set interface: to the app's" + unless)


def test_problem_names_the_file(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, "servers: {}\nscenarios: []\n")
    with pytest.raises(ScenarioError) as caught:
        load_suite(path)
    assert str(caught.value).startswith(f"{path}:1: servers: must not be empty")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_suite(tmp_path / "absent.yaml")


yaml_scalars = st.one_of(
    st.integers(-5, 10**8), st.booleans(), st.none(), st.text(max_size=12), st.floats(allow_nan=False)
)
yaml_keys = st.sampled_from(
    ["name", "defaults", "servers", "scenarios", "users", "server", "app", "workers", "mix", "path", "weight",
     "count", "mode", "order", "duration", "warmup", "x", "g1", "gunicorn", "threads", "loop", "env"]
)  # fmt: skip
documents = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(yaml_keys, children, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents)
def test_any_document_is_a_suite_or_a_clear_error(tmp_path: Path, document: object) -> None:
    import json

    path = tmp_path / "random.yaml"
    path.write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML 1.2
    try:
        load_suite(path)
    except ScenarioError as error:
        assert error.problems
        assert all(str(p).startswith(str(path)) for p in error.problems)


def test_alias_bombs_and_deep_nesting_are_refused_quickly(tmp_path: Path) -> None:
    import time

    levels = ["a: &a [" + ",".join(['"x"'] * 9) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\nservers: {u: {server: uvicorn, app: 'a:b'}}\n")
    started = time.monotonic()
    with pytest.raises(ScenarioError) as caught:
        load_suite(bomb)
    assert time.monotonic() - started < 5  # and a few MB: the expansion stops at the bound
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{bomb}:") and "values once YAML aliases are expanded" in str(problem)
    for depth, message in ((70, "nested more than 64 levels deep"), (400, "nested too deeply")):
        deep = tmp_path / f"deep{depth}.yaml"
        deep.write_text("servers: " + "[" * depth + "]" * depth + "\n")
        with pytest.raises(ScenarioError) as caught:
            load_suite(deep)
        assert message in str(caught.value), depth


def test_master_bind_is_checked(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        """\
        servers: {u: {server: uvicorn, app: "a:b"}}
        scenarios:
          - {name: s, loadgen: {workers: 1, master_bind: "127.0.0.1:99999"}, mix: [{name: f, path: /}]}
          - {name: t, loadgen: {workers: 1, master_bind: "10.254.254.254:5557"}, mix: [{name: f, path: /}]}
        """,
    )
    with pytest.raises(ScenarioError) as caught:
        load_suite(path)
    text = str(caught.value)
    assert f"{path}:3: scenarios.0.loadgen.master_bind: port must be 1..65535, got 99999" in text
    assert f"{path}:4: scenarios.1.loadgen.master_bind: cannot listen on 10.254.254.254 here" in text


def test_a_missing_module_is_found_at_validation(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("def app(environ, start_response):\n    return []\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "web.py").write_text("")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "deep.py").write_text("")
    found = problems(
        tmp_path,
        """\
        servers:
          typo:      {server: gunicorn, app: "mian:app", app_dir: .}
          sub:       {server: gunicorn, app: "pkg.wbe:app", app_dir: .}
          fine:      {server: gunicorn, app: "main:app", app_dir: .}
          package:   {server: gunicorn, app: "pkg.web:app", app_dir: .}
          declared:  {server: gunicorn, app: "deep:app", app_dir: ., env: {PYTHONPATH: lib}}
          installed: {server: gunicorn, app: "gunicorn.app.wsgiapp:run"}
          stdlib:    {server: gunicorn, app: "wsgiref.simple_server:demo_app"}
          nowhere:   {server: gunicorn, app: "nosuchthing.at.all:app", app_dir: .}
        scenarios:
          - {name: a, mix: [{path: /}]}
        """,
    )
    assert found == [
        f"2: servers.typo.app: module 'mian' is neither in {tmp_path} nor installed (did you mean 'main'?)",
        f"3: servers.sub.app: module 'pkg.wbe' is neither in {tmp_path} nor installed (did you mean 'pkg.web'?)",
        f"9: servers.nowhere.app: module 'nosuchthing.at.all' is neither in {tmp_path} nor installed",
    ]


def test_a_factory_is_read_for_its_interface(tmp_path: Path) -> None:
    (tmp_path / "factories.py").write_text(
        "from flask import Flask\n"
        "from fastapi import FastAPI\n"
        "def wsgi_app():\n    app = Flask(__name__)\n    return app\n"
        "def asgi_app():\n    return FastAPI()\n"
        "def inner():\n    async def app(scope, receive, send):\n        pass\n    return app\n"
        "def unclear():\n    if x:\n        return Flask(__name__)\n    return FastAPI()\n"
    )
    found = problems(
        tmp_path,
        """\
        servers:
          a: {server: uvicorn, app: "factories:wsgi_app()", app_dir: .}
          b: {server: gunicorn, app: "factories:asgi_app()", app_dir: .}
          c: {server: gunicorn, app: "factories:inner()", app_dir: .}
          d: {server: uvicorn, app: "factories:unclear()", app_dir: .}
          e: {server: uvicorn, app: "factories:asgi_app()", app_dir: .}
          f: {server: uvicorn, app: "factories:asgi_app(1)", app_dir: .}
        scenarios:
          - {name: a, mix: [{path: /}]}
        """,
    )
    assert [line.split(" (")[0] for line in found] == [
        "2: servers.a.server: uvicorn serves ASGI, but factories:wsgi_app() is WSGI",
        "3: servers.b.server: gunicorn's sync worker serves WSGI, but factories:asgi_app() is ASGI",
        "4: servers.c.server: gunicorn's sync worker serves WSGI, but factories:inner() is ASGI",
        "7: servers.f.app: must look like module.path:attribute",
    ]
    assert "factories.py:4: app = Flask(...)" in found[0]
    assert "factories.py:7: return FastAPI(...)" in found[1]


@pytest.mark.parametrize(
    "source",
    [b"\xef\xbb\xbffrom locust import HttpUser\n", b"# -*- coding: latin-1 -*-\nNAME = '\xe9t\xe9'\n"],
)
def test_a_locustfile_with_a_bom_or_a_coding_line_is_python(tmp_path: Path, source: bytes) -> None:
    """As Python imports it: compiled from its bytes, not decoded as UTF-8 first."""
    (tmp_path / "own.py").write_bytes(source)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n  - {name: a, locustfile: own.py}\n"
    )
    assert load_suite(scenario).declared.scenarios[0].locustfile == "own.py"


EVENTS = """\
servers:
  sync-2: {server: gunicorn, app: apps.wsgi_app:app, workers: 2}
  uvicorn-1: {server: uvicorn, app: apps.asgi_app:app}
  granian: {server: granian, app: apps.asgi_app:app, max_requests: 10}
  hypercorn: {server: hypercorn, app: apps.asgi_app:app, max_requests_jitter: 5}
scenarios:
  - name: deploy
    duration: 10s
    servers: [sync-2, uvicorn-1]
    mix: [{path: /fast}]
    events:
      - {at: 3s, do: scale, workers: -2}
      - {at: 12s, do: reload, workers: +1}
      - {at: 1s, do: reload, seed: 3}
      - {at: 0s, do: reload}
      - {at: 3.5s, do: kill_worker}
  - name: burst
    mode: burst
    mix: [{path: /fast}]
    events: [{at: 1s, do: reload}]
    servers: [sync-2]
  - name: quiet
    mix: [{path: /fast}]
    servers: [sync-2]
    recover_within: 1s
"""


def test_events_a_window_or_a_server_cannot_hold_are_named(tmp_path: Path) -> None:
    found = problems(tmp_path, EVENTS)
    for expected in (
        "4: servers.granian.max_requests: granian recycles workers by age or memory",
        "5: servers.hypercorn.max_requests_jitter: needs max_requests:",
        "12: scenarios.0.events.0.workers: would leave server 'sync-2' with 0 workers",
        "12: scenarios.0.events.0.do: server 'uvicorn-1': uvicorn with one worker has no manager to scale",
        "13: scenarios.0.events.1.at: 12s is not inside the measured window (duration 10s)",
        "13: scenarios.0.events.1.workers: applies to do: scale only",
        "14: scenarios.0.events.2.seed: applies to do: kill_worker only",
        "15: scenarios.0.events.3.at: 0s leaves no measured time before it to compare with",
        "16: scenarios.0.events.4.at: 3.5s is within 1s of the event before it (3s)",
        "20: scenarios.1.events: apply to steady and open modes only, not burst mode",
        "25: scenarios.2.recover_within: applies with events: only",
    ):
        assert any(line.startswith(expected) for line in found), (expected, found)


def test_a_quick_suite_keeps_the_window_its_events_need(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        """\
        servers:
          sync-2: {server: gunicorn, app: apps.wsgi_app:app, workers: 2}
        scenarios:
          - name: deploy
            duration: 8s
            mix: [{path: /fast}]
            events: [{at: 5s, do: kill_worker}]
          - name: plain
            duration: 8s
            mix: [{path: /fast}]
        """,
    )
    plans = {plan.key.scenario: plan for plan in build_plan(load_suite(path), quick=True)}
    assert plans["deploy"].duration_s == 8.0 and plans["plain"].duration_s < 8.0


def test_a_reload_of_gunicorn_starts_its_declared_workers_again(tmp_path: Path) -> None:
    """gunicorn's reload re-reads its config: a scale-down after it counts from the declared workers."""
    found = problems(
        tmp_path,
        """\
servers:
  sync-2: {server: gunicorn, app: apps.wsgi_app:app, workers: 2}
scenarios:
  - name: deploy
    mix: [{path: /fast}]
    events:
      - {at: 2s, do: scale, workers: +3}
      - {at: 4s, do: reload}
      - {at: 6s, do: scale, workers: -3}
""",
    )
    assert any(
        line.startswith("9: scenarios.0.events.2.workers: would leave server 'sync-2' with -1") for line in found
    )


def test_hostile_event_fields_are_named_briefly_and_quickly(tmp_path: Path) -> None:
    """Unicode digits are no digits; a float's rounding is no spacing; a long value is cut short; a flow list
    of millions is refused before the parser spends minutes on it."""
    long_do = "x" * 5000
    found = problems(
        tmp_path,
        f"""\
servers:
  sync-2: {{server: gunicorn, app: apps.wsgi_app:app, workers: 2}}
  ext: {{server: external, url: "http://127.0.0.1:9", max_requests: 10}}
scenarios:
  - name: deploy
    servers: [sync-2]
    duration: 8.2s
    mix: [{{path: /fast}}]
    events:
      - {{at: 3.1s, do: reload}}
      - {{at: 4.1s, do: kill_worker}}
      - {{at: 5.1s, do: scale, workers: "+\u0663"}}
      - {{at: "\u0663s", do: reload}}
      - {{at: "1.2.3", do: reload}}
      - {{at: 7.2s, do: {long_do}}}
""",
    )
    assert "3: servers.ext.max_requests: does not apply to server: external (the suite does not start it)" in found
    assert any(line.startswith("12: scenarios.0.events.2.workers: must be an integer") for line in found), found
    assert any(line.startswith("13: scenarios.0.events.3.at: must be a duration such as") for line in found), found
    assert any(line.startswith("14: scenarios.0.events.4.at: must be a duration such as") for line in found), found
    assert not any("events.1.at" in line for line in found), found  # 4.1 - 3.1 is a second
    assert all(len(line) < 300 for line in found), found
    path = tmp_path / "huge.yaml"
    path.write_text("servers: {}\nscenarios: [" + "1," * 1_000_000 + "1]\n")
    with pytest.raises(ScenarioError, match="lines and commas"):
        load_suite(path)
