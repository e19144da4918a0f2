"""Signals only record; the waits in the runner act on what was recorded.

SIGINT, SIGTERM and SIGHUP (a closed terminal, a dropped ssh session) are
alike. Before anything starts (the pre-flight: validation, interpreter
checks, worktrees) the first signal raises Interrupted at once: there is
nothing to keep, and a check that blocks must not outlast it. Once the runs
begin (`STOP.recording()`), the first signal only sets `STOP.requested`,
and the next wait raises Interrupted, so the run's teardown path runs as on
any other exit and the finished runs are kept and reported. A second signal
kills every live process group at once and exits.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

from perfsuite.io.signals import STOP_SIGNALS


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


class StopRequest:
    def __init__(self) -> None:
        self.signum: int | None = None
        self.immediate = False  # pre-flight: the first signal raises where the program is
        self._force: Callable[[], None] = lambda: None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def check(self) -> None:
        if self.signum is not None:
            raise Interrupted(self.signum)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            if self.immediate:
                raise Interrupted(signum)
            return
        self._force()
        os._exit(128 + signum)

    def install(self, force: Callable[[], None], immediate: bool = False) -> None:
        """Install the handlers (main thread only); `force` runs on a second signal.
        `immediate`: the pre-flight, where the first signal raises Interrupted at once."""
        self._force = force
        self.immediate = immediate
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                signal.signal(signum, self._handle)

    def recording(self) -> None:
        """From here a first signal is only recorded: the runs' waits act on it.
        A signal that came during the pre-flight has raised already."""
        self.immediate = False


STOP = StopRequest()
