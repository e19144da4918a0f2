"""Whether an address can be listened on here (validation and the run both ask)."""

from __future__ import annotations

import socket


def bind_problem(host: str, port: int = 0) -> OSError | None:
    """Why `host:port` cannot be bound here (None: it can)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is not taken
        try:
            sock.bind((host, port))
        except OSError as error:
            return error
    return None
