"""Server registry: argv per kind (unit), and every kind really serving both apps."""

from __future__ import annotations

import sys

import pytest

from perfsuite.plan.format import ServerConfig
from perfsuite.plan.servers import NO_GUNICORN_CONF, SERVER_KINDS, build_argv, overridden, recycles_workers, serves


def config(**fields: object) -> ServerConfig:
    return ServerConfig.model_validate(fields)


def test_gunicorn_argv() -> None:
    argv = build_argv(config(server="gunicorn", app="apps.wsgi_app:app", worker_class="gthread", workers=2, threads=4,
                             args=["--timeout", "60"]), "127.0.0.1", 8000)  # fmt: skip
    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    assert argv[3:] == ["--config", str(NO_GUNICORN_CONF), "--no-control-socket", "--bind", "127.0.0.1:8000", "--workers", "2", "--worker-class", "gthread", "--threads", "4",
                        "--timeout", "60", "apps.wsgi_app:app"]  # fmt: skip


@pytest.mark.parametrize(
    ("server", "args", "found"),
    [
        ("gunicorn", ["--workers", "3"], [(0, "--workers")]),
        ("gunicorn", ["--timeout", "5", "-w3"], [(2, "-w")]),
        ("gunicorn", ["--bind=0.0.0.0:80", "-c", "gunicorn.conf.py", "--threads", "4"],
         [(0, "--bind"), (1, "-c"), (3, "--threads")]),
        ("gunicorn", ["--timeout", "5", "--worker-tmp-dir", "/dev/shm", "--keep-alive", "2"], []),
        ("uvicorn", ["--port", "1", "--interface", "wsgi", "--timeout-keep-alive", "5"], [(0, "--port")]),
        ("granian", ["--workers=2", "--blocking-threads", "2", "--backlog", "64"], [(0, "--workers"), (1, "--blocking-threads")]),
        ("hypercorn", ["-k", "uvloop", "--keep-alive", "5"], [(0, "-k")]),
        # argparse takes abbreviations and clustered short flags
        ("gunicorn", ["--conf", "x.py", "--threa", "4", "-Dw3", "--bin=h:1", "--timeout", "5"],
         [(0, "--config"), (2, "--threads"), (4, "-w"), (5, "--bind")]),
        ("gunicorn", ["--pythonpath", "src"], [(0, "--pythonpath")]),
        ("uvicorn", ["--work", "2"], []),  # click takes no abbreviations: uvicorn itself refuses it
    ],
)  # fmt: skip
def test_args_that_override_a_declared_field(server: str, args: list[str], found: list[tuple[int, str]]) -> None:
    cfg = config(server=server, app="a:b", args=args)
    assert [(where[1], flag) for where, _, flag, _ in overridden(cfg)] == found


def test_environment_variables_that_override_a_declared_field() -> None:
    gunicorn = config(server="gunicorn", app="a:b", env={"GUNICORN_CMD_ARGS": "--timeout 5 --threads 4", "X": "1"})
    assert [(where, flag) for where, _, flag, _ in overridden(gunicorn)] == [
        (("env", "GUNICORN_CMD_ARGS"), "--threads")
    ]
    uvicorn = config(server="uvicorn", app="a:b", env={"UVICORN_UDS": "/tmp/s", "UVICORN_TIMEOUT_KEEP_ALIVE": "5"})
    assert [(where, flag) for where, _, flag, _ in overridden(uvicorn)] == [(("env", "UVICORN_UDS"), "--uds")]
    granian = config(server="granian", app="a:b", env={"GRANIAN_WORKERS": "4", "GRANIAN_BLOCKING_THREADS": "2"})
    assert [(where, flag) for where, _, flag, _ in overridden(granian)] == [
        (("env", "GRANIAN_WORKERS"), "--workers"),
        (("env", "GRANIAN_BLOCKING_THREADS"), "--blocking-threads"),  # a declared field now: blocking_threads
    ]


def test_the_2026_server_options_become_flags() -> None:
    asgi = config(server="gunicorn", app="a:b", worker_class="asgi", asgi_loop="asyncio", http_parser="python")
    argv = build_argv(asgi, "127.0.0.1", 1)
    assert argv[argv.index("--worker-class") + 1] == "asgi"
    assert argv[argv.index("--asgi-loop") + 1] == "asyncio" and argv[argv.index("--http-parser") + 1] == "python"
    granian = config(server="granian", app="a:b", interface="wsgi", runtime_mode="st", runtime_threads=2,
                     blocking_threads=3, backpressure=16, task_impl="rust", loop="rloop")  # fmt: skip
    argv = build_argv(granian, "127.0.0.1", 1)
    for flag, value in (("--runtime-mode", "st"), ("--runtime-threads", "2"), ("--blocking-threads", "3"),
                        ("--backpressure", "16"), ("--task-impl", "rust"), ("--loop", "rloop")):  # fmt: skip
        assert argv[argv.index(flag) + 1] == value


def test_gunicorn_uvicorn_worker_uses_the_uvicorn_worker_package() -> None:
    cfg = config(server="gunicorn", app="apps.asgi_app:app", worker_class="uvicorn", workers=2)
    assert "uvicorn_worker.UvicornWorker" in build_argv(cfg, "127.0.0.1", 1)
    assert serves(cfg) == {"asgi"}


def test_uvicorn_granian_hypercorn_argv() -> None:
    uv = build_argv(config(server="uvicorn", app="a:b", workers=3, loop="asyncio", http="h11"), "127.0.0.1", 9)
    assert uv[3:] == ["a:b", "--host", "127.0.0.1", "--port", "9", "--workers", "3", "--no-access-log",
                      "--loop", "asyncio", "--http", "h11"]  # fmt: skip
    gr = build_argv(config(server="granian", app="a:b", interface="wsgi"), "127.0.0.1", 9)
    assert gr[3:] == ["--interface", "wsgi", "--host", "127.0.0.1", "--port", "9", "--workers", "1", "a:b"]
    hy = build_argv(config(server="hypercorn", app="a:b", loop="uvloop"), "127.0.0.1", 9)
    assert hy[3:] == ["--bind", "127.0.0.1:9", "--workers", "1", "--worker-class", "uvloop", "a:b"]


def test_no_shell_anywhere() -> None:
    for kind in (name for name, k in SERVER_KINDS.items() if k.build_argv is not None):
        argv = build_argv(config(server=kind, app="a:b", args=["; rm -rf /"]), "127.0.0.1", 1)
        assert "; rm -rf /" in argv and argv[0] == sys.executable


@pytest.mark.parametrize(
    ("settings", "recycles"),
    [
        ({"server": "gunicorn", "args": ["--max-requests", "1000"]}, True),
        ({"server": "gunicorn", "args": ["--max-requests=1000"]}, True),
        ({"server": "gunicorn", "args": ["--max-requests-jitter", "50"]}, False),  # jitter alone recycles nothing
        ({"server": "gunicorn", "env": {"GUNICORN_CMD_ARGS": "--timeout 60 --max-requests 500"}}, True),
        ({"server": "uvicorn", "args": ["--limit-max-requests", "1000"]}, True),
        ({"server": "uvicorn", "args": ["--max-requests", "1000"]}, False),  # not uvicorn's option
        ({"server": "granian", "args": ["--workers-lifetime", "60"]}, True),
        ({"server": "granian", "env": {"GRANIAN_WORKERS_MAX_RSS": "512"}}, True),
        ({"server": "hypercorn", "args": ["--max-requests", "10"]}, True),
        ({"server": "gunicorn"}, False),
    ],
)
def test_recycling_workers_on_purpose_is_known(settings: dict, recycles: bool) -> None:  # type: ignore[type-arg]
    assert recycles_workers(config(app="a:b", **settings)) is recycles


def test_uvicorn_serves_wsgi_only_when_told() -> None:
    assert serves(config(server="uvicorn", app="a:b")) == {"asgi"}
    assert serves(config(server="uvicorn", app="a:b", args=["--interface", "wsgi"])) == {"wsgi"}
    assert serves(config(server="uvicorn", app="a:b", args=["--interface", "wsgi", "--interface=asgi3"])) == {"asgi"}
    assert serves(config(server="hypercorn", app="a:b")) == {"asgi", "wsgi"}


def test_the_signal_that_starts_a_stop() -> None:
    import signal

    from perfsuite.plan.servers import stop_signal

    def config(**fields: object) -> ServerConfig:
        return ServerConfig.model_validate({"server": "gunicorn", "app": "a:b", **fields})

    # gunicorn's graceful stop of a gevent worker waits on idle keep-alive connections; its quick stop does not.
    assert stop_signal(config(worker_class="gevent")) == signal.SIGINT
    assert stop_signal(config(worker_class="sync")) == signal.SIGTERM
    assert stop_signal(ServerConfig.model_validate({"server": "uvicorn", "app": "a:b"})) == signal.SIGTERM


def test_every_kind_of_the_registry_is_one_complete_entry() -> None:
    """A kind is one entry: the format, the JSON Schema, the packages recorded and the modules
    asked for all come from it, and every entry answers every question the suite asks of a kind."""
    import signal
    from typing import get_args

    from perfsuite.plan.concurrency import NoModel, Slots
    from perfsuite.plan.format import ServerConfig as Config
    from perfsuite.plan.schema import json_schema
    from perfsuite.plan.servers import (
        KIND_OPTIONS,
        SERVER_KIND_NAMES,
        SERVER_MODULES,
        SERVER_PACKAGES,
        modules_for,
        package_version,
        slots,
        stop_signal,
    )

    enum = json_schema()["$defs"]["ServerConfig"]["properties"]["server"]["enum"]
    assert tuple(enum) == SERVER_KIND_NAMES == tuple(SERVER_KINDS)
    loop_choices = {value for arg in get_args(Config.model_fields["loop"].annotation) for value in get_args(arg)}
    for name, kind in SERVER_KINDS.items():
        assert kind.options <= {*KIND_OPTIONS, "url"} and set(kind.loops) <= loop_choices, name
        assert set(kind.packages) <= set(SERVER_PACKAGES) and set(kind.modules) <= set(SERVER_MODULES), name
        if kind.build_argv is None:  # external: the suite starts nothing and knows nothing of its model
            config = Config.model_validate({"server": name, "url": "http://10.0.0.5:8000"})
            assert kind.packages == () and modules_for(config) == ()
            with pytest.raises(NoModel):
                slots(config)
            continue
        config = Config.model_validate({"server": name, "app": "apps.asgi_app:app", "workers": 2})
        argv = build_argv(config, "127.0.0.1", 8123)
        assert argv[1:3] == ["-m", kind.modules[0]] and any("8123" in arg for arg in argv), (name, argv)
        assert package_version(config, kind.packages[0]) is not None, name  # installed beside the suite
        assert set(modules_for(config)) <= set(kind.modules) and modules_for(config)[0] == kind.modules[0]
        assert serves(config) and serves(config) <= {"asgi", "wsgi"} and kind.fix is not None
        assert isinstance(stop_signal(config), signal.Signals)
        assert {"--workers", "-w"} & set(kind.owned), f"{name}: args: could set the workers the suite sets"
        held = slots(config.model_copy(update={"interface": "asgi"}))
        assert isinstance(held, Slots) and held.count > 0 and held.source, name
