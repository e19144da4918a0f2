"""locustfiles/_wslib.py: a WebSocket client over a socket pair, against wsproto's server side (pure)."""

from __future__ import annotations

import socket
import threading

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from tests.conftest import locustfile_module

lib = locustfile_module("_wslib")


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


def test_a_message_in_the_same_read_as_the_handshake_is_not_lost() -> None:
    ours, theirs = socket.socketpair()
    server = WSConnection(ConnectionType.SERVER)
    client_ws_bytes: list[bytes] = []

    def answer() -> None:
        server.receive_data(theirs.recv(65536))
        for event in server.events():
            if isinstance(event, Request):  # the accept, a message and a close: one write
                theirs.sendall(
                    server.send(AcceptConnection())
                    + server.send(TextMessage(data=lib.payload(1, 5.0, 0)))
                    + server.send(CloseConnection(code=1000))
                )
                client_ws_bytes.append(b"sent")

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        client = lib.Client(ours, "h:1", "/ws/room")
        assert lib.parse(client.receive()) == (1, 5.0)
        with pytest.raises(lib.SocketClosed, match="1000"):
            client.receive()
    finally:
        thread.join(timeout=5)
        ours.close()
        theirs.close()
    assert client_ws_bytes == [b"sent"]
