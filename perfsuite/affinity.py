"""Which cores the server and the load generator get.

On 2+ cores the server and Locust get disjoint cores (Locust the last one,
the server the rest) so they do not steal each other's CPU; on 1 core no
pinning is possible and none is done. Children inherit affinity across fork,
so pinning a gunicorn master pins its workers.
"""

from __future__ import annotations

import os


def default_layout(available: list[int] | None = None) -> dict[str, list[int] | None]:
    cpus = sorted(available if available is not None else os.sched_getaffinity(0))
    if len(cpus) < 2:
        return {"server": None, "loadgen": None}
    return {"server": cpus[:-1], "loadgen": cpus[-1:]}
