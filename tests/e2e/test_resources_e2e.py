"""Resource sampling of real process trees: a master and its workers, one that exits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from perfsuite.run.resources import ResourceSampler, summarize


def test_samples_a_real_process_tree(tmp_path: Path) -> None:
    busy = "import os, time\nif os.fork() == 0:\n    end = time.time() + 3\n    while time.time() < end: pass\nelse:\n    time.sleep(3)\n"
    proc = subprocess.Popen([sys.executable, "-c", busy])
    sampler = ResourceSampler(tmp_path / "r.csv", interval_s=0.1)
    sampler.watch("server", proc.pid)
    time.sleep(0.2)
    sampler.start()
    start = time.time()
    time.sleep(1.5)
    samples = sampler.stop()
    end = time.time()
    proc.wait()
    summary = summarize(samples, "server", start, end, requests=1)
    assert summary is not None and summary.processes == 2 and summary.workers == 1
    assert 50 <= summary.cpu_percent.mean <= 110  # the child spins on one core
    assert (tmp_path / "r.csv").read_text().startswith("t,role,pid,kind,cpu_s,rss_mb,uss_mb,pss_mb")
    assert os.path.getsize(tmp_path / "r.csv") > 100


def test_notices_a_descendant_that_exits_while_the_root_lives(tmp_path: Path) -> None:
    script = (
        "import os, sys, time\n"
        "kids = []\n"
        "for _ in range(2):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        time.sleep(30); os._exit(0)\n"
        "    kids.append(pid)\n"
        "print(*kids, flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first, second = map(int, proc.stdout.readline().split())
    try:
        sampler = ResourceSampler(tmp_path / "r.csv")
        sampler.watch("server", proc.pid)
        sampler.sample_once()
        assert sampler.lost("server") == []
        os.kill(first, 9)
        deadline = time.monotonic() + 5
        while not sampler.lost("server") and time.monotonic() < deadline:
            sampler.sample_once()
        assert sampler.lost("server") == [first]  # the other child and the root are alive: not lost
        sampler.sample_once()
        assert sampler.lost("server") == [first]  # reported once
        assert second not in sampler.lost("server")
    finally:
        for pid in (second, proc.pid):
            os.kill(pid, 9)
        proc.wait()
        proc.stdout.close()
