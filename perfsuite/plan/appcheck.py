"""Which interface (ASGI or WSGI) an app speaks, read from its source without importing it.

Importing a user's module runs its code (connections, threads, side effects);
the scenario loader must start nothing, so this reads the module's syntax tree
instead and answers only where the answer is plain:

- `async def app(scope, receive, send)` is ASGI; `def app(environ, start_response)` is WSGI;
- `app = Flask(...)`, `FastAPI(...)`, `Starlette(...)`, Django's
  `get_wsgi_application()` and the like name their interface;
- the adapters (`WsgiToAsgi(...)`, `WSGIMiddleware(...)`, a2wsgi's
  `ASGIMiddleware(...)`) turn one into the other;
- `app = middleware(other)`, where `middleware` is a function of the same
  module that returns a function it defines, is what that function is;
- `app = other` follows the name;
- a factory (`app: module:create_app()`) is what it returns: a constructor's
  app, a function it defines, or a name it binds to one of those.

Modules are looked for as files too (`locate`), so a misspelt module is
found at validation rather than when the server starts.

Anything else (imports, decorators, classes, other calls, a name bound again
under an `if`, `try` or `with`) is unknown, and unknown is never an error. A
config that declares `interface:` is believed.
"""

from __future__ import annotations

import ast
import contextlib
import os
import sys
from dataclasses import dataclass
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path

from perfsuite.io.files import read_text

MAX_SOURCE_BYTES = 4 * 2**20  # an app's module read for its interface and routes

ASGI, WSGI = "asgi", "wsgi"

# The last components of a constructor's dotted name -> the interface it makes.
CONSTRUCTORS: dict[tuple[str, ...], str] = {
    ("Flask",): WSGI,
    ("Bottle",): WSGI,
    ("get_wsgi_application",): WSGI,
    ("make_wsgi_app",): WSGI,
    ("falcon", "App"): WSGI,
    ("falcon", "API"): WSGI,
    ("ASGIMiddleware",): WSGI,  # a2wsgi: ASGI app -> WSGI
    ("AsgiToWsgi",): WSGI,
    ("FastAPI",): ASGI,
    ("Starlette",): ASGI,
    ("Quart",): ASGI,
    ("Litestar",): ASGI,
    ("get_asgi_application",): ASGI,
    ("ASGIHandler",): ASGI,
    ("asgi", "App"): ASGI,  # falcon.asgi.App
    ("WsgiToAsgi",): ASGI,  # asgiref
    ("WSGIMiddleware",): ASGI,  # starlette / a2wsgi: WSGI app -> ASGI
    ("AsyncioWSGIMiddleware",): ASGI,  # hypercorn
    ("TrioWSGIMiddleware",): ASGI,
}
MAX_HOPS = 8


@dataclass(frozen=True)
class Interface:
    kind: str  # ASGI or WSGI
    file: str
    line: int
    what: str  # the source that says so, e.g. "async def application(scope, receive, send)"

    @property
    def evidence(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


def find_module(module: str, roots: list[Path]) -> Path | None:
    """The source file of `module` under the first root that has it (no import)."""
    parts = module.split(".")
    for root in roots:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def search_roots(app_dir: Path, env: dict[str, str]) -> list[Path]:
    """Where the server will import from: the app dir, then the PYTHONPATH its config declares."""
    extra = [app_dir / p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    return [app_dir, *extra]


def server_roots(app_dir: str | None, env: dict[str, str], base_dir: Path) -> list[Path]:
    """A config's search roots: its `app_dir` (relative to the scenario file), else the current directory."""
    return search_roots((base_dir / app_dir) if app_dir else Path.cwd(), env)


def _on_disk(parts: list[str], root: Path) -> bool:
    base = root.joinpath(*parts)
    if base.with_suffix(".py").is_file() or base.is_dir():  # a module, a package or a namespace package
        return True
    if base.with_suffix(".pyc").is_file() or base.with_suffix(".so").is_file():
        return True
    return base.parent.is_dir() and any(base.parent.glob(f"{parts[-1]}.*.so"))  # an extension module


def _server_path() -> list[str]:
    """The suite's sys.path as a server sees it: without the caller's
    PYTHONPATH (never passed on), the suite's folder and its working folder."""
    mine = {str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    mine |= {str(Path(__file__).resolve().parents[2]), str(Path.cwd().resolve())}
    return [p for p in sys.path if p and str(Path(p).resolve()) not in mine]


def _installed(top: str) -> ModuleSpec | None:
    """The spec of an installed top-level name: finders only, nothing imported."""
    spec = PathFinder.find_spec(top, _server_path())
    for finder in sys.meta_path:  # editable installs, frozen and built-in modules
        if spec is not None:
            break
        if finder is not PathFinder and hasattr(finder, "find_spec"):
            with contextlib.suppress(Exception):
                spec = finder.find_spec(top, None)
    return spec


def locate(module: str, roots: list[Path], installed: bool = True) -> bool:
    """Whether the server could import `module`. False only where that is
    certain: nowhere under `roots` (the app's folder and the PYTHONPATH it is
    given) and not installed where the suite's interpreter (the servers') looks;
    a submodule missing from a plain package folder. Nothing is imported."""
    parts = module.split(".")
    try:
        if any(_on_disk(parts, root) for root in roots):
            return True
        top = parts[0]
        for root in roots:
            if (root / top / "__init__.py").is_file():
                return False  # a regular package here, without the module: Python looks no further
        if not installed:
            return True  # another interpreter's packages: not looked into here
        spec = _installed(top)
    except (OSError, ImportError, ValueError):
        return True  # cannot be told here: the server will say
    if spec is None:
        return False
    if len(parts) == 1 or not spec.origin or not spec.origin.endswith("__init__.py"):
        return True  # a module found by other means (namespace, editable install, zip): not refused
    places = [Path(p) for p in spec.submodule_search_locations or []]
    if not places or not all(place.is_dir() for place in places):
        return True
    return any(_on_disk(parts[1:], place) for place in places)


def nearby(module: str, roots: list[Path]) -> list[str]:
    """Module names beside where `module` would be (for a did-you-mean)."""
    parent = module.rpartition(".")[0]
    found = []
    for root in roots:
        folder = root.joinpath(*parent.split(".")) if parent else root
        with contextlib.suppress(OSError):
            for entry in list(folder.iterdir())[:10_000] if folder.is_dir() else []:
                name = entry.stem if entry.suffix == ".py" else entry.name if entry.is_dir() else ""
                if name.isidentifier():
                    found.append(f"{parent}.{name}" if parent else name)
    return sorted(set(found))[:1000]


def infer(app: str, roots: list[Path]) -> Interface | None:
    """The interface of `module.path:attribute` (or a factory's, `module:function()`),
    or None where it cannot be told from the source."""
    module, _, attribute = app.partition(":")
    factory = attribute.endswith("()")
    attribute = attribute.removesuffix("()")
    path = find_module(module, roots)
    if path is None:
        return None
    try:
        tree = ast.parse(read_text(path, MAX_SOURCE_BYTES), filename=str(path))  # a FIFO is refused, never read
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError, RecursionError, MemoryError):
        return None  # the server will say so, with its own log
    shown = _shown(path)
    bindings: dict[str, ast.stmt] = {}
    for statement in tree.body:
        for name in _bound_names(statement):
            bindings[name] = statement
    for name in _bound_in_blocks(tree):
        bindings.pop(name, None)  # bound again under a condition: which binding wins is not plain
    if factory:
        return _factory_result(bindings.get(attribute), bindings, shown)
    return _infer_name(attribute, bindings, shown, MAX_HOPS)


def _factory_result(function: ast.stmt | None, bindings: dict[str, ast.stmt], shown: str) -> Interface | None:
    """What a factory returns: its one top-level `return NAME` (a name it binds,
    or one of the module's) or `return Constructor(...)`."""
    if not isinstance(function, ast.FunctionDef) or function.decorator_list:
        return None
    returns = [s for s in function.body if isinstance(s, ast.Return)]
    if len(returns) != 1 or returns[0].value is None:
        return None
    inner = dict(bindings)
    for statement in function.body:
        if isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            return None  # bound under a condition: not plain
        for name in _bound_names(statement):
            inner[name] = statement
    value = returns[0].value
    if isinstance(value, ast.Name):
        return _infer_name(value.id, inner, shown, MAX_HOPS)
    if isinstance(value, ast.Call):
        inner["<returned>"] = ast.Assign(targets=[ast.Name("<returned>")], value=value, lineno=returns[0].lineno)
        found = _infer_name("<returned>", inner, shown, MAX_HOPS)
        if found is not None:
            return Interface(found.kind, shown, found.line, found.what.replace("<returned> = ", "return ", 1))
    return None


def _bound_in_blocks(tree: ast.Module) -> set[str]:
    """Names bound inside the module's own compound statements (if, try, with, for, while, match)."""
    names: set[str] = set()
    simple = (
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.Assign,
        ast.AnnAssign,
        ast.Import,
        ast.ImportFrom,
    )
    for statement in tree.body:
        if isinstance(statement, simple):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.stmt):
                names.update(_bound_names(node))
    return names


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _bound_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, ast.Assign):
        return [target.id for target in statement.targets if isinstance(target, ast.Name)]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
    return []


def _infer_name(name: str, bindings: dict[str, ast.stmt], shown: str, hops: int) -> Interface | None:
    statement = bindings.get(name)
    if statement is None or hops <= 0:
        return None
    line = statement.lineno
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if statement.decorator_list:
            return None
        positional = [a.arg for a in (*statement.args.posonlyargs, *statement.args.args)]
        signature = f"{name}({', '.join(positional)})"
        if isinstance(statement, ast.AsyncFunctionDef) and len(positional) == 3:
            return Interface(ASGI, shown, line, f"async def {signature}")
        if isinstance(statement, ast.FunctionDef) and len(positional) == 2:
            return Interface(WSGI, shown, line, f"def {signature}")
        return None
    value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
    if isinstance(value, ast.Name):
        return _infer_name(value.id, bindings, shown, hops - 1)
    if isinstance(value, ast.Call):
        callee = _dotted(value.func)
        for suffix, kind in CONSTRUCTORS.items():
            if callee[-len(suffix) :] == suffix:
                return Interface(kind, shown, line, f"{name} = {'.'.join(callee)}(...)")
        made = _returned_def(bindings.get(callee[0]) if len(callee) == 1 else None, shown)
        if made is not None:
            what = f"{name} = {callee[0]}(...), returning {made.what} (line {made.line})"
            return Interface(made.kind, shown, line, what)
    return None


def _returned_def(function: ast.stmt | None, shown: str) -> Interface | None:
    """What a module function returns when it returns a function it defines (a middleware factory)."""
    if not isinstance(function, ast.FunctionDef) or function.decorator_list:
        return None
    inner = {s.name: s for s in function.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returns = [s.value for s in function.body if isinstance(s, ast.Return)]
    if len(returns) != 1 or not isinstance(returns[0], ast.Name) or returns[0].id not in inner:
        return None
    return _infer_name(returns[0].id, dict(inner), shown, 1)


def _dotted(node: ast.expr) -> tuple[str, ...]:
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return (*_dotted(node.value), node.attr)
    if isinstance(node, ast.Call):  # config.make_wsgi_app() and the like
        return _dotted(node.func)
    return ()
