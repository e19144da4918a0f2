"""The open-file limit the suite and its children run with (held connections are sockets)."""

from __future__ import annotations

import resource

UNLIMITED = 1 << 20  # what an unlimited hard limit is taken as


def open_file_limit() -> int:
    """Raise this process's soft open-file limit to its hard one (children inherit it) and
    return the soft limit now in force: the most files a Locust process may open."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass  # the limit stays as it was; the scenario's rules are checked against it
    return UNLIMITED if soft == resource.RLIM_INFINITY else soft
