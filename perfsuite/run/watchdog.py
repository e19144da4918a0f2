"""A watchdog the suite cannot take down with it.

The suite's children must not outlive it, even when it is killed with
SIGKILL (no teardown runs) and its servers ignore SIGTERM (PR_SET_PDEATHSIG
reaches only the direct child, and only with SIGTERM). So the first child the
suite starts is this script, in a session of its own, holding the read end
of a pipe whose write end only the suite holds. The suite writes "+PGID" for
every process group it starts and "-PGID" once it has stopped it. When the
pipe closes (the suite exited, however it ended) the watchdog signals every
group still listed and every process whose PERFSUITE_TOKEN names the suite
(a child started in the instant before its group was listed), waits
GRACE_S, then SIGKILLs whatever is left, and exits.

Run as a script (`python -I watchdog.py PREFIX`, the pipe as its stdin): the
standard library only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

GRACE_S = 2.0
TOKEN = b"PERFSUITE_TOKEN="


def _tokened(prefix: bytes) -> set[int]:
    """Pids whose environment carries PERFSUITE_TOKEN=PREFIX..."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(item.startswith(TOKEN + prefix) for item in (entry / "environ").read_bytes().split(b"\0")):
                found.add(int(entry.name))
    return found - {os.getpid()}


def _alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(groups: set[int], pids: set[int], signum: int) -> None:
    for group in groups:
        with contextlib.suppress(OSError):
            os.killpg(group, signum)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def watch(fd: int, prefix: bytes) -> None:
    """Read the suite's list until the pipe closes, then end what is on it."""
    groups: set[int] = set()
    pending = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except InterruptedError:
            continue
        if not data:
            break
        *lines, pending = (pending + data).split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                if line.startswith(b"+"):
                    groups.add(int(line[1:]))
                elif line.startswith(b"-"):
                    groups.discard(int(line[1:]))
    _signal(groups, _tokened(prefix), signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and (any(_alive(g) for g in groups) or _tokened(prefix)):
        time.sleep(0.05)
    _signal(groups, _tokened(prefix), signal.SIGKILL)  # scanned again: a pid that ended is not signalled


class Watchdog:
    """The suite's side: started before the first child, told of each group."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._process: subprocess.Popen[bytes] | None = None  # held: it lives as long as the suite
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        # A forked copy of the suite (a pool worker) must not hold the pipe open:
        # the watchdog would wait for it to end rather than for the suite.
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def start(self) -> None:
        """Start the watchdog if it is not running yet (before the first child)."""
        with self._lock:
            if self._fd is not None:
                return
            read_end, write_end = os.pipe()
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-I", __file__, f"{os.getpid()}-"],
                    stdin=read_end,  # the pipe as fd 0, whatever number it had here
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,  # out of reach of the terminal's signals to the suite's group
                    env={"PERFSUITE_WATCHDOG": str(os.getpid())},
                )
            except BaseException:
                os.close(write_end)
                raise
            finally:
                os.close(read_end)
            self._fd = write_end

    def _send(self, line: str) -> None:
        self.start()
        with self._lock, contextlib.suppress(OSError, TypeError):  # a watchdog that is gone cannot be told
            os.write(self._fd, line.encode("ascii"))  # type: ignore[arg-type]

    def watch(self, group: int) -> None:
        self._send(f"+{group}\n")

    def forget(self, group: int) -> None:
        if self._fd is not None:
            self._send(f"-{group}\n")


WATCHDOG = Watchdog()

if __name__ == "__main__":
    for name in ("SIGINT", "SIGHUP", "SIGQUIT"):  # a terminal's signals: it ends when the pipe closes
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    watch(0, sys.argv[1].encode("ascii"))
