"""Events held to their objectives (perfsuite.judge.events), and what each kind can do (its registry entry)."""

from __future__ import annotations

import pytest

from perfsuite.judge.events import attributed_failures, event_flags, judged, label
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds import granian, gunicorn, hypercorn, uvicorn
from perfsuite.record.results import EventFailed, EventResult


def event(**fields: object) -> EventResult:
    return EventResult.model_validate({"do": "kill_worker", "at_s": 3.0, **fields})


def test_an_event_within_its_objectives_is_ok_and_one_beyond_is_named() -> None:
    assert judged(event(recovered_s=0.4), 0, 2.0).ok is True
    failed = judged(event(failed=EventFailed(count=2, statuses={"502": 1}, errors={"connection reset": 1})), 1, None)
    assert failed.ok is False and failed.why == "2 failed requests (502 x 1, connection reset x 1; allowed 1)"
    slow = judged(event(recovered_s=2.5), 0, 2.0)
    assert slow.why == "throughput back after 2.5 s (recover_within 2 s)"
    never = judged(event(recovered_s=None), 0, 2.0)
    assert never.ok is False and "not back" in (never.why or "")
    assert judged(event(recovered_s=None), 0, None).ok is True  # no recover_within: not held to one
    flags = event_flags([slow, judged(event(), 0, None)])
    assert [(f.kind, f.message) for f in flags] == [("event_failed", f"kill_worker at 3.0 s: {slow.why}")]
    assert label(event(do="scale", workers=2, at_s=4)) == "scale +2 at 4.0 s"
    assert attributed_failures([failed, event()]) == 2 and attributed_failures(None) == 0


def config(**fields: object) -> ServerConfig:
    return ServerConfig.model_validate({"app": "a:b", **fields})


@pytest.mark.parametrize(
    ("entry", "settings", "do", "versions", "why"),
    [
        (uvicorn.KIND, {"server": "uvicorn", "workers": 2}, "reload", {"uvicorn": (0, 29, 0)}, "from 0.30"),
        (uvicorn.KIND, {"server": "uvicorn", "workers": 2}, "scale", {"uvicorn": (0, 55)}, None),
        (uvicorn.KIND, {"server": "uvicorn", "workers": 1}, "kill_worker", {"uvicorn": (0, 55)}, "workers: 2 or more"),
        (
            uvicorn.KIND,
            {"server": "uvicorn", "workers": 2},
            "max_requests_jitter",
            {"uvicorn": (0, 40, 9)},
            "from 0.41",
        ),
        (uvicorn.KIND, {"server": "uvicorn"}, "max_requests", {"uvicorn": (0, 55)}, "it exits instead"),
        (uvicorn.KIND, {"server": "uvicorn", "workers": 2}, "max_requests_jitter", {"uvicorn": (0, 41)}, None),
        (granian.KIND, {"server": "granian", "workers": 2}, "reload", {"granian": (1, 0, 2)}, "from 1.1"),
        (granian.KIND, {"server": "granian", "workers": 2}, "kill_worker", {}, "--respawn-failed-workers"),
        (granian.KIND, {"server": "granian", "args": ["--respawn-failed-workers"]}, "kill_worker", {}, None),
        (granian.KIND, {"server": "granian"}, "max_requests", {}, "not requests"),
        (hypercorn.KIND, {"server": "hypercorn"}, "kill_worker", {}, "stops the whole server"),
        (hypercorn.KIND, {"server": "hypercorn"}, "reload", {}, None),
        (gunicorn.KIND, {"server": "gunicorn"}, "scale", {}, None),
    ],
)
def test_each_kind_says_what_it_cannot_do_and_why(
    entry: object, settings: dict[str, object], do: str, versions: dict[str, tuple[int, ...]], why: str | None
) -> None:
    found = entry.deploys(config(**settings), do, versions.get)  # type: ignore[attr-defined]
    assert found is None if why is None else why in (found or ""), found


def test_recycling_settings_become_the_kinds_flags() -> None:
    argv = gunicorn.build_argv(
        config(server="gunicorn", max_requests=200, max_requests_jitter=50), "h", 1, lambda p: None
    )
    assert argv[argv.index("--max-requests") + 1] == "200" and argv[argv.index("--max-requests-jitter") + 1] == "50"
    argv = uvicorn.build_argv(config(server="uvicorn", max_requests=9), "h", 1, lambda p: None)
    assert "--limit-max-requests" in argv and "--limit-max-requests-jitter" not in argv
