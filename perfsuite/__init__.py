"""Locust-driven performance suite for Python web servers.

The package's folders are the phases a suite flows through, in order:
plan (the scenario file and the runs it resolves to), run (processes and a
run's phases), record (results.json, time series, history), judge
(expectations, flags, aggregates, SLOs, baselines, the verdict), report (one
view model, rendered; the live display), conduct (a whole suite: its runs in
sequence, its end, two versions side by side), commands (one module per
command). Below them all, io: how the suite touches files, terminals and
signals. A phase imports only the phases below it (tests/test_layers.py
holds it to that).
"""

from pathlib import Path

__version__ = "0.1.0"
ROOT = Path(__file__).resolve().parent.parent  # the repository: apps/, locustfiles/, scenarios/
