"""Command line: dispatch to one module per command (perfsuite.commands).

`run_suite.py FILE ...` runs a scenario file; the other commands are named
first: validate, schema, docs, report, calibrate, history, ui. Each command's
module parses its own arguments and returns the exit code.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys

from perfsuite.io.text import TerminalStream
from perfsuite.run.lifecycle import STOP, STOP_SIGNALS, Interrupted

COMMANDS = ("ui", "history", "validate", "schema", "docs", "report", "calibrate")


def _command(argv: list[str]) -> tuple[str, list[str]]:
    return (argv[0], argv[1:]) if argv and argv[0] in COMMANDS else ("run", argv)


def main(argv: list[str] | None = None) -> int:
    name, rest = _command(sys.argv[1:] if argv is None else argv)
    # Until a command installs its own, a signal stops it where it is: its checks
    # (an interpreter asked in a process group of its own) end with it.
    STOP.install(force=lambda: None, immediate=True)
    try:
        # Imported on demand: `validate` need not load matplotlib, Locust's helpers or scipy.
        command = importlib.import_module(f"perfsuite.commands.{name}")
        return int(command.main(rest))
    except Interrupted as interrupt:
        return 128 + interrupt.signum


def run() -> None:
    """The entry point: main(), then exit at once. The interpreter's own
    finalization would put the default signal handlers back for its last
    100 ms or so, and a Ctrl-C then would kill the process instead of being
    answered with 130; everything the command wrote is closed by then."""
    # Everything printed is inert (control characters shown as escapes), and a
    # terminal that hung up or a pipe that closed costs output, never the suite.
    sys.stdout, sys.stderr = TerminalStream(sys.stdout), TerminalStream(sys.stderr)
    code = main()
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # from here a signal stays pending
    if _command(sys.argv[1:])[0] == "run" and code < 128:  # `ui` ends on Ctrl-C by design, with 0
        # A suite asked to stop after its last check still exits 128+signal.
        pending = signal.sigpending() & set(STOP_SIGNALS)
        signum = STOP.signum or (min(pending) if pending else None)
        code = 128 + int(signum) if signum is not None else code
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`schema | head`) is no error of ours
            stream.flush()
    os._exit(code)
