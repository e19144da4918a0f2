"""Locust-driven performance suite for Python web servers.

The package's folders are the phases a suite flows through, in order:
plan (the scenario file and the plan of runs), run (processes and a run's
phases), record (results.json, time series, history), judge (expectations,
flags, aggregates, SLOs, baselines, the verdict), report (one view model,
rendered), commands (one module per command). A phase imports only the
phases below it (tests/test_layers.py holds it to that).
"""

from pathlib import Path

__version__ = "0.1.0"
ROOT = Path(__file__).resolve().parent.parent  # the repository: apps/, locustfiles/, scenarios/
