"""Reading an app's interface from its source, without importing it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from perfsuite.plan.appcheck import ASGI, WSGI, find_module, infer


def module(tmp_path: Path, source: str, name: str = "pkg/site.py") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "kind", "evidence"),
    [
        ("async def app(scope, receive, send):\n    pass\n", ASGI, "site.py:1: async def app(scope, receive, send)"),
        ("def app(environ, start_response):\n    return []\n", WSGI, "site.py:1: def app(environ, start_response)"),
        ("from flask import Flask\napp = Flask(__name__)\n", WSGI, "site.py:2: app = Flask(...)"),
        ("import fastapi\napp = fastapi.FastAPI()\n", ASGI, "site.py:2: app = fastapi.FastAPI(...)"),
        ("import falcon\napp = falcon.App()\n", WSGI, "app = falcon.App(...)"),
        ("import falcon.asgi\napp = falcon.asgi.App()\n", ASGI, "app = falcon.asgi.App(...)"),
        ("from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\napp = application\n",
         WSGI, "get_wsgi_application(...)"),
        ("from asgiref.wsgi import WsgiToAsgi\ndef w(environ, start_response): ...\napp = WsgiToAsgi(w)\n",
         ASGI, "app = WsgiToAsgi(...)"),
        ("def timing(inner):\n    async def timed(scope, receive, send):\n        await inner(scope, receive, send)\n"
         "    return timed\napp = timing(object())\n",
         ASGI, "site.py:5: app = timing(...), returning async def timed(scope, receive, send) (line 2)"),
        ("from hypercorn.middleware import AsyncioWSGIMiddleware\nfrom flask import Flask\n"
         "app = AsyncioWSGIMiddleware(Flask(__name__))\n", ASGI, "app = AsyncioWSGIMiddleware(...)"),
        ("from pyramid.config import Configurator\nconfig = Configurator()\napp = config.make_wsgi_app()\n",
         WSGI, "config.make_wsgi_app(...)"),
    ],
)  # fmt: skip
def test_plain_cases_are_known(tmp_path: Path, source: str, kind: str, evidence: str) -> None:
    module(tmp_path, source)
    found = infer("pkg.site:app", [tmp_path])
    assert found is not None and found.kind == kind
    assert evidence in found.evidence


@pytest.mark.parametrize(
    "source",
    [
        "from elsewhere import app\n",  # imported: not followed
        "import functools\n@functools.lru_cache\ndef app(environ, start_response): ...\n",  # decorated
        "class App:\n    async def __call__(self, scope, receive, send): ...\napp = App()\n",
        "def app(a, b, c): ...\n",  # a sync callable with three arguments is neither
        "if True:\n    app = None\n",
        # bound again under a condition: which one wins is not plain
        "from flask import Flask\napp = Flask(__name__)\nif WRAP:\n    app = WsgiToAsgi(app)\n",
        "from flask import Flask\napp = Flask(__name__)\ntry:\n    import x\nexcept ImportError:\n    pass\n"
        "else:\n    from x import app\n",
        # a call to something that is not a known constructor or a local middleware factory
        "def handler(request, response): ...\napp = Router(handler)\n",
        "def passthrough(inner):\n    return inner\nasync def core(scope, receive, send): ...\napp = passthrough(core)\n",
        "app = make()\n",
        "def a(environ, start_response): ...\napp = a\napp = b\n",  # the last binding wins
        "def app(:\n",  # a syntax error is the server's to report
    ],
)
def test_anything_else_is_unknown(tmp_path: Path, source: str) -> None:
    module(tmp_path, source)
    assert infer("pkg.site:app", [tmp_path]) is None


def test_names_that_refer_to_each_other_do_not_loop(tmp_path: Path) -> None:
    module(tmp_path, "a = b\nb = a\napp = a\n")
    assert infer("pkg.site:app", [tmp_path]) is None


def test_module_lookup_follows_the_roots_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    module(second, "def app(environ, start_response): ...\n", "pkg/__init__.py")
    assert find_module("pkg", [first, second]) == second / "pkg" / "__init__.py"
    assert find_module("pkg.missing", [first, second]) is None
    assert infer("nowhere.mod:app", [first, second]) is None


def test_the_shipped_apps(repo: Path) -> None:
    asgi = infer("apps.asgi_app:app", [repo])
    wsgi = infer("apps.wsgi_app:app", [repo])
    assert asgi is not None and asgi.kind == ASGI and "async def middleware(scope, receive, send)" in asgi.evidence
    assert wsgi is not None and wsgi.kind == WSGI and "def middleware(environ, start_response)" in wsgi.evidence
