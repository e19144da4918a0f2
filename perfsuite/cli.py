"""Command line: dispatch to one module per command (perfsuite.commands).

`run_suite.py FILE ...` runs a scenario file; the other commands are named
first: validate, schema, report, calibrate, history, ui. Each command's
module parses its own arguments and returns the exit code.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = ("ui", "history", "validate", "schema", "report", "calibrate")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    name, rest = (argv[0], argv[1:]) if argv and argv[0] in COMMANDS else ("run", argv)
    # Imported on demand: `validate` need not load matplotlib, Locust's helpers or scipy.
    command = importlib.import_module(f"perfsuite.commands.{name}")
    return int(command.main(rest))
