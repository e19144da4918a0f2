"""What a locustfile that holds connections reports (stream.py, websocket.py).

A _tally.Window (a StreamWindow or WsWindow) counts what this process
measured as deltas since its last report, with the connections it holds
noted every tick; Held wires it to Locust: reset where the measured window
begins (the held timeline, kept from the start, is not), report to the
master from workers, sum on the master (or the only process), and write the
sum to the stats file at exit.
"""

from __future__ import annotations

import json
import time
from typing import Any

import _window
import gevent
from _tally import Window, held_by_tick, merge
from locust import events
from locust.runners import WorkerRunner

TICK_S = 0.1  # connections held are counted at each tick: one ending as the next begins is not two
TICKS_PER_S = 10  # the held timeline's resolution: a ramp of a second shows in it


def tick_now() -> int:
    return int(time.time() * TICKS_PER_S)


class Held:
    def __init__(self, window: Window, key: str, stats_option: str, spec_option: str) -> None:
        self.window, self.key = window, key
        self.stats_option, self.spec_option = stats_option, spec_option
        self.total: dict[str, Any] = {}  # the master's (or the only process's) sum of every report
        _window.ON_RESET.append(self._reset)
        events.test_start.add_listener(self._start)
        events.report_to_master.add_listener(self._report)
        events.worker_report.add_listener(self._worker_report)
        events.test_stop.add_listener(self._stop)
        events.quit.add_listener(self._write)

    def _reset(self) -> None:
        """The window begins: counts start afresh (the held timeline, reported as it goes, does not)."""
        self.window.begin()
        self.total.update(dict.fromkeys(self.window.COUNTS, 0))
        for name in self.window.HISTOGRAMS:
            self.total.pop(name, None)

    def _tick(self) -> None:
        while True:
            self.window.note_held(tick_now())
            gevent.sleep(TICK_S)

    def _start(self, **_: Any) -> None:
        gevent.spawn(self._tick)

    def _merge(self, part: dict[str, Any], source: str) -> None:
        merge(self.total, part, source, type(self.window))

    def _report(self, client_id: str, data: dict[str, Any]) -> None:
        data[self.key] = self.window.take()

    def _worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        if self.key in data:
            self._merge(data[self.key], client_id)

    def _stop(self, environment: Any, **_: Any) -> None:
        self.window.in_window = False
        if not isinstance(environment.runner, WorkerRunner):
            self._merge(self.window.take(), "local")

    def _write(self, **_: Any) -> None:
        environment = _window.ENVIRONMENT[0] if _window.ENVIRONMENT else None
        if environment is None or isinstance(environment.runner, WorkerRunner):
            return
        options = environment.parsed_options
        path = getattr(options, self.stats_option, "")
        if not path:
            return
        found = {key: value for key, value in self.total.items() if key != "held_by_process"}
        spec = json.loads(getattr(options, self.spec_option))
        try:
            with open(path, "w", encoding="utf-8") as file:
                json.dump({self.spec_option: spec, **found, "held_by_tick": held_by_tick(self.total)}, file)
        except OSError:
            pass
