"""The shape of the code holds (README, "Architecture"); `lint-imports` in `make test` checks the
layers and the domains' declared dependencies, these check what it cannot say."""

from __future__ import annotations

import ast
import importlib
import tomllib
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
    """Lines of imports inside a function body that no comment explains: on the line itself, or
    just above it (above a run of such imports, for the whole run)."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if not isinstance(inner, (ast.Import, ast.ImportFrom)) or getattr(inner, "level", 0):
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
        "    import json\n"
        "    return bookings, json\n"
        "\n"
        "def factory():\n"
        "    # the pages import this package: imported when the app is made\n"
        "    from blueprints import register_blueprints\n"
        "    return register_blueprints\n"
    )
    assert _late_imports(source) == [2, 3]


#: The modules in which a domain registers what it adds to the engines.
REGISTERING = ("categories", "gates", "handlers", "labels", "reminder_rules")


def test_every_domain_is_listed_once():
    packages = sorted(
        f"app.{path.parent.name}" for path in (ROOT / "app").glob("*/__init__.py")
        if path.parent.name not in NOT_DOMAINS
    )
    assert sorted(domains.DOMAINS) == packages
    assert len(set(domains.DOMAINS)) == len(domains.DOMAINS)


def test_a_domain_registers_what_it_has_when_it_is_imported():
    """A domain's package imports each of its registering modules, so that importing the domain
    (app.domains.load) is enough: a gates.py nobody imports would register nothing."""
    for name in domains.DOMAINS:
        folder = ROOT / name.replace(".", "/")
        has = {m for m in REGISTERING if (folder / f"{m}.py").exists()}
        package = importlib.import_module(name)
        assert {m for m in REGISTERING if hasattr(package, m)} == has, name


def test_the_import_contracts_name_every_domain():
    """A domain left out of a contract would have no import rule at all."""
    contracts = {c["id"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]}
    every = set(domains.DOMAINS)
    layers = [{m.strip() for m in layer.replace("|", ":").split(":")} for layer in contracts["layers"]["layers"]]
    assert every in layers
    assert set(contracts["engines"]["forbidden_modules"]) == every
    assert set(contracts["domains"]["modules"]) == every
    for rule in contracts["domains"].get("ignore_imports", []):
        importer, imported = (side.strip().removesuffix(".**") for side in rule.split("->"))
        # A dependency names a domain, or one module of it (the narrower, the better).
        assert importer in every and (imported in every or imported.rpartition(".")[0] in every), rule
