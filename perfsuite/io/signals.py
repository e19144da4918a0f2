"""Stop signals held back while the suite finishes what must not be cut in two.

A cleanup in a `finally:` (an interpreter check's process groups killed, a
worktree removed) or a pair of renames (report.md and report.html) can be
interrupted half-way by a signal whose handler raises. Held back, the signal
stays pending and is answered the moment the block ends.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP held back (for the calling thread) until the block ends."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
