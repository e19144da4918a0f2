"""Failed requests are never "all good": apps the suite has never seen answer
500 and 401; the run's verdict fails (exit 1), the reports name the status and
Locust's message per endpoint, and a config whose requests failed is not
ranked. A scenario may allow a stated error rate."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import read_json, run_cli, write_scenario

APPS = """\
def wsgi(environ, start_response):
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"broken"]


async def asgi(scope, receive, send):
    if scope["type"] != "http":
        return
    headers = dict(scope["headers"])
    ok = headers.get(b"authorization") == b"Bearer good"
    await send({"type": "http.response.start", "status": 200 if ok else 401, "headers": []})
    await send({"type": "http.response.body", "body": b"hi" if ok else b"who are you"})
"""

LOGIN = """\
from locust import HttpUser, constant, task


class Login(HttpUser):
    wait_time = constant(0.05)

    @task
    def login(self):
        self.client.get("/account", name="login", headers={"Authorization": "Bearer wrong-password"})
"""


def test_failed_requests_fail_the_verdict_and_the_reports_name_the_status(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(APPS)
    (tmp_path / "login.py").write_text(LOGIN)
    scenario = write_scenario(
        tmp_path,
        """\
        defaults: {users: 2, warmup: 0, duration: 1s}
        servers:
          fine:   {server: uvicorn, app: shop:asgi, interface: asgi, app_dir: .}
          broken: {server: gunicorn, app: shop:wsgi, interface: wsgi, app_dir: .}
        scenarios:
          - name: checkout
            mix: [{name: cart, path: /cart, headers: {Authorization: Bearer good}}]
          - name: signin
            servers: [fine]
            locustfile: login.py
          - name: tolerated
            servers: [broken]
            max_error_rate: 1
            mix: [{name: cart, path: /cart}]
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out), "--no-history")
    assert done.returncode == 1, done.stderr
    runs = {(r["scenario"], r["server"]): r for r in read_json(out / "results.json")["runs"]}
    assert all(r["status"] == "ok" for r in runs.values())

    broken = runs[("checkout", "broken")]
    assert broken["failures"] == broken["requests"] > 0
    (error,) = broken["request_errors"]
    assert (error["method"], error["name"], error["status"]) == ("GET", "cart", 500)
    assert error["occurrences"] == broken["failures"]
    assert [f["kind"] for f in broken["flags"]][:1] == ["errors"]
    assert runs[("checkout", "fine")]["failures"] == 0

    signin = runs[("signin", "fine")]
    assert signin["failures"] == signin["requests"] > 0
    assert {e["status"] for e in signin["request_errors"]} == {401}
    assert "401 Client Error: Unauthorized" in signin["request_errors"][0]["error"]

    tolerated = runs[("tolerated", "broken")]
    assert tolerated["failures"] == tolerated["requests"] > 0
    assert "errors" not in [f["kind"] for f in tolerated["flags"]]

    checks = read_json(out / "checks.json")
    assert checks["exit_code"] == 1
    assert {(c["scenario"], c["server"]) for c in checks["failed_requests"]} == {
        ("checkout", "broken"),
        ("signin", "fine"),
    }
    report = (out / "report.md").read_text()
    assert "| broken | 2 | GET cart | 500 | status 500, expected 200 |" in report
    login_row = next(line for line in report.splitlines() if line.startswith("| fine | 2 | GET login | 401 | "))
    assert "401 Client Error: Unauthorized" in login_row and login_row.endswith(f"| {signin['failures']:,} |")
    checkout = report.split("## checkout")[1].split("## signin")[0]
    assert "| not ranked: requests failed | ⚠ errors" in checkout
    assert "| 1.00 |" in next(line for line in checkout.splitlines() if line.startswith("| fine | 2 | "))
    assert "requests failed: checkout / broken / 2 users #1: " in done.stderr
    assert "500 x" in done.stderr
    html = (out / "report.html").read_text()
    assert "Requests failed" in html and "401 Client Error" in html
