"""The server's queue as the kernel holds it (Linux): connections waiting in
its listening socket's accept queue, and accepted connections whose request
bytes no worker has read yet, from /proc/net/tcp and /proc/net/tcp6.

For a listening socket the kernel reports the accept queue's length in the
rx_queue column; for an established one, the bytes received and not yet
read (a connection not yet accepted is listed too, with no inode: it is
counted once, in the accept queue). A server that reads each request as it
arrives (an event loop, or threads that read before a slot frees) holds its
waiting requests in its own memory, where the kernel cannot see
them: their queue reads zero here, and the report says it is unseen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


def held_by(pids: list[int], inodes: set[str]) -> tuple[int, ...]:
    """How many of the sockets `inodes` each process holds open (its /proc/PID/fd links);
    a process gone or unreadable is left out."""
    counts = []
    for pid in pids:
        folder = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(folder)
        except OSError:
            continue
        held = 0
        for fd in fds:
            try:
                link = os.readlink(f"{folder}/{fd}")
            except OSError:  # closed since it was listed
                continue
            held += link.startswith("socket:[") and link[8:-1] in inodes
        counts.append(held)
    return tuple(counts)


def _port_of(address: str) -> int | None:
    _, _, port = address.rpartition(":")
    try:
        return int(port, 16)
    except ValueError:
        return None


def parse(text: str, port: int, inodes: set[str] | None = None) -> tuple[int, int]:
    """(accept queue, connections with unread bytes) of the sockets bound to `port`; the inodes
    of its accepted connections are added to `inodes`."""
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
        elif fields[3] == ESTABLISHED and len(fields) > 9 and fields[9] != "0":  # inode 0: not accepted yet
            unread += queued > 0
            if inodes is not None:
                inodes.add(fields[9])
    return accept, unread


def read(port: int, now: float, workers: list[int] | None = None) -> QueueSample | None:
    """One sample (with the connections each of the `workers` pids holds); None where the
    kernel's tables cannot be read (not Linux)."""
    accept = unread = 0
    seen = False
    inodes: set[str] = set()
    for table in TABLES:
        try:
            with table.open("rb") as handle:
                text = handle.read(MAX_BYTES).decode("ascii", "replace")
        except OSError:
            continue
        seen = True
        a, u = parse(text, port, inodes)
        accept, unread = accept + a, unread + u
    return QueueSample(now, accept, unread, held_by(workers or [], inodes)) if seen else None


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
