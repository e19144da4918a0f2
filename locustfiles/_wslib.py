"""WebSocket connections read with wsproto (no Locust import: the tests read it alone).

wsproto is the sans-IO WebSocket protocol of h11's authors (hypercorn and
uvicorn serve with it), so the handshake, framing, pings and closes are a
well-kept library's, and a gevent socket carries the bytes: thousands of
connections cost a greenlet each, no thread. A message carries its sequence
number and its send time (time.time(), this machine's clock for every
process) so a receiver times its delivery and counts gaps.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

from _buckets import bucket_ms
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError

READ_BYTES = 65536
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
COUNTS = ("opened", "failed", "closed", "sent", "received", "lost", "silent", "published")
HISTOGRAMS = ("rtt_ms", "delivery_ms")


class SocketClosed(Exception):
    """The server closed the connection, or refused the handshake."""


class Client:
    """One client connection over `sock` (a connected socket)."""

    def __init__(self, sock: Any, host: str, target: str) -> None:
        self.sock = sock
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending: list[str | bytes] = []
        self._partial: list[str | bytes] = []
        self.sock.sendall(self.ws.send(Request(host=host, target=target)))
        while True:
            for event in self._events():
                if isinstance(event, AcceptConnection):
                    return
                if isinstance(event, RejectConnection | RejectData):
                    status = getattr(event, "status_code", None)
                    raise SocketClosed(f"the handshake was refused ({status or 'rejected'})")

    def _events(self) -> Iterator[Any]:
        data = self.sock.recv(READ_BYTES)
        if not data:
            raise SocketClosed("the server closed the connection")
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, CloseConnection):
                with contextlib.suppress(OSError, LocalProtocolError):
                    self.sock.sendall(self.ws.send(event.response()))
                raise SocketClosed(
                    f"the server closed the WebSocket ({event.code}{' ' + event.reason if event.reason else ''})"
                )
            if isinstance(event, Ping):
                self.sock.sendall(self.ws.send(event.response()))
                continue
            yield event

    def send(self, text: str) -> None:
        self.sock.sendall(self.ws.send(TextMessage(data=text)))

    def receive(self) -> str | bytes:
        """The next whole message (fragments joined)."""
        while not self.pending:
            for event in self._events():
                if isinstance(event, Message):
                    self._partial.append(event.data)
                    if sum(len(part) for part in self._partial) > MAX_MESSAGE_BYTES:
                        raise SocketClosed(f"a message longer than {MAX_MESSAGE_BYTES:,} bytes")
                    if event.message_finished:
                        whole = (
                            "".join(p for p in self._partial if isinstance(p, str))
                            if isinstance(event, TextMessage)
                            else b"".join(p for p in self._partial if isinstance(p, bytes))
                        )
                        self.pending.append(whole)
                        self._partial = []
        return self.pending.pop(0)

    def close(self) -> None:
        with contextlib.suppress(OSError, LocalProtocolError):  # a connection already gone has nothing to close
            self.sock.sendall(self.ws.send(CloseConnection(code=1000)))


def payload(seq: int, sent: float, size: int) -> str:
    return f"{seq} {sent:.6f} {'x' * size}"


def parse(message: str | bytes) -> tuple[int, float]:
    """(sequence number, send time) of a message `payload` made; ValueError otherwise."""
    text = message.decode("latin-1") if isinstance(message, bytes) else message
    seq, sent, *_ = text.split(" ", 2)
    return int(seq), float(sent)


class Gaps:
    """One subscriber's sequence numbers: what it received, and the gaps between them (lost)."""

    def __init__(self) -> None:
        self.last: int | None = None

    def see(self, seq: int) -> int:
        """The messages lost before `seq` (0 for the first, or in order)."""
        lost = 0 if self.last is None or seq <= self.last else seq - self.last - 1
        self.last = seq if self.last is None else max(self.last, seq)
        return lost


class WsWindow:
    """What one process measured in the window, as deltas since its last report."""

    def __init__(self) -> None:
        self.in_window = False
        self.held = 0  # connections open (not a delta)
        self.clear()

    def clear(self) -> None:
        self.counts: Counter[str] = Counter()
        self.histograms: dict[str, Counter[float]] = {name: Counter() for name in HISTOGRAMS}
        self.held_by_tick: dict[int, int] = {}

    def note_held(self, tick: int) -> None:
        self.held_by_tick[tick] = self.held

    def count(self, name: str, n: int = 1) -> None:
        if self.in_window:
            self.counts[name] += n

    def time(self, name: str, ms: float) -> None:
        if self.in_window:
            self.histograms[name][bucket_ms(max(ms, 0.0))] += 1

    def take(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: self.counts[name] for name in COUNTS}
        data.update({name: dict(found) for name, found in self.histograms.items()})
        data["held_by_tick"] = dict(self.held_by_tick)
        self.clear()
        return data
