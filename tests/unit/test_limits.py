"""The open-file limit: raised to the hard limit, as children will inherit it."""

from __future__ import annotations

import resource

from perfsuite.io.limits import UNLIMITED, open_file_limit


def test_the_soft_limit_is_raised_to_the_hard_one_and_returned() -> None:
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        hard = before[1]
        lowered = min(256, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
        found = open_file_limit()
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert soft == hard and found == (UNLIMITED if hard == resource.RLIM_INFINITY else hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)
