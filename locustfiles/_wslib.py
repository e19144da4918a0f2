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
from collections import deque
from typing import Any

from _tally import Window
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


class SocketClosed(Exception):
    """The server closed the connection, or refused the handshake."""


class Client:
    """One client connection over `sock` (a connected socket)."""

    def __init__(self, sock: Any, host: str, target: str) -> None:
        self.sock = sock
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.queue: deque[Any] = deque()  # events read but not handled: one read may carry several
        self._partial: list[str | bytes] = []
        self.closed: str | None = None  # why the server ended it: raised once what came before is read
        self.sock.sendall(self.ws.send(Request(host=host, target=target)))
        while True:
            event = self._next()
            if isinstance(event, AcceptConnection):
                return
            if isinstance(event, RejectConnection | RejectData):
                status = getattr(event, "status_code", None)
                raise SocketClosed(f"the handshake was refused ({status or 'rejected'})")

    def _next(self) -> Any:
        """The next event, reading as needed; pings answered; a close kept (self.closed) and raised
        once the messages before it are handled."""
        while not self.queue:
            if self.closed is not None:
                raise SocketClosed(self.closed)
            data = self.sock.recv(READ_BYTES)
            if not data:
                raise SocketClosed("the server closed the connection")
            self.ws.receive_data(data)
            for event in list(self.ws.events()):
                if isinstance(event, CloseConnection):
                    with contextlib.suppress(OSError, LocalProtocolError):
                        self.sock.sendall(self.ws.send(event.response()))
                    reason = f" {event.reason}" if event.reason else ""
                    self.closed = f"the server closed the WebSocket ({event.code}{reason})"
                elif isinstance(event, Ping):
                    self.sock.sendall(self.ws.send(event.response()))
                else:
                    self.queue.append(event)
        return self.queue.popleft()

    def send(self, text: str) -> None:
        self.sock.sendall(self.ws.send(TextMessage(data=text)))

    def receive(self) -> str | bytes:
        """The next whole message (fragments joined); SocketClosed once the server's close is all that is left."""
        while True:
            event = self._next()
            if not isinstance(event, Message):
                continue
            self._partial.append(event.data)
            if sum(len(part) for part in self._partial) > MAX_MESSAGE_BYTES:
                raise SocketClosed(f"a message longer than {MAX_MESSAGE_BYTES:,} bytes")
            if event.message_finished:
                parts, self._partial = self._partial, []
                if isinstance(event, TextMessage):
                    return "".join(p for p in parts if isinstance(p, str))
                return b"".join(p for p in parts if isinstance(p, bytes))

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


class WsWindow(Window):
    """What one process measured of its WebSocket connections (as _tally.Window counts)."""

    COUNTS = ("opened", "failed", "closed", "sent", "received", "lost", "silent", "published")
    HISTOGRAMS = ("rtt_ms", "delivery_ms")
