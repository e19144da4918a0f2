"""results -> report.md (GitHub-flavoured Markdown). A pure function.

Per scenario one comparison table, a row per server config and users level,
with each row's throughput as a ratio to the best; burst scenarios in the
classic table shape (Server | Mode | # per entry | Elapsed | Throughput).
"""

from __future__ import annotations

from collections import defaultdict

from perfsuite.results import RunResult, SuiteResults


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _rps(value: float) -> str:
    return _num(value, 2 if value < 100 else 1)


def _ratio(value: float, best: float) -> str:
    return f"{value / best:.2f}" if best > 0 else "–"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _steady(runs: list[RunResult]) -> list[str]:
    best: dict[int, float] = defaultdict(float)
    for run in runs:
        if run.status == "ok":
            best[run.users] = max(best[run.users], run.rps)
    rows = []
    for run in runs:
        lat = run.latency_ms
        if run.status != "ok":
            rows.append([run.server, str(run.users), "**error**", "", "", "", "", "", "", ""])
            continue
        rows.append(
            [
                run.server, str(run.users), f"{run.requests:,}", f"{run.failures:,}", _rps(run.rps),
                _num(lat.avg), _num(lat.p50, 0), _num(lat.p95, 0), _num(lat.p99, 0), _ratio(run.rps, best[run.users]),
            ]
        )  # fmt: skip
    header = ["Server", "Users", "Requests", "Failures", "RPS", "Avg ms", "p50 ms", "p95 ms", "p99 ms", "RPS vs best"]
    return _table(header, rows)


def _burst(runs: list[RunResult]) -> list[str]:
    names: list[str] = []
    for run in runs:
        names += [name for name in run.endpoints if name not in names]
    best = max((run.rps for run in runs if run.status == "ok"), default=0.0)
    rows = []
    for run in runs:
        counts = [str(run.endpoints[n].requests) if n in run.endpoints else "–" for n in names]
        if run.status != "ok":
            rows.append([run.server, run.order or "", *counts, "**error**", "", ""])
            continue
        rows.append(
            [
                run.server,
                run.order or "",
                *counts,
                f"{run.elapsed_s:.2f} s",
                f"{run.rps:.2f} req/s",
                _ratio(run.rps, best),
            ]
        )
    return _table(["Server", "Mode", *(f"# {n.capitalize()}" for n in names), "Elapsed", "Throughput", "vs best"], rows)


def _endpoints(runs: list[RunResult]) -> list[str]:
    rows = []
    for run in runs:
        if run.status != "ok" or len(run.endpoints) < 2:
            continue
        level = run.order or str(run.users)
        for name, ep in run.endpoints.items():
            rows.append(
                [run.server, level, name, f"{ep.requests:,}", f"{ep.failures:,}", _rps(ep.rps),
                 _num(ep.latency_ms.avg), _num(ep.latency_ms.p50, 0), _num(ep.latency_ms.p95, 0),
                 _num(ep.latency_ms.p99, 0)]
            )  # fmt: skip
    if not rows:
        return []
    header = ["Server", "Users", "Endpoint", "Requests", "Failures", "RPS", "Avg ms", "p50 ms", "p95 ms", "p99 ms"]
    return ["", "<details><summary>Per endpoint</summary>", "", *_table(header, rows), "", "</details>"]


def render(results: SuiteResults) -> str:
    by_scenario: dict[str, list[RunResult]] = defaultdict(list)
    for run in results.runs:
        by_scenario[run.scenario].append(run)
    ok = sum(run.status == "ok" for run in results.runs)
    lines = [f"# Suite {results.suite}", ""]
    summary = f"{ok} of {results.planned_runs} planned runs succeeded"
    failed = len(results.runs) - ok
    if failed:
        summary += f", {failed} failed"
    if results.interrupted:
        summary += "; the suite was interrupted"
    lines += [summary + ".", ""]
    for scenario, runs in by_scenario.items():
        mode = runs[0].mode
        lines += [f"## {scenario} ({mode})", ""]
        lines += _burst(runs) if mode == "burst" else _steady(runs)
        lines += _endpoints(runs)
        lines.append("")
    errors = [run for run in results.runs if run.status != "ok"]
    if errors:
        lines += ["## Failed runs", ""]
        for run in errors:
            first = (run.error or "unknown error").splitlines()[0]
            lines.append(f"- **{run.scenario} / {run.server}** ({run.order or f'{run.users} users'}): {first}  ")
            lines.append(f"  logs: `{run.run_dir}/`")
        lines.append("")
    overheads = [run.overhead.total_s for run in results.runs if run.overhead.total_s is not None]
    if overheads:
        lines.append(
            f"Suite overhead per run (start to first request, plus teardown): "
            f"median {sorted(overheads)[len(overheads) // 2]:.2f} s, max {max(overheads):.2f} s."
        )
        lines.append("")
    return "\n".join(lines)
