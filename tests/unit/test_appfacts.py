"""What the model may know of an app, read from its source (nothing imported)."""

from __future__ import annotations

from pathlib import Path

from perfsuite.plan.appfacts import Route, describe
from perfsuite.plan.format import ServerConfig

FASTAPI = """\
import fastapi

api = fastapi.FastAPI()
router = fastapi.APIRouter()
raise SystemExit("never imported")


@api.get("/items/{item_id}")
async def item(item_id: int): ...


@router.post("/reports/{day}/totals", status_code=201)
def totals(day: str): ...


@api.api_route("/health", methods=["GET"])
def health(): ...


@api.get(PATH_FROM_A_CONSTANT)
def unknown(): ...
"""


def server(app: str, **fields: object) -> ServerConfig:
    return ServerConfig.model_validate({"server": "uvicorn", "app": app, "app_dir": ".", **fields})


def test_fastapi_routes_and_whether_each_runs_on_the_loop(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(FASTAPI)
    facts = describe(server("svc:api"), tmp_path)
    assert facts is not None and not facts.own and facts.framework == "fastapi" and facts.interface == "asgi"
    assert [(r.template, r.is_async) for r in facts.routes] == [
        ("/items/{item_id}", True),
        ("/reports/{day}/totals", False),
        ("/health", False),
    ]
    assert facts.route_for("/items/7?full=1") == Route("/items/{item_id}", True, 9)
    assert facts.route_for("/reports/monday/totals") is not None
    assert facts.route_for("/reports/monday") is None and facts.route_for("/items/7/more") is None
    assert facts.thread_limit is None  # anyio's default pool


def test_a_thread_pool_the_app_sets_is_read_from_its_source(tmp_path: Path) -> None:
    limited = FASTAPI + (
        "\n\nfrom anyio import to_thread\n\nto_thread.current_default_thread_limiter().total_tokens = 7\n"
        "limiter = to_thread.current_default_thread_limiter()\nlimiter.total_tokens = 120\n"
    )
    (tmp_path / "svc.py").write_text(limited)
    facts = describe(server("svc:api"), tmp_path)
    assert facts is not None and facts.thread_limit == 120  # the last one set


def test_the_suites_own_apps_are_known_by_their_file_not_their_name(tmp_path: Path, repo: Path) -> None:
    own = describe(server("apps.asgi_app:app", app_dir=None), repo)
    assert own is not None and own.own
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "asgi_app.py").write_text("async def app(scope, receive, send): ...\n")
    lookalike = describe(server("apps.asgi_app:app"), tmp_path)
    assert lookalike is not None and not lookalike.own and lookalike.interface == "asgi"


def test_django_and_unknown_apps(tmp_path: Path) -> None:
    (tmp_path / "site_asgi.py").write_text(
        "from django.core.asgi import get_asgi_application\napplication = get_asgi_application()\n"
    )
    django = describe(server("site_asgi:application"), tmp_path)
    assert django is not None and django.framework == "django" and django.routes == ()
    (tmp_path / "odd.py").write_text("app = make_something()\n")
    odd = describe(server("odd:app"), tmp_path)
    assert odd is not None and odd.framework is None and odd.interface is None
    assert describe(ServerConfig(server="external", url="http://10.0.0.5:8000"), tmp_path) is None
