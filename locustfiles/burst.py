"""Burst load: every request of the mix sent once (`count` times per entry).

--order sequential: run with one user (-u 1); it sends every request in mix order.
--order concurrent: run with one user per request (-u N -r N); each user sends
                    one request, all at once.
Locust quits when the last response is in; the timing file then holds the
elapsed time from the first request sent to the last response received.
"""

from __future__ import annotations

import itertools
from typing import Any

import gevent
from _mixlib import Entry, parse_mix, send
from _window import TIMING
from locust import FastHttpUser, events, task
from locust.exception import StopUser

DEFAULT_MIX = '[{"name": "fast", "path": "/fast", "count": 1}]'


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--mix", default=DEFAULT_MIX, help="JSON list of entries: name, path, count, ...")
    parser.add_argument("--order", choices=["sequential", "concurrent"], default="sequential")


_slots = itertools.count()


def expand(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries for _ in range(entry.count)]


class BurstUser(FastHttpUser):
    todo: list[Entry]
    total: int

    def on_start(self) -> None:
        options = self.environment.parsed_options
        requests = expand(parse_mix(getattr(options, "mix", DEFAULT_MIX)))
        slot = next(_slots)
        if getattr(options, "order", "sequential") == "concurrent":
            self.todo = requests[slot : slot + 1]
        else:
            self.todo = requests if slot == 0 else []
        self.total = len(requests)

    @task
    def send_burst(self) -> None:
        for entry in self.todo:
            send(self.client, entry)
        if TIMING.completed >= self.total and self.environment.runner is not None:
            gevent.spawn(self.environment.runner.quit)
        raise StopUser()
