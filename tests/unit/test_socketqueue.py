"""The kernel's view of a server's queue: /proc/net/tcp parsed, and summarised over a window."""

from __future__ import annotations

import os
import socket
import time

from perfsuite.run.socketqueue import QueueSample, parse, read, summarize_queue

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def row(local: str, remote: str, state: str, rx: int, inode: int = 7) -> str:
    return f"   0: {local} {remote} {state} 00000000:{rx:08X} 00:00000000 00000000     0        0 {inode} 1\n"


def test_the_accept_queue_and_unread_connections_of_one_port() -> None:
    port = 0x1F90  # 8080
    text = HEADER + "".join(
        [
            row("0100007F:1F90", "00000000:0000", "0A", 5),  # listening: 5 not yet accepted
            row("0100007F:1F90", "0100007F:C350", "01", 120),  # accepted, a request unread
            row("0100007F:1F90", "0100007F:C351", "01", 0),  # accepted, read
            row("0100007F:1F90", "0100007F:C353", "01", 90, inode=0),  # not accepted yet: in the 5 above
            row("0100007F:1F91", "00000000:0000", "0A", 9),  # another port
            row("0100007F:C352", "0100007F:1F90", "01", 80),  # the client's end of a connection
            "garbage line\n",
        ]
    )
    assert parse(text, port) == (5, 1)


def test_a_real_listening_socket_shows_its_unaccepted_connections() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        sample = read(port, 0.0)
        assert sample is not None and sample.accept == 3 and sample.unread == 0
        accepted, _ = server.accept()
        assert read(port, 0.0, [os.getpid()]).held == (1,)  # type: ignore[union-attr]  # this process holds it
        for client in clients[:2]:  # one accepted, one still waiting to be: each counted once
            client.sendall(b"GET / HTTP/1.1\r\n\r\n")
        deadline, seen = time.monotonic() + 5, None
        while time.monotonic() < deadline and (seen is None or seen.unread == 0):  # loopback: at once, as a rule
            seen = read(port, 0.0)
        assert seen is not None and seen.accept == 2 and seen.unread == 1
        accepted.close()
    finally:
        for client in clients:
            client.close()
        server.close()


def test_the_window_alone_is_summarised() -> None:
    samples = [QueueSample(0.0, 50, 0), QueueSample(1.0, 3, 1), QueueSample(2.0, 5, 1), QueueSample(9.0, 70, 0)]
    got = summarize_queue(samples, 1.0, 2.0)
    assert got is not None and got.mean == 5.0 and got.peak == 6 and got.samples == 2
    assert got.accept_mean == 4.0 and got.unread_mean == 1.0
    assert summarize_queue(samples, 3.0, 4.0) is None
