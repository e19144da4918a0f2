"""Signals only record; the waits in the runner act on what was recorded.

First SIGINT/SIGTERM: `STOP.requested` is set, and the next wait raises
Interrupted, so the run's teardown path runs as on any other exit. A second
signal kills every live process group at once and exits.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


class StopRequest:
    def __init__(self) -> None:
        self.signum: int | None = None
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
            return
        self._force()
        os._exit(128 + signum)

    def install(self, force: Callable[[], None]) -> None:
        """Install the handlers (main thread only); `force` runs on a second signal."""
        self._force = force
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._handle)
            signal.signal(signal.SIGTERM, self._handle)


STOP = StopRequest()
