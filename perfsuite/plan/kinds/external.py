"""external: a server the suite does not start (another machine, say), given
by its URL: no lifecycle, no resource sampling, no model of its own."""

from __future__ import annotations

from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import NoModel, Slots
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds.base import BOTH, ServerKind


def slots(config: ServerConfig, app: AppFacts | None, paths: list[str], cores: int) -> Slots | None:
    raise NoModel("external server: the suite does not know its config; declare slots: to model it")


KIND = ServerKind(
    build_argv=None,
    options=frozenset({"url"}),
    serves=lambda _: BOTH,
    fix="",
    packages=(),
    modules=(),
    slots=slots,
)
