"""A scenario's events done to the server under load, on time (steady and open modes).

The driver is ticked from the run's wait loop (every 10 ms). It times
each event from the start of Locust's measured window (the file Locust's
_window.py writes as the window begins), and it watches the server's
workers (its main process's children) every WATCH_S, so what each event
did is known: which workers were there before, which after.

  reload       the kind's reload signal to the main process (gunicorn,
               uvicorn: SIGHUP)
  kill_worker  SIGKILL to one worker, chosen with random.Random(seed)
               from the workers sorted by pid; the seed is recorded
  scale        one SIGTTIN (or SIGTTOU) per worker added (removed); a
               process takes many pending signals of one kind as one,
               so the next is sent once the last one shows in the worker
               count (or after SIGNAL_WAIT_S); other events go on meanwhile

The workers an event may stop (the one killed; those before a reload or a
scale-down) are `may_exit`: any other worker lost is still a fault.

Nothing here judges: perfsuite.judge.events reads what was done beside
every request's timing.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from perfsuite.plan.format import Event
from perfsuite.plan.kinds.base import ServerKind
from perfsuite.record.deploy import DoneEvent, Snapshot
from perfsuite.run.resources import kind_of as process_kind

WATCH_S = 0.1  # how often the workers are listed
SIGNAL_WAIT_S = 3.0  # a scale signal not seen in the worker count by then: the next is sent anyway
NO_SIGNAL = "the server's main process took no signal"


def workers_of(pid: int) -> list[int]:
    """The server's workers now: its main process's children, multiprocessing's helpers left out."""
    try:
        children = psutil.Process(pid).children(recursive=False)
    except psutil.Error:
        return []
    found = []
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE and process_kind(child.cmdline()) == "worker":
                found.append(child.pid)
        except psutil.Error:
            continue
    return sorted(found)


@dataclass
class EventDriver:
    events: list[Event]
    kind: ServerKind
    main_pid: int
    start_file: Path  # written by Locust as its window begins: {"measure_start": epoch}
    done: list[DoneEvent] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    window_start: float | None = None
    may_exit: set[int] = field(default_factory=set)  # workers an event stops: their exit is no fault
    _pending: list[Event] = field(default_factory=list)
    _scaling: list[_Scaling] = field(default_factory=list)  # scale events still signalling, in order
    _watched: float = 0.0

    def __post_init__(self) -> None:
        self._pending = sorted(self.events, key=lambda event: event.at)

    def tick(self) -> None:
        now = time.time()
        if now - self._watched >= WATCH_S:
            self._watched = now
            self.snapshots.append((now, tuple(workers_of(self.main_pid))))
        if self.window_start is None:
            self.window_start = self._read_start()
            if self.window_start is None:
                return
        self._scale_on()
        while self._pending and now >= self.window_start + self._pending[0].at:
            self._fire(self._pending.pop(0))

    def _read_start(self) -> float | None:
        try:
            return float(json.loads(self.start_file.read_text(encoding="utf-8"))["measure_start"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _signal(self, what: str) -> bool:
        try:
            os.kill(self.main_pid, self.kind.signals[what])
            return True
        except (OSError, KeyError):
            return False

    def _fire(self, event: Event) -> None:
        before = tuple(workers_of(self.main_pid))
        done = DoneEvent(event.do, time.time(), before, workers=event.workers)
        self.done.append(done)
        if event.do == "reload":
            self.may_exit.update(before)
            if not self._signal("reload"):
                done.note = NO_SIGNAL
        elif event.do == "kill_worker":
            done.seed = event.seed if event.seed is not None else random.SystemRandom().randrange(2**32)
            if not before:
                done.note = "no worker to kill"
                return
            done.killed = random.Random(done.seed).choice(before)
            self.may_exit.add(done.killed)
            try:
                os.kill(done.killed, signal.SIGKILL)
            except OSError as error:
                done.note = f"could not kill worker {done.killed}: {error.strerror or error}"
        elif event.do == "scale" and event.workers:
            if event.workers < 0:
                self.may_exit.update(before)
            self._scaling.append(_Scaling(done, abs(event.workers), len(before)))
            self._scale_on()

    def _scale_on(self) -> None:
        """The next scale signal, once the last one shows in the worker count (or was given SIGNAL_WAIT_S)."""
        if not self._scaling:
            return
        task = self._scaling[0]
        step = 1 if (task.done.workers or 0) > 0 else -1
        if task.sent_at:  # a signal is out: wait for it to show
            count = len(self.snapshots[-1][1]) if self.snapshots else 0
            if (count - task.expected) * step < 0 and time.time() - task.sent_at < SIGNAL_WAIT_S:
                return
            if task.left <= 0:
                self._scaling.pop(0)
                self._scale_on()
                return
        if not self._signal("scale+" if step > 0 else "scale-"):
            task.done.note = NO_SIGNAL
            self._scaling.pop(0)
            return
        task.left, task.expected, task.sent_at = task.left - 1, task.expected + step, time.time()


@dataclass
class _Scaling:
    """A scale event still signalling: signals left to send, the count the last one sent makes, when."""

    done: DoneEvent
    left: int
    expected: int
    sent_at: float = 0.0
