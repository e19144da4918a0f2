"""One module per server kind, each defining KIND: everything the suite knows
of that kind, in one entry (perfsuite.plan.kinds.base.ServerKind). The
registry, perfsuite.plan.servers, lists them; adding a server kind is adding
a module here and its line there (CONTRIBUTING.md shows one)."""
