"""Command line: dispatch to one module per command (perfsuite.commands).

`run_suite.py FILE ...` runs a scenario file; the other commands are named
first: validate, schema, report, calibrate, history, ui. Each command's
module parses its own arguments and returns the exit code.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys

from perfsuite.run.lifecycle import STOP

COMMANDS = ("ui", "history", "validate", "schema", "report", "calibrate")
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    name, rest = (argv[0], argv[1:]) if argv and argv[0] in COMMANDS else ("run", argv)
    # Imported on demand: `validate` need not load matplotlib, Locust's helpers or scipy.
    command = importlib.import_module(f"perfsuite.commands.{name}")
    code = int(command.main(rest))
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # a signal from now on stays pending
    if name != "run" or code >= 128:  # `ui` ends on Ctrl-C by design, with 0
        return code
    # A suite asked to stop after its last check still exits 128+signal.
    pending = signal.sigpending() & STOP_SIGNALS
    signum = STOP.signum or (min(pending) if pending else None)
    return 128 + int(signum) if signum is not None else code


def run() -> None:
    """The entry point: main(), then exit at once. The interpreter's own
    finalization would put the default signal handlers back for its last
    100 ms or so, and a Ctrl-C then would kill the process instead of being
    answered with 130; everything the command wrote is closed by then."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
