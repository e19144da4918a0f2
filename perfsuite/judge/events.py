"""Each event under load held to the scenario's objectives (pure): at most
`max_failed_per_event` failed requests, and throughput back within 5% of
before within `recover_within`. A broken one is the run's `event_failed`
flag, naming the event: exit 1, as failed requests are."""

from __future__ import annotations

from perfsuite.record.results import EventResult, Flag


def action(event: EventResult) -> str:
    """'kill_worker', 'scale +2'."""
    return f"scale {event.workers:+d}" if event.do == "scale" and event.workers else event.do


def label(event: EventResult) -> str:
    """'kill_worker at 3.0 s', 'scale +2 at 4.0 s'."""
    return f"{action(event)} at {event.at_s:.1f} s"


def judged(event: EventResult, max_failed: int, recover_within: float | None) -> EventResult:
    why = []
    if event.failed.count > max_failed:
        named = ", ".join(
            [f"{status} x {n}" for status, n in event.failed.statuses.items()]
            + [f"{error} x {n}" for error, n in event.failed.errors.items()]
        )
        why.append(f"{event.failed.count} failed requests ({named}; allowed {max_failed})")
    if recover_within is not None:
        if event.recovered_s is None:
            why.append(
                f"throughput not back within 5% of before by the window's end (recover_within {recover_within:g} s)"
            )
        elif event.recovered_s > recover_within:
            why.append(f"throughput back after {event.recovered_s:g} s (recover_within {recover_within:g} s)")
    if event.note:
        why.append(event.note)
    return event.model_copy(update={"ok": not why, "why": "; ".join(why) or None})


def event_flags(events: list[EventResult]) -> list[Flag]:
    return [Flag(kind="event_failed", message=f"{label(e)}: {e.why}") for e in events if e.ok is False]


def attributed_failures(events: list[EventResult] | None) -> int:
    """Failed requests an event accounts for (judged by max_failed_per_event, not by the error rate)."""
    return sum(event.failed.count for event in events or [])
