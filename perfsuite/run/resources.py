"""CPU and memory of each role's whole process tree, sampled with psutil.

A background thread samples every `interval_s` (default 0.25 s): for each
role (server, loadgen, upstream) the root process and all its descendants,
their CPU seconds (user + system, from cpu_times deltas; the first
cpu_percent() call is meaningless) and RSS, USS and PSS (memory_full_info;
RSS double-counts pages forked workers share, USS does not). Rows go to a CSV
time series; `summarize` reduces the rows inside the measured window.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from perfsuite.io.files import write_file
from perfsuite.io.text import csv_cell
from perfsuite.record.results import Resources
from perfsuite.run import socketqueue
from perfsuite.run.socketqueue import QueueSample

MB = 1024 * 1024
SATURATED_PERCENT = 90.0  # of one core
CSV_HEADER = ["t", "role", "pid", "kind", "cpu_s", "rss_mb", "uss_mb", "pss_mb"]


@dataclass(frozen=True)
class Sample:
    t: float
    role: str
    pid: int
    kind: str  # "main" (the root) or "worker" (a descendant)
    cpu_s: float
    rss_mb: float
    uss_mb: float
    pss_mb: float


# Python's multiprocessing starts helpers beside the workers (uvicorn and
# hypercorn with spawned workers): they count in the tree's CPU and memory,
# not as workers.
HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver", "multiprocessing.semaphore_tracker")


def kind_of(cmdline: list[str]) -> str:
    """'helper' for a multiprocessing helper, else 'worker' (a child of the server's main process)."""
    text = " ".join(cmdline)
    return "helper" if any(helper in text for helper in HELPERS) else "worker"


def _tree(root: psutil.Process) -> list[tuple[psutil.Process, str]]:
    try:
        children = root.children(recursive=True)
    except psutil.Error:
        return []
    kinds = []
    for child in children:
        try:
            kinds.append((child, kind_of(child.cmdline())))
        except psutil.Error:
            continue
    return [(root, "main"), *kinds]


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def sample_tree(role: str, tree: list[tuple[psutil.Process, str]], now: float) -> list[Sample]:
    rows = []
    for proc, kind in tree:
        try:
            with proc.oneshot():
                times = proc.cpu_times()
                memory = proc.memory_full_info()
        except psutil.Error:
            continue
        rows.append(
            Sample(
                now,
                role,
                proc.pid,
                kind,
                times.user + times.system,
                memory.rss / MB,
                getattr(memory, "uss", 0) / MB,
                getattr(memory, "pss", 0) / MB,
            )
        )
    return rows


class ResourceSampler:
    """Samples registered process trees on a thread until stopped.

    It also notices descendants that exit while their root lives on (a
    server's worker killed or crashed mid-run): `lost(role)` lists them.
    """

    def __init__(self, csv_path: Path, interval_s: float = 0.25) -> None:
        self.csv_path = csv_path
        self.interval_s = interval_s
        self.samples: list[Sample] = []
        self._roots: dict[str, psutil.Process] = {}
        self._seen: dict[str, set[int]] = defaultdict(set)
        self._lost: dict[str, list[int]] = defaultdict(list)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="resource-sampler", daemon=True)
        self._port: int | None = None
        self.queue: list[QueueSample] = []  # the server's queue in the kernel, per tick

    def watch_port(self, port: int) -> None:
        """Also sample the kernel's queue of the server listening on `port` (perfsuite.run.socketqueue)."""
        self._port = port

    def watch(self, role: str, pid: int) -> None:
        try:
            process = psutil.Process(pid)
        except psutil.Error:
            return
        with self._lock:
            self._roots[role] = process

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.sample_once()
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def sample_once(self) -> None:
        now = time.time()
        with self._lock:
            roots = list(self._roots.items())
        rows = []
        workers: list[int] = []
        for role, root in roots:
            tree = _tree(root)
            rows += sample_tree(role, tree, now)
            if role == "server":
                workers = [proc.pid for proc, kind in tree if kind == "worker"] or [root.pid]
            descendants = {proc.pid for proc, kind in tree if kind == "worker" and not _gone(proc.pid)}
            lost = [pid for pid in sorted(self._seen[role] - descendants) if _gone(pid)]
            with self._lock:
                self._lost[role] += lost
                self._seen[role] = (self._seen[role] | descendants) - set(lost)
        queued = socketqueue.read(self._port, now, workers) if self._port is not None else None
        with self._lock:
            self.samples.extend(rows)
            if queued is not None:
                self.queue.append(queued)

    def lost(self, role: str) -> list[int]:
        """Pids of `role`'s descendants that exited while sampled (by sample, then pid)."""
        with self._lock:
            return list(self._lost[role])

    def stop(self) -> list[Sample]:
        """Stop sampling and write the CSV (once; later calls return the samples)."""
        if self._stop.is_set():
            return self.samples
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(CSV_HEADER)
        for s in self.samples:
            row = (f"{s.t:.3f}", s.role, s.pid, s.kind, f"{s.cpu_s:.3f}", f"{s.rss_mb:.2f}", f"{s.uss_mb:.2f}")
            writer.writerow([csv_cell(cell) for cell in (*row, f"{s.pss_mb:.2f}")])
        write_file(self.csv_path, text.getvalue())
        return self.samples


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def summarize(
    samples: list[Sample], role: str, start: float, end: float, requests: int, cores: int = 1
) -> Resources | None:
    """One role's use of CPU and memory inside [start, end]; None if never sampled.
    `cores`: how many cores the role can use at once (saturation is 90% of those)."""
    rows = [s for s in samples if s.role == role]
    if not rows:
        return None
    times_all = sorted({s.t for s in rows})
    inside_times = [t for t in times_all if start <= t <= end]
    if len(inside_times) < 2:
        # A window shorter than two sampling intervals (a burst): bracket it
        # with the nearest sample on each side; outside it the tree idles.
        before = [t for t in times_all if t < start][-1:]
        after = [t for t in times_all if t > end][:1]
        inside_times = before + inside_times + after
    keep = set(inside_times) or set(times_all)
    inside = [s for s in rows if s.t in keep]
    by_time: dict[float, list[Sample]] = defaultdict(list)
    for s in inside:
        by_time[s.t].append(s)
    times = sorted(by_time)
    # CPU per interval from per-process deltas (a process that appears later starts at its first sample).
    last_cpu: dict[int, float] = {}
    percents: list[float] = []
    cpu_seconds = 0.0
    for index, t in enumerate(times):
        delta = 0.0
        for s in by_time[t]:
            if s.pid in last_cpu:
                delta += max(0.0, s.cpu_s - last_cpu[s.pid])
            last_cpu[s.pid] = s.cpu_s
        if index:
            cpu_seconds += delta
            percents.append(100.0 * delta / max(t - times[index - 1], 1e-6))
    per_process: dict[int, dict[str, Any]] = {}
    for s in inside:
        entry = per_process.setdefault(
            s.pid, {"pid": s.pid, "kind": s.kind, "rss_mb": 0.0, "uss_mb": 0.0, "pss_mb": 0.0}
        )
        for key in ("rss_mb", "uss_mb", "pss_mb"):
            entry[key] = max(entry[key], getattr(s, key))
    totals = {
        key: max(sum(getattr(s, key) for s in by_time[t]) for t in times) for key in ("rss_mb", "uss_mb", "pss_mb")
    }
    workers = [p for p in per_process.values() if p["kind"] == "worker"] or [
        p for p in per_process.values() if p["kind"] == "main"
    ]
    worker_count = max(sum(1 for s in by_time[t] if s.kind == "worker") for t in times) or 1
    saturated = [p for p in percents if p >= SATURATED_PERCENT * max(cores, 1)]
    measured = bool(percents)  # CPU needs two samples in the window; memory needs one
    return Resources.model_validate(
        {
            "cpu_seconds": _round(cpu_seconds, 3) if measured else None,
            "cpu_percent": {
                "mean": _round(sum(percents) / len(percents), 1) if percents else None,
                "peak": _round(max(percents), 1) if percents else None,
            },
            "share_above_90_percent": _round(len(saturated) / len(percents), 3) if percents else None,
            "cores": max(cores, 1),
            "samples": len(times),
            "processes": len(per_process),
            "workers": worker_count,
            "rss_mb": {
                "peak_total": _round(totals["rss_mb"]),
                "per_process": {str(p["pid"]): _round(p["rss_mb"]) for p in per_process.values()},
            },
            "uss_mb": {
                "peak_total": _round(totals["uss_mb"]),
                "per_process": {str(p["pid"]): _round(p["uss_mb"]) for p in per_process.values()},
            },
            "pss_mb": {"peak_total": _round(totals["pss_mb"])},
            "memory_per_worker_mb": {
                "uss": _round(sum(p["uss_mb"] for p in workers) / len(workers)),
                "rss": _round(sum(p["rss_mb"] for p in workers) / len(workers)),
            },
            "cpu_seconds_per_1k_requests": _round(1000 * cpu_seconds / requests, 4) if requests and measured else None,
        }
    )
