"""Runs: the child processes, a run's phases, the load generator, resource sampling."""
