"""Steady load: a weighted request mix, no think time.

Alone:  locust -f locustfiles/mix.py -H http://127.0.0.1:8000 \\
          --mix '[{"name": "fast", "path": "/fast", "weight": 5},
                  {"name": "slow", "path": "/slow?delay_ms=1000", "weight": 1}]'
Also takes --warmup and --duration (see _window.py).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import _window  # noqa: F401  (registers the measured window)
from _mixlib import Entry, parse_mix, send
from locust import FastHttpUser, events, task

DEFAULT_MIX = '[{"name": "fast", "path": "/fast", "weight": 1}]'


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--mix", default=DEFAULT_MIX, help="JSON list of entries: name, path, weight, ...")


class MixUser(FastHttpUser):
    entries: list[Entry]
    cumulative: list[int]

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.entries = parse_mix(getattr(options, "mix", DEFAULT_MIX))
        self.cumulative = list(itertools.accumulate(entry.weight for entry in self.entries))

    @task
    def request(self) -> None:
        entries = self.entries
        # One entry needs no draw; several, a draw against cumulative weights (the cheaper form).
        send(self.client, entries[0] if len(entries) == 1 else random.choices(entries, cum_weights=self.cumulative)[0])
