"""What the model needs to know about an app, read from its source (nothing imported).

- whether it is one of the suite's own apps (apps/wsgi_app.py, apps/asgi_app.py),
  whose paths say how long a request waits (`/slow?delay_ms=`, `/io/*`); any
  other app's service time is measured or declared instead;
- its interface (perfsuite.plan.appcheck.infer) and framework, where plain;
- the routes a FastAPI or Starlette module declares with a decorator
  (`@app.get("/items/{id}")`, `@router.post(...)`, `@app.route(...)`), each
  with whether its function is `async def` (run on the event loop) or `def`
  (run in anyio's thread pool), and the pool's size where the module sets it
  (`...default_thread_limiter().total_tokens = 100`).

Unknown is never an error: the model then says what it cannot tell, and a
config's `slots:` states it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from perfsuite import ROOT
from perfsuite.io.files import read_text
from perfsuite.plan.appcheck import MAX_SOURCE_BYTES, find_module, infer, server_roots
from perfsuite.plan.format import ServerConfig

OWN_APPS = ("apps/wsgi_app.py", "apps/asgi_app.py")
ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route"}
FRAMEWORKS = {"FastAPI": "fastapi", "Starlette": "starlette", "get_asgi_application": "django", "ASGIHandler": "django"}


@dataclass(frozen=True)
class Route:
    template: str  # as declared, e.g. /items/{item_id}
    is_async: bool
    line: int

    def matches(self, path: str) -> bool:
        pattern = re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(self.template))
        return re.fullmatch(pattern, path.split("?", 1)[0]) is not None


@dataclass(frozen=True)
class AppFacts:
    own: bool  # one of the suite's apps: paths say how long requests wait
    interface: str | None  # asgi, wsgi, or None where not plain
    framework: str | None  # fastapi, starlette, django, or None
    routes: tuple[Route, ...] = ()
    file: str = ""
    thread_limit: int | None = None  # anyio's thread pool as the module sets it (total_tokens = N)

    def route_for(self, path: str) -> Route | None:
        for route in self.routes:
            if route.matches(path):
                return route
        return None


def _routes(tree: ast.Module) -> tuple[Route, ...]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                continue
            if decorator.func.attr not in ROUTE_METHODS or not decorator.args:
                continue
            first = decorator.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("/"):
                found.append(Route(first.value, isinstance(node, ast.AsyncFunctionDef), node.lineno))
    return tuple(found)


def _thread_limit(tree: ast.Module) -> int | None:
    """`<anything>.total_tokens = N` with a whole number N above 0: the last such assignment."""
    found = [
        (node.lineno, node.value.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and type(node.value.value) is int
        and node.value.value > 0
        and any(isinstance(t, ast.Attribute) and t.attr == "total_tokens" for t in node.targets)
    ]
    return max(found)[1] if found else None


def describe(server: ServerConfig, base_dir: Path) -> AppFacts | None:
    """The facts of a config's app (None: an external server, or no app)."""
    if server.app is None:
        return None
    roots = server_roots(server.app_dir, server.env, base_dir)
    module = server.app_target.partition(":")[0]
    path = find_module(module, roots)
    own = path is not None and any(path.resolve() == (ROOT / own).resolve() for own in OWN_APPS)
    found = infer(server.app, roots)
    interface = server.interface or (found.kind if found else None)
    framework = next((name for key, name in FRAMEWORKS.items() if found and key in found.what), None)
    routes: tuple[Route, ...] = ()
    limit = None
    if path is not None and framework in ("fastapi", "starlette"):
        try:
            tree = ast.parse(read_text(path, MAX_SOURCE_BYTES))
            routes, limit = _routes(tree), _thread_limit(tree)
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError, RecursionError, MemoryError):
            routes = ()
    return AppFacts(own, interface, framework, routes, str(path) if path else "", limit)
