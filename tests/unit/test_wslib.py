"""locustfiles/_wslib.py: a WebSocket client over a socket pair, against wsproto's server side (pure)."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

LOCUSTFILES = Path(__file__).resolve().parents[2] / "locustfiles"


def _load() -> Any:
    sys.path.insert(0, str(LOCUSTFILES))
    try:
        spec = importlib.util.spec_from_file_location("_wslib", LOCUSTFILES / "_wslib.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(LOCUSTFILES))


lib = _load()


def serve(sock: socket.socket, replies: list[str], close: bool) -> None:
    """A server: accept the handshake, echo `replies` in three fragments each, then close or not."""
    ws = WSConnection(ConnectionType.SERVER)
    accepted = False
    while not accepted:
        ws.receive_data(sock.recv(65536))
        for event in ws.events():
            if isinstance(event, Request):
                sock.sendall(ws.send(AcceptConnection()))
                accepted = True
    for text in replies:
        third = max(1, len(text) // 3)
        parts = [text[:third], text[third : 2 * third], text[2 * third :]]
        for i, part in enumerate(parts):
            sock.sendall(ws.send(TextMessage(data=part, message_finished=i == 2)))
    if close:
        sock.sendall(ws.send(CloseConnection(code=1011, reason="going away")))


@pytest.mark.parametrize("close", [False, True])
def test_a_client_handshakes_joins_fragments_and_sees_a_close(close: bool) -> None:
    ours, theirs = socket.socketpair()
    messages = [lib.payload(7, 1000.5, 4), lib.payload(8, 1000.75, 0)]
    server = threading.Thread(target=serve, args=(theirs, messages, close))
    server.start()
    try:
        client = lib.Client(ours, "h:1", "/ws/echo")
        assert client.receive() == "7 1000.500000 xxxx"
        assert lib.parse(client.receive()) == (8, 1000.75)
        if close:
            with pytest.raises(lib.SocketClosed, match="1011 going away"):
                client.receive()
    finally:
        server.join(timeout=5)
        ours.close()
        theirs.close()


def test_gaps_in_a_sequence_are_lost_messages() -> None:
    gaps = lib.Gaps()
    assert [gaps.see(seq) for seq in (5, 6, 9, 10, 8, 14)] == [0, 0, 2, 0, 0, 3]
    with pytest.raises(ValueError):
        lib.parse("hello")


def test_the_window_counts_only_inside_it() -> None:
    window = lib.WsWindow()
    window.count("sent")
    window.in_window = True
    window.count("sent", 3)
    window.time("rtt_ms", 1.234)
    window.held = 4
    window.note_held(10)
    taken = window.take()
    assert taken["sent"] == 3 and taken["rtt_ms"] == {1.23: 1} and taken["held_by_tick"] == {10: 4}
    assert window.take()["sent"] == 0
