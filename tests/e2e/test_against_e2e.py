"""Two versions compared in one run: --against REF checks REF out of the app's
git repository into a temporary worktree, runs NAME and NAME@REF interleaved,
and judges them by the baseline rule; --pair A:B compares two declared configs."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import read_json, run_cli, start_cli, strays, write_scenario

APP = """\
import time

WAIT_S = {wait}


def app(environ, start_response):
    time.sleep(WAIT_S)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"version"]
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def repository(tmp_path: Path, waits: list[float]) -> Path:
    """A git repository whose commits' apps wait each of `waits` in turn (the last is HEAD)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / "svc").mkdir()
    for wait in waits:
        (repo / "svc" / "shop.py").write_text(APP.format(wait=wait))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", f"wait {wait}")
    return repo


def suite(tmp_path: Path, repo: Path, repeat: int = 2) -> Path:
    return write_scenario(
        tmp_path,
        f"""\
        defaults: {{users: 2, warmup: 0.3s, duration: 1.5s, repeat: {repeat}}}
        servers:
          shop: {{server: gunicorn, app: shop:app, app_dir: {repo / "svc"}, workers: 1}}
        scenarios:
          - name: buy
            mix: [{{path: /buy}}]
        """,
    )


def worktrees(repo: Path) -> list[str]:
    return [line for line in git(repo, "worktree", "list").splitlines() if line]


def test_a_slower_head_is_a_regression_named_in_every_report(tmp_path: Path) -> None:
    repo = repository(tmp_path, [0.02, 0.04])  # HEAD waits twice as long as HEAD~1
    out = tmp_path / "out"
    done = run_cli(str(suite(tmp_path, repo)), "--out", str(out), "--no-history", "--against", "HEAD~1")
    assert done.returncode == 1, done.stderr
    assert "REGRESSION: buy / shop / 2 users: rps" in done.stderr
    results = read_json(out / "results.json")
    servers = [run["server"] for run in results["runs"]]
    assert servers == ["shop", "shop@HEAD~1", "shop", "shop@HEAD~1"]  # interleaved, fresh servers
    runs = {(run["server"], run["repeat"]): run for run in results["runs"]}
    assert runs[("shop", 1)]["rps"] < 0.7 * runs[("shop@HEAD~1", 1)]["rps"]
    checks = read_json(out / "checks.json")
    assert checks["baseline_file"] == "--against HEAD~1" and checks["exit_code"] == 1
    regressed = [c["metric"] for e in checks["baseline"] for c in e["comparisons"] if c["verdict"] == "regression"]
    assert "rps" in regressed and all(e["server"] == "shop" for e in checks["baseline"])
    assert 'failure message="rps: baseline' in (out / "junit.xml").read_text()
    assert "❌ **regression**" in (out / "report.md").read_text()
    assert len(worktrees(repo)) == 1  # the checkout is gone
    checked_out = Path(runs[("shop@HEAD~1", 1)]["server_env"]["PYTHONPATH"].split(":")[0])
    assert "perfsuite-against-" in str(checked_out) and not checked_out.exists()  # removed with its folder


def test_the_same_code_on_both_sides_exits_0_and_bad_refs_are_exit_2(tmp_path: Path) -> None:
    repo = repository(tmp_path, [0.02, 0.02])
    scenario = suite(tmp_path, repo)
    stored = tmp_path / "last-night.json"
    first = run_cli(str(scenario), "--out", str(tmp_path / "first"), "--no-history", "--save-baseline", str(stored))
    assert first.returncode == 0, first.stderr
    # A stored baseline beside --against is a trend to read; the verdict is this run's own comparison.
    done = run_cli(
        str(scenario), "--out", str(tmp_path / "same"), "--no-history", "--against", "HEAD~1", "--baseline", str(stored)
    )
    assert done.returncode == 0, done.stderr
    checks = read_json(tmp_path / "same" / "checks.json")
    assert checks["baseline_file"] == "--against HEAD~1"
    assert any(
        note.startswith(f"trend against {stored}: buy / shop / 2 users: rps") for note in checks["baseline_notes"]
    )
    assert len(worktrees(repo)) == 1
    bad = run_cli(str(scenario), "--out", str(tmp_path / "bad"), "--no-history", "--against", "no-such-ref")
    assert bad.returncode == 2 and f"--against no-such-ref: no such revision in {repo}" in bad.stderr
    assert not (tmp_path / "bad").exists() and len(worktrees(repo)) == 1
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "shop.py").write_text(APP.format(wait=0.01))
    outside = write_scenario(
        tmp_path,
        """\
        servers:
          shop: {server: gunicorn, app: shop:app, app_dir: plain}
        scenarios:
          - {name: buy, mix: [{path: /buy}]}
        """,
        name="outside.yaml",
    )
    done = run_cli(str(outside), "--no-history", "--against", "HEAD")
    assert (
        done.returncode == 2 and "servers.shop.app_dir" in done.stderr and "is not in a git repository" in done.stderr
    )
    pair = run_cli(str(scenario), "--no-history", "--pair", "shop:nope")
    assert pair.returncode == 2 and "--pair shop:nope: no server 'nope'" in pair.stderr


def test_ctrl_c_leaves_no_worktree_and_no_process(tmp_path: Path) -> None:
    repo = repository(tmp_path, [0.02, 0.04])
    out = tmp_path / "out"
    running = start_cli(str(suite(tmp_path, repo, repeat=3)), "--out", str(out), "--no-history", "--against", "HEAD~1")
    deadline = time.monotonic() + 60
    while len(worktrees(repo)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(worktrees(repo)) == 2  # checked out while the suite runs
    running.send_signal(signal.SIGINT)
    running.communicate(timeout=60)
    assert running.returncode == 128 + signal.SIGINT
    assert len(worktrees(repo)) == 1 and strays(running.pid) == []


def test_pair_compares_two_declared_configs(tmp_path: Path) -> None:
    (tmp_path / "fast.py").write_text(APP.format(wait=0.01))
    (tmp_path / "slow.py").write_text(APP.format(wait=0.03))
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {users: 2, warmup: 0.3s, duration: 1.5s, repeat: 2}
        servers:
          before: {server: gunicorn, app: fast:app, app_dir: .}
          after:  {server: gunicorn, app: slow:app, app_dir: .}
        scenarios:
          - {name: buy, mix: [{path: /buy}]}
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history", "--pair", "before:after")
    assert done.returncode == 1 and "REGRESSION: buy / after / 2 users: rps" in done.stderr
    assert read_json(out / "checks.json")["baseline_file"] == "--pair before:after"


def test_a_worktree_whose_add_was_cut_short_is_removed(tmp_path: Path) -> None:
    """A signal during `git worktree add` leaves the worktree registered and locked ("initializing"):
    it is known before it is added, and removed though locked (a CI run once left one behind)."""
    from perfsuite.conduct.versions import Worktrees

    repo = repository(tmp_path, [0.02, 0.04])
    tree = tmp_path / "trees" / "tree0"
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "--quiet", str(tree), "HEAD"], check=True)
    subprocess.run(["git", "-C", str(repo), "worktree", "lock", str(tree)], check=True)
    trees = Worktrees(made=[(repo, tree), (repo, tmp_path / "trees" / "never-added")])
    trees.remove()
    assert len(worktrees(repo)) == 1 and not tree.exists()
