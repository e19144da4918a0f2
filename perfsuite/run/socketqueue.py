"""The server's queue as the kernel holds it (Linux): connections waiting in
its listening socket's accept queue, and accepted connections whose request
bytes no worker has read yet, from /proc/net/tcp and /proc/net/tcp6.

For a listening socket the kernel reports the accept queue's length in the
rx_queue column; for an established one, the bytes received and not yet
read (a connection not yet accepted is listed too, with no inode: it is
counted once, in the accept queue). A server that reads each request as it arrives (an event loop, gevent)
holds its waiting requests in its own memory, where the kernel cannot see
them: their queue reads zero here, and the report says it is unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psutil

from perfsuite.record.results import QueueResult

TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
LISTEN, ESTABLISHED = "0A", "01"
MAX_BYTES = 16 * 1024 * 1024  # a table this large (100,000+ sockets) is read no further


@dataclass(frozen=True)
class QueueSample:
    t: float
    accept: int  # connections the server has not accepted yet
    unread: int  # accepted connections with request bytes not yet read
    held: tuple[int, ...] = ()  # each worker's connections from clients (keep-alive pins them to it)


def held_by(workers: list[psutil.Process], port: int) -> tuple[int, ...]:
    """Each worker's established connections on `port` (a worker gone or unreadable: left out)."""
    counts = []
    for worker in workers:
        try:
            found = worker.net_connections(kind="tcp")
        except psutil.Error:
            continue
        counts.append(sum(1 for c in found if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port))
    return tuple(counts)


def _port_of(address: str) -> int | None:
    _, _, port = address.rpartition(":")
    try:
        return int(port, 16)
    except ValueError:
        return None


def parse(text: str, port: int) -> tuple[int, int]:
    """(accept queue, connections with unread bytes) of the sockets bound to `port`."""
    accept = unread = 0
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5 or _port_of(fields[1]) != port:
            continue
        _, _, rx = fields[4].partition(":")
        try:
            queued = int(rx, 16)
        except ValueError:
            continue
        if fields[3] == LISTEN:
            accept += queued
        elif fields[3] == ESTABLISHED and queued > 0 and len(fields) > 9 and fields[9] != "0":
            unread += 1  # inode 0: still in the accept queue, counted there
    return accept, unread


def read(port: int, now: float, workers: list[psutil.Process] | None = None) -> QueueSample | None:
    """One sample (with each of `workers`' connections); None where the kernel's tables cannot be read."""
    accept = unread = 0
    seen = False
    for table in TABLES:
        try:
            with table.open("rb") as handle:
                text = handle.read(MAX_BYTES).decode("ascii", "replace")
        except OSError:
            continue
        seen = True
        a, u = parse(text, port)
        accept, unread = accept + a, unread + u
    return QueueSample(now, accept, unread, held_by(workers or [], port)) if seen else None


def summarize_queue(samples: list[QueueSample], start: float, end: float) -> QueueResult | None:
    """Mean and peak of what waited in the kernel inside [start, end]; None if never sampled."""
    inside = [s for s in samples if start <= s.t <= end]
    if not inside:
        return None
    totals = [s.accept + s.unread for s in inside]
    width = max(len(s.held) for s in inside)
    held = [s.held for s in inside if len(s.held) == width]  # a tick that missed a worker is left out
    per_worker = sorted((round(sum(h[i] for h in held) / len(held), 2) for i in range(width)), reverse=True)
    return QueueResult(
        connections=per_worker if width > 1 else [],
        mean=round(sum(totals) / len(totals), 2),
        peak=max(totals),
        accept_mean=round(sum(s.accept for s in inside) / len(inside), 2),
        unread_mean=round(sum(s.unread for s in inside) / len(inside), 2),
        samples=len(inside),
    )
