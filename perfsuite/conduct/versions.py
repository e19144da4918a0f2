"""`--against REF` and `--pair A:B`: two versions measured in one run, on one machine.

`--against REF` checks REF out of the git repository holding each server's
`app_dir` into a temporary worktree (removed when the suite ends, however it
ends short of SIGKILL) and doubles each config: NAME (the current tree) and
NAME@REF (the app's code at REF), which then run interleaved, A B A B, each
with a fresh server, as the scenario's repetitions say. `--pair A:B`
compares two declared configs (two interpreters, say) the same way. Either
is judged by the baseline rule (perfsuite.judge.compare), the @REF or A side
as the baseline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from perfsuite.plan.format import Suite
from perfsuite.plan.rules import server_problems

GIT_TIMEOUT_S = 60.0


class AgainstError(Exception):
    """Bad input for --against or --pair (exit 2); the message names it."""


def ref_label(ref: str) -> str:
    """REF as it can stand in a config's name and a folder's: HEAD~1, v1.2, origin-main."""
    return re.sub(r"[^A-Za-z0-9._~^-]", "-", ref)[:40] or "ref"


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S, stdin=subprocess.DEVNULL
    )


@dataclass
class Worktrees:
    """The temporary worktrees of one suite; `remove` takes every one away (idempotent)."""

    made: list[tuple[Path, Path]] = field(default_factory=list)  # (repository top, worktree folder)
    folder: Path | None = None

    def remove(self) -> None:
        for top, tree in self.made:
            # Twice forced: a worktree whose `add` was cut short by a signal is left locked ("initializing").
            _git(top, "worktree", "remove", "--force", "--force", str(tree))
            shutil.rmtree(tree, ignore_errors=True)
            _git(top, "worktree", "prune")
        self.made.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _top(directory: Path) -> Path | None:
    try:
        done = _git(directory, "rev-parse", "--show-toplevel")
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def against(suite: Suite, ref: str, trees: Worktrees) -> tuple[Suite, list[tuple[str, str]]]:
    """The suite with each config doubled (NAME, NAME@REF), and the pairs to compare (baseline, candidate).
    Worktrees made go into `trees`; on an error nothing is left (the caller removes `trees` in any case)."""
    if not ref.strip():
        raise AgainstError("--against needs a git revision (a commit, a tag, HEAD~1); it was given an empty one")
    label = ref_label(ref)
    declared = suite.declared
    servers = {}  # each config, then its twin: interleaved A A@REF B B@REF
    pairs: list[tuple[str, str]] = []
    checked_out: dict[Path, Path] = {}
    for name, server in declared.servers.items():
        servers[name] = server
        if server.server == "external":
            continue  # not started by the suite: no code of its own to check out
        app_dir = Path(os.path.abspath(suite.base_dir / server.app_dir)) if server.app_dir else Path.cwd()
        top = _top(app_dir)
        if top is None:
            raise AgainstError(f"--against {ref}: servers.{name}.app_dir ({app_dir}) is not in a git repository")
        if top not in checked_out:
            commit = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            if commit.returncode != 0 or not commit.stdout.strip():
                raise AgainstError(f"--against {ref}: no such revision in {top}")
            if trees.folder is None:
                trees.folder = Path(tempfile.mkdtemp(prefix="perfsuite-against-"))
            tree = trees.folder / f"tree{len(checked_out)}"
            trees.made.append((top, tree))  # before it exists: a signal during `add` still leaves it to remove
            added = _git(top, "worktree", "add", "--detach", "--quiet", str(tree), commit.stdout.strip())
            if added.returncode != 0:
                raise AgainstError(f"--against {ref}: git could not check it out: {added.stderr.strip()[:300]}")
            checked_out[top] = tree
        inside = os.path.relpath(app_dir, top)
        twin = f"{name}@{label}"
        servers[twin] = server.model_copy(update={"app_dir": os.path.normpath(checked_out[top] / inside)})
        pairs.append((twin, name))
    if not pairs:
        raise AgainstError(f"--against {ref}: no server the suite starts (external servers have no code here)")
    at_ref = [
        f"--against {ref}: {'.'.join(map(str, where))}: {_at(message, checked_out, ref)}"
        for twin, name in pairs
        for where, message in server_problems(name, servers[twin], suite.base_dir)
    ]
    if at_ref:  # found before the first run, not when the first @REF run dies
        raise AgainstError("\n".join(at_ref))
    twins = {candidate: twin for twin, candidate in pairs}
    scenarios = [
        s.model_copy(update={"servers": [x for n in s.servers for x in (n, *([twins[n]] if n in twins else []))]})
        if s.servers
        else s
        for s in declared.scenarios
    ]
    doubled = declared.model_copy(update={"servers": servers, "scenarios": scenarios})
    return Suite(name=suite.name, source=suite.source, base_dir=suite.base_dir, declared=doubled), pairs


def _at(message: str, trees: dict[Path, Path], ref: str) -> str:
    """A message about a worktree's files, its paths written as git names them, REF:path (the
    worktree's own path is temporary), and the repository named after it."""
    for top, tree in trees.items():
        if str(tree) in message:
            message = message.replace(f"{tree}/", f"{ref}:").replace(str(tree), f"{ref}:") + f" (in {top})"
    return message


def parse_pairs(suite: Suite, given: list[str]) -> list[tuple[str, str]]:
    """`--pair A:B` (A the baseline, B the candidate), both declared servers."""
    pairs = []
    for text in given:
        first, sep, second = text.partition(":")
        if not sep or not first or not second:
            raise AgainstError(f"--pair {text}: write it as BASELINE:CANDIDATE (two server names)")
        if first == second:
            raise AgainstError(f"--pair {text}: compares {first!r} with itself, which can only read 'unchanged'")
        for name in (first, second):
            if name not in suite.declared.servers:
                raise AgainstError(f"--pair {text}: no server {name!r} in {suite.source.name}")
        pairs.append((first, second))
    return pairs
