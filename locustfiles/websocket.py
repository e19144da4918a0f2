"""WebSocket connections held open, two shapes:

echo     each EchoUser holds one connection and sends a message every 1/rate
         s, timing the round trip to its echo
fan-out  one PublisherUser sends rate messages a second; each of
         --connections SubscriberUsers times every delivery from the send
         time in the payload and counts the sequence numbers it missed

Alone:  locust -f locustfiles/websocket.py -H http://127.0.0.1:8000 -u 200 -r 100 \\
          --websocket '{"name": "chat", "path": "/ws/echo", "rate": 10}' --connections 200 EchoUser
Fan-out: -u 501 --connections 500 --websocket '{"name": "room", "path": "/ws/room", "rate": 5,
         "publisher": "/ws/room?role=publisher"}' PublisherUser SubscriberUser
Also takes --warmup and --duration (see _window.py).

Every round trip and every delivery is a request in Locust's statistics with
its real time; a connection refused or dropped is a failure ("NAME connect"
or "NAME closed"). --ws-stats-file gets, at exit and summed over every
worker, _wslib.WsWindow's counts: sent, received, lost (gaps in a
subscriber's sequence), silent (subscribers that heard nothing while the
publisher sent), published, and connections held every 0.1 s (_held.py).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlsplit

import gevent
from _held import Held
from _wslib import Client, Gaps, SocketClosed, WsWindow, parse, payload
from gevent import GreenletExit, socket
from locust import User, events, task

DEFAULT_SPEC = '{"name": "echo", "path": "/ws/echo", "rate": 1}'
CONNECT_TIMEOUT_S = 30.0
READ_TIMEOUT_S = 600.0


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--websocket", default=DEFAULT_SPEC,
                        help="JSON: name, path, rate (messages/s), bytes, publisher (the fan-out's path)")  # fmt: skip
    parser.add_argument("--connections", type=int, default=0, help="echo or subscriber users")
    parser.add_argument("--ws-stats-file", default="", include_in_web_ui=False,
                        help="counts and histograms (set by the suite)")  # fmt: skip


WINDOW = WsWindow()
Held(WINDOW, "perfsuite_websocket", "ws_stats_file", "websocket")


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    connections = int(getattr(environment.parsed_options, "connections", 0) or 0)
    if connections > 0:
        EchoUser.fixed_count = SubscriberUser.fixed_count = connections
    PublisherUser.fixed_count = 1


class Socket(User):
    """A user holding one WebSocket connection for as long as it runs."""

    abstract = True
    target = ""

    def on_start(self) -> None:
        spec = json.loads(getattr(self.environment.parsed_options, "websocket", DEFAULT_SPEC))
        self.name = str(spec.get("name") or spec["path"])
        self.rate = float(spec.get("rate") or 1.0)
        self.size = int(spec.get("bytes") or 0)
        self.spec = spec
        url = urlsplit(self.host or "")
        self.address = (url.hostname or "127.0.0.1", url.port or 80)
        self.netloc = url.netloc
        self.client: Client | None = None
        self.counted = False

    def _fire(self, kind: str, started_wall: float, ms: float, error: Exception | None = None) -> None:
        self.environment.events.request.fire(
            request_type="WS", name=f"{self.name} {kind}", start_time=started_wall, response_time=ms,
            response_length=0, exception=error, context={},
        )  # fmt: skip

    def connect(self, target: str) -> Client | None:
        """The connection, or None after a failure counted and fired (then the user waits a second)."""
        started, wall = time.monotonic(), time.time()
        sock = None
        try:
            sock = socket.create_connection(self.address, timeout=CONNECT_TIMEOUT_S)
            sock.settimeout(READ_TIMEOUT_S)
            client = Client(sock, self.netloc, target)
        except (OSError, SocketClosed) as error:
            if sock is not None:
                sock.close()
            WINDOW.count("failed")
            self._fire("connect", wall, (time.monotonic() - started) * 1000, error)
            gevent.sleep(1.0)
            return None
        WINDOW.count("opened")
        WINDOW.held += 1
        self.counted = True
        self._fire("connect", wall, (time.monotonic() - started) * 1000)
        return client

    def dropped(self, error: Exception) -> None:
        """The server ended the connection: a failure, and the user connects again."""
        WINDOW.count("closed")
        self._fire("closed", time.time(), 0.0, error)
        self.release()

    def release(self) -> None:
        if self.client is not None:
            self.client.sock.close()
            self.client = None
        if self.counted:
            WINDOW.held -= 1
            self.counted = False

    def on_stop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.release()


class EchoUser(Socket):
    """Sends a message every 1/rate s on its connection and times the echo."""

    @task
    def echo(self) -> None:
        if self.client is None:
            self.client = self.connect(self.spec["path"])
            self.seq = itertools.count()
            return
        due = time.monotonic() + 1 / self.rate
        started, wall = time.perf_counter(), time.time()
        try:
            self.client.send(payload(next(self.seq), wall, self.size))
            WINDOW.count("sent")
            self.client.receive()
        except (OSError, SocketClosed) as error:
            self.dropped(error)
            return
        ms = (time.perf_counter() - started) * 1000
        WINDOW.count("received")
        WINDOW.time("rtt_ms", ms)
        self._fire("echo", wall, ms)
        gevent.sleep(max(0.0, due - time.monotonic()))


class PublisherUser(Socket):
    """The fan-out's one publisher: rate messages a second, each with its sequence number and send time."""

    @task
    def publish(self) -> None:
        if self.client is None:
            self.client = self.connect(str(self.spec.get("publisher") or self.spec["path"]))
            self.seq = itertools.count()
            self.next_at = time.monotonic()
            return
        self.next_at += 1 / self.rate
        try:
            self.client.send(payload(next(self.seq), time.time(), self.size))
        except (OSError, SocketClosed) as error:
            self.dropped(error)
            return
        WINDOW.count("published")
        gevent.sleep(max(0.0, self.next_at - time.monotonic()))


class SubscriberUser(Socket):
    """Receives every message of the room; times each from its send time, counts the gaps."""

    @task
    def listen(self) -> None:
        if self.client is None:
            self.client = self.connect(self.spec["path"])
            self.gaps = Gaps()
            self.heard = 0
            return
        try:
            while True:
                message = self.client.receive()
                now = time.time()
                try:
                    seq, sent = parse(message)
                except ValueError:
                    continue  # not the publisher's: nothing to time
                WINDOW.count("received")
                WINDOW.count("lost", self.gaps.see(seq))
                WINDOW.time("delivery_ms", (now - sent) * 1000)
                self._fire("delivery", sent, (now - sent) * 1000)
                self.heard += WINDOW.in_window
        except (OSError, SocketClosed) as error:
            self.dropped(error)
        except GreenletExit:
            if WINDOW.in_window and not self.heard:
                WINDOW.count("silent")
            raise
