"""The shape of the code holds (README, "Architecture"); `lint-imports` in `make test` checks the
layers and the domains' declared dependencies, these check what it cannot say."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import grimp

from app import domains

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "blueprints", "worker")
#: Packages under app/ that are engines or the core, not domains.
NOT_DOMAINS = {"messaging", "providers", "models"}


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others():
    """Imports inside functions count: a late import does not hide a cycle."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for a, b in (("app.a", "app.b"), ("app.b", "app.c"), ("app.c", "app.a"), ("app.c", "app.d")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["app.a", "app.b", "app.c"]]


def _late_imports(source: str) -> list[int]:
    """Lines of imports of a project module inside a function body that no comment explains: on
    the line itself, or just above it (above a run of such imports, for the whole run)."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if not isinstance(inner, (ast.Import, ast.ImportFrom)) or getattr(inner, "level", 0):
                continue
            names = [inner.module or ""] if isinstance(inner, ast.ImportFrom) else [a.name for a in inner.names]
            if not any(name.split(".")[0] in PACKAGES for name in names):
                continue
            above = inner.lineno - 1
            while above >= 1 and lines[above - 1].strip().startswith(("from ", "import ")):
                above -= 1
            if "#" not in lines[inner.lineno - 1] and not (above >= 1 and lines[above - 1].strip().startswith("#")):
                found.append(inner.lineno)
    return found


def test_imports_inside_functions_say_why():
    unexplained = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line in _late_imports(path.read_text(encoding="utf-8")):
                unexplained.append(f"{path.relative_to(ROOT)}:{line}")
    assert unexplained == []


def test_the_late_import_check_sees_one_without_a_reason():
    source = (
        "def view():\n"
        "    from app.booking import bookings\n"
        "    return bookings\n"
        "\n"
        "def factory():\n"
        "    # the pages import this package: imported when the app is made\n"
        "    from blueprints import register_blueprints\n"
        "    return register_blueprints\n"
    )
    assert _late_imports(source) == [2]


def test_every_domain_is_listed_once_and_registers_when_imported():
    packages = sorted(
        f"app.{path.parent.name}" for path in (ROOT / "app").glob("*/__init__.py")
        if path.parent.name not in NOT_DOMAINS
    )
    assert sorted(domains.DOMAINS) == packages
    assert len(set(domains.DOMAINS)) == len(domains.DOMAINS)
    for name in domains.DOMAINS:
        importlib.import_module(name)  # no import error, no registration twice
