"""The package's folders show the engine, and the imports keep to it (read from the source with ast).

model -> measure -> gate | runner -> faces (report, cli, demo); warehouse at the ground. The core
never imports the CLI's libraries; only warehouse/ knows a warehouse client; no import circles.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.fixtures.builders import ROOT

PACKAGE = ROOT / "phasegate"
CORE = ("phasegate.model", "phasegate.measure", "phasegate.gate", "phasegate.runner", "phasegate.expectations",
        "phasegate.state", "phasegate.hooks")
TERMINAL = ("typer", "rich")
CLIENTS = ("duckdb", "duckdb_engine", "google.cloud", "google.api_core", "google.auth", "sqlalchemy_bigquery")
# Lower layers never reach up to these.
FACES = ("phasegate.cli", "phasegate.demo")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import in the file, function-local ones included."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, id(node) in top))
            out += [(f"{node.module}.{alias.name}", id(node) in top) for alias in node.names]
    return out


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, CORE) and m != "phasegate.gate.plugin"))
def test_the_core_imports_no_terminal_library_no_warehouse_client_and_no_face(module):
    for name, _ in imports(MODULES[module]):
        assert not within(name, TERMINAL), f"{module} imports {name}: the core knows nothing of the CLI"
        assert not within(name, CLIENTS), f"{module} imports {name}: only phasegate.warehouse knows a client"
        assert not within(name, FACES), f"{module} imports {name}: the core never reaches up to a face"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not within(m, ("phasegate.warehouse",))))
def test_only_the_warehouse_package_imports_a_warehouse_client(module):
    for name, _ in imports(MODULES[module]):
        assert not within(name, CLIENTS), f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, ("phasegate.warehouse",))))
def test_the_warehouse_package_stands_on_the_ground_only(module):
    for name, _ in imports(MODULES[module]):
        if name.startswith("phasegate."):
            assert within(name, ("phasegate.errors", "phasegate.identifiers", "phasegate.warehouse")), \
                f"{module} imports {name}: adapters sit at the ground, below the catalog"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, ("phasegate.state",))))
def test_the_state_package_stands_on_the_warehouse_protocol_only(module):
    for name, _ in imports(MODULES[module]):
        if name.startswith("phasegate."):
            assert within(name, ("phasegate.errors", "phasegate.identifiers", "phasegate.warehouse",
                                 "phasegate.state")), f"{module} imports {name}: shared state sits above the adapters"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, ("phasegate.model", "phasegate.measure"))))
def test_model_and_measure_never_import_gate_runner_or_report(module):
    for name, _ in imports(MODULES[module]):
        assert not within(name, ("phasegate.gate", "phasegate.runner", "phasegate.report", *FACES)), \
            f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, ("phasegate.hooks",))))
def test_hooks_sit_below_the_gate_and_the_runner(module):
    # the gate and the runner call the hooks; the hooks know only the ground and the model
    for name, _ in imports(MODULES[module]):
        if name.startswith("phasegate."):
            assert within(name, ("phasegate.errors", "phasegate.hooks", "phasegate.model")), f"{module} imports {name}"


def test_the_gate_and_the_runner_announce_through_the_hooks():
    for module in ("phasegate.gate.run", "phasegate.runner.orchestrate"):
        assert any(within(name, ("phasegate.hooks",)) for name, _ in imports(MODULES[module])), module


def test_no_import_circles():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for name, _ in imports(path):
            target = name if name in MODULES else name.rpartition(".")[0]
            if target in MODULES and target != module and not module.startswith(target + "."):
                graph[module].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert circles == [], f"import circles: {circles}"


def test_the_top_level_holds_only_the_ground_modules_and_the_packages():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "errors.py", "identifiers.py"]
