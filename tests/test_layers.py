"""The import contract: modules import only downwards in the layer order of the README.

Every import counts, also the ones inside functions (a lazy import is still a dependency), so
the graph of solver modules must have no cycle and no edge pointing up a layer. Only the
solve layer imports the solver libraries (highspy, PuLP).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOLVER = Path(__file__).resolve().parents[1] / "solver"

# lowest first; a module may import modules of its own layer or below
LAYERS: list[tuple[str, ...]] = [
    ("solver.errors", "solver.domain", "solver.solve", "solver.generate", "solver.cadres.rules",
     "solver.leaders", "solver.text", "solver.names", "solver.keys", "solver.parallel",
     "solver.gcpause"),
    ("solver.io.read", "solver.io.write", "solver.io.outdir", "solver.io.xlsx",
     "solver.io.csvtext", "solver.inputs"),
    ("solver.validate", "solver.inventory"),
    ("solver.scenario",),
    ("solver.edits",),
    ("solver.quotas.", "solver.cadres.model", "solver.cadres.gap", "solver.aux",
     "solver.cadres.exact", "solver.consolidation", "solver.years."),
    ("solver.ledger", "solver.verify", "solver.cadres.checks"),
    ("solver.plan",),
    ("solver.runner", "solver.compare", "solver.sweep", "solver.bench"),
    ("solver.report",),
    ("solver.cli",),
]
PACKAGES = {"solver", "solver.io", "solver.quotas", "solver.cadres", "solver.report",
            "solver.years"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SOLVER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in SOLVER.rglob("*.py")}


def layer(module: str) -> int:
    for k, members in enumerate(LAYERS):
        for m in members:
            if module == m or module.startswith(m if m.endswith(".") else m + "."):
                return k
    raise AssertionError(f"{module} has no layer in tests/test_layers.py (add it)")


def imports(module: str) -> set[str]:
    """The solver modules `module` imports anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found |= {n for n in names if n in MODULES and n not in PACKAGES}
    return found - {module}


GRAPH = {m: imports(m) for m in MODULES if m not in PACKAGES}


def test_every_module_has_a_layer():
    for module in GRAPH:
        layer(module)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    up = sorted(d for d in GRAPH[module] if layer(d) > layer(module))
    assert not up, f"{module} (layer {layer(module)}) imports from higher layers: {up}"


def test_no_import_cycle():
    seen: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(module: str, path: list[str]) -> None:
        seen[module] = 1
        for dep in sorted(GRAPH.get(module, ())):
            if seen.get(dep) == 1:
                cycle = path[path.index(dep):] + [dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in seen:
                visit(dep, path + [dep])
        seen[module] = 2

    for module in sorted(GRAPH):
        if module not in seen:
            visit(module, [module])


def test_only_the_solve_layer_imports_solver_libraries():
    for module, path in MODULES.items():
        if module == "solver.solve":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.split(".")[0] in ("highspy", "pulp")], module
