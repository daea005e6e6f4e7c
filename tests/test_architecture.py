"""The import graph of simulator/ keeps its layers: routes → services → shared helpers → store.

Every module is parsed with `ast` (nothing is imported), relative imports are
resolved, and imports inside functions count as much as those at the top: a lazy
import is still a dependency. Imports under `if TYPE_CHECKING:` do not count (they
never run). Importing `a.b.c` counts as an edge to `a.b.c` only, not to the
`__init__` of its parents (every module would otherwise depend on the app factory).

The rules (the architecture's "Layers"):

(a) no cycle between modules;
(b) route modules (below, ROUTE_LAYER) may import services, a service never imports a
    route module nor Flask, flask-smorest or Werkzeug;
(c) between the service modules, the graph of packages (`simulator/<package>/`, each
    top-level module counting as a package of its own) has no cycle;
(d) nothing imports the test suite, the bench or the load scenarios.

KNOWN lists today's violations, each with why and its way out: remove an entry when
its fix lands (test_every_known_violation_still_exists says when), and the rules keep
it fixed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "simulator"

#: Modules of the HTTP layer (paths relative to the folder that holds the package).
ROUTE_LAYER = (
    "*/routes.py", "*/*_routes.py", "*/callers.py", "simulator/customers/auth.py", "simulator/orders/answers.py", "simulator/http/*",
    "simulator/__init__.py", "simulator/__main__.py", "simulator/cli.py", "simulator/server.py",
    "simulator/background.py",
    "simulator/simulation/middleware.py",  # WSGI middleware around the app: HTTP by nature
)
WEB_FRAMEWORKS = {"flask", "flask_smorest", "werkzeug"}
OUTSIDE_THE_PACKAGE = {"tests", "bench", "loadtests"}

#: Today's violations. Module edges are (importer, imported) module names, package edges
#: (importer, imported) package names; "being fixed" ones have a branch of their own.
KNOWN = {
    "module_edges": set(),
    "package_edges": {
        # Not yet scheduled: the webhook dispatcher builds event payloads with the catalog's and the
        # orders' serializers, while both emit their events through webhooks.events: the emitting
        # service could hand over the payload with the event.
        ("webhooks", "catalog"),
        ("webhooks", "orders"),
    },
}


# -- the import graph -------------------------------------------------------------------------------------


@dataclass
class Graph:
    """Modules by dotted name, their imports (internal and external), and which are route modules."""

    paths: dict[str, Path] = field(default_factory=dict)
    imports: dict[str, set[str]] = field(default_factory=dict)
    routes: set[str] = field(default_factory=set)

    def internal(self, module: str) -> set[str]:
        return {target for target in self.imports[module] if target in self.paths}

    def external(self, module: str) -> set[str]:
        return {target for target in self.imports[module] if target not in self.paths}

    def package_of(self, module: str) -> str:
        """`simulator.basket.service` → `basket`; a top-level module is a package of its own."""
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path, base: Path) -> str:
    parts = path.relative_to(base).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_nodes(tree: ast.AST):
    """Every Import / ImportFrom of the module, functions included, `if TYPE_CHECKING:` bodies excluded."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def build_graph(package: Path) -> Graph:
    base = package.parent
    graph = Graph()
    for path in sorted(package.rglob("*.py")):
        name = module_name(path, base)
        graph.paths[name] = path
        relative = path.relative_to(base).as_posix()
        if any(fnmatch(relative, pattern) for pattern in ROUTE_LAYER):
            graph.routes.add(name)
    for name, path in graph.paths.items():
        # A package's relative imports start from the package itself, a module's from its parent.
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets = set()
        for node in import_nodes(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            if node.level:
                anchor = here[: len(here) - (node.level - 1)]
                source = ".".join(anchor + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                # `from pkg import name`: an edge to the submodule when it is one, else to pkg.
                targets.add(submodule if submodule in graph.paths else source)
        targets.discard(name)
        graph.imports[name] = targets
    return graph


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def describe(components: list[list[str]], edges: dict[str, set[str]]) -> list[str]:
    """Each cycle with the edges that close it: `a → b`."""
    lines = []
    for component in components:
        members = set(component)
        lines.append("cycle: " + ", ".join(component))
        lines += [f"    {source} → {target}" for source in component for target in sorted(edges[source] & members)]
    return lines


def violations(graph: Graph, known: dict[str, set] | None = None) -> list[str]:
    """Every broken rule, one line each (a cycle: its members, then its edges); [] when all hold."""
    known = known or {"module_edges": set(), "package_edges": set()}
    allowed = known["module_edges"]
    problems = []

    # (a) no cycle between modules
    module_edges = {module: {t for t in graph.internal(module) if (module, t) not in allowed} for module in graph.paths}
    problems += describe(cycles(module_edges), module_edges)

    services = set(graph.paths) - graph.routes
    for module in sorted(graph.paths):
        # (d) nothing imports the test suite, the bench or the load scenarios
        for target in sorted(graph.external(module)):
            if target.split(".")[0] in OUTSIDE_THE_PACKAGE:
                problems.append(f"outside the package: {module} → {target}")
        if module not in services:
            continue
        # (b) services import neither a route module nor the web framework
        for target in sorted(graph.internal(module) & graph.routes):
            if (module, target) not in allowed:
                problems.append(f"service imports a route module: {module} → {target}")
        for target in sorted(graph.external(module)):
            if target.split(".")[0] in WEB_FRAMEWORKS and (module, target) not in allowed:
                problems.append(f"service imports the web framework: {module} → {target}")

    # (c) no cycle between packages at the service layer
    package_edges: dict[str, set[str]] = {}
    for module in services:
        source = graph.package_of(module)
        package_edges.setdefault(source, set())
        for target in graph.internal(module) & services:
            pair = (source, graph.package_of(target))
            if pair[0] != pair[1] and pair not in known["package_edges"] and (module, target) not in allowed:
                package_edges[source].add(pair[1])
    problems += ["packages: " + line if line.startswith("cycle") else line
                 for line in describe(cycles(package_edges), package_edges)]
    return problems


# -- the package itself -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph(PACKAGE)


def test_the_layers_hold(graph):
    problems = violations(graph, KNOWN)
    assert not problems, "\n".join(["the import graph of simulator/ breaks its layers:", *problems])


def test_every_known_violation_still_exists(graph):
    """A fixed violation leaves the allowlist, so that it cannot come back unnoticed."""
    fixed = sorted(edge for edge in KNOWN["module_edges"] if edge[1] not in graph.imports.get(edge[0], ()))
    services = set(graph.paths) - graph.routes
    package_pairs = {(graph.package_of(module), graph.package_of(target))
                     for module in services for target in graph.internal(module) & services}
    fixed += sorted(pair for pair in KNOWN["package_edges"] if pair not in package_pairs)
    assert not fixed, f"fixed, remove from KNOWN: {fixed}"


def test_the_graph_sees_every_module_and_the_route_layer(graph):
    assert {"simulator", "simulator.cli", "simulator.store.memory", "simulator.basket.pricing"} <= set(graph.paths)
    assert {"simulator", "simulator.basket.routes", "simulator.catalog.admin_routes", "simulator.http.admin",
            "simulator.basket.callers"} <= graph.routes
    assert "simulator.basket.pricing" not in graph.routes
    assert "simulator.basket.pricing" in graph.internal("simulator.basket.service")


# -- the checker, on a synthetic package ------------------------------------------------------------------


def write_package(tmp_path: Path, modules: dict[str, str]) -> Path:
    """simulator/ under tmp_path with the given modules (relative path → source); every folder a package."""
    package = tmp_path / "simulator"
    for relative, source in {"__init__.py": "", **modules}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(package).parents:
            (package / folder / "__init__.py").touch()
        path.write_text(source)
    return package


def test_a_clean_package_passes(tmp_path):
    package = write_package(tmp_path, {
        "store/memory.py": "import json\n",
        "money.py": "from .store import memory\n",
        "basket/service.py": "from simulator.money import *\nfrom ..store.memory import x\n",
        "basket/routes.py": "from flask import Blueprint\nfrom . import service\n",
        "__init__.py": "from .basket import routes\n",
    })
    graph = build_graph(package)
    assert graph.internal("simulator.basket.service") == {"simulator.money", "simulator.store.memory"}
    assert graph.internal("simulator.basket.routes") == {"simulator.basket.service"}
    assert graph.internal("simulator") == {"simulator.basket.routes"}
    assert violations(graph) == []


def test_a_new_module_cycle_fails_with_its_edges(tmp_path):
    package = write_package(tmp_path, {
        "a.py": "def f():\n    from . import b  # a lazy import is an edge too\n",
        "b.py": "from simulator import c\n",
        "c.py": "import simulator.a\n",
    })
    problems = violations(build_graph(package))
    assert problems[0] == "cycle: simulator.a, simulator.b, simulator.c"
    assert {"    simulator.a → simulator.b", "    simulator.b → simulator.c", "    simulator.c → simulator.a"} <= set(problems)


def test_type_checking_imports_do_not_count(tmp_path):
    package = write_package(tmp_path, {
        "a.py": "from . import b\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\nelse:\n    import json\n",
    })
    graph = build_graph(package)
    assert graph.imports["simulator.b"] == {"typing", "json"}
    assert violations(graph) == []


def test_a_package_cycle_without_a_module_cycle_fails(tmp_path):
    package = write_package(tmp_path, {
        "catalog/service.py": "from simulator.simulation import faults\n",
        "simulation/faults.py": "",
        "simulation/churn.py": "from simulator.catalog import service\n",
    })
    assert violations(build_graph(package)) == [
        "packages: cycle: catalog, simulation", "    catalog → simulation", "    simulation → catalog"]


def test_services_must_not_reach_up(tmp_path):
    package = write_package(tmp_path, {
        "orders/service.py": "from ..orders import routes\nfrom werkzeug.exceptions import NotFound\nimport tests.helpers\n",
        "orders/routes.py": "",
    })
    assert violations(build_graph(package)) == [
        "outside the package: simulator.orders.service → tests.helpers",
        "service imports a route module: simulator.orders.service → simulator.orders.routes",
        "service imports the web framework: simulator.orders.service → werkzeug.exceptions",
    ]


def test_an_allowlisted_edge_is_ignored(tmp_path):
    package = write_package(tmp_path, {"a.py": "from . import b\n", "b.py": "from . import a\n"})
    assert violations(build_graph(package), {"module_edges": {("simulator.b", "simulator.a")}, "package_edges": set()}) == []
