"""Which cores the server, the load generator and the upstream get.

Default on 2+ cores: the server and Locust on disjoint cores (Locust the last
one, the server the rest), so they do not steal each other's CPU; the
upstream unpinned (it mostly sleeps). On 1 core nothing is pinned. A
scenario's `cpu:` overrides per role, then `defaults: cpu:`. Children
inherit affinity across fork, so pinning a gunicorn master pins its workers.
"""

from __future__ import annotations

import os

from perfsuite.plan.format import CpuSettings

ROLES = ("server", "loadgen", "upstream")
Layout = dict[str, list[int] | None]


def default_layout(available: list[int] | None = None) -> Layout:
    cpus = sorted(available if available is not None else os.sched_getaffinity(0))
    if len(cpus) < 2:
        return {"server": None, "loadgen": None, "upstream": None}
    return {"server": cpus[:-1], "loadgen": cpus[-1:], "upstream": None}


def resolve_layout(*declared: CpuSettings | None, available: list[int] | None = None) -> Layout:
    """The first declaration that names a role wins; the default fills the rest."""
    layout = default_layout(available)
    for role in ROLES:
        for settings in declared:
            cores = getattr(settings, role) if settings is not None else None
            if cores is not None:
                layout[role] = sorted(cores)
                break
    return layout
