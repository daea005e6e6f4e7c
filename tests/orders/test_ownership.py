"""Placing an order is the orders' business: the packages below it never reach up to it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import simulator

ROOT = Path(simulator.__file__).parent


def imported(package: str) -> set[str]:
    """Every simulator module a package's files import (relative imports resolved)."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        here = ["simulator", *path.relative_to(ROOT).parent.parts]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
                module = ".".join(part for part in (base, node.module) if part)
                found.update(f"{module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("simulator.")}


@pytest.mark.parametrize("package, above", [
    ("checkout", ("orders",)),
    ("basket", ("orders", "checkout")),
    ("catalog", ("orders", "checkout", "basket")),
    ("promotions", ("orders", "checkout", "basket")),
])
def test_a_package_does_not_import_the_ones_above_it(package, above):
    reaching_up = {name for name in imported(package) for higher in above if name.startswith(f"simulator.{higher}.")}
    assert not reaching_up


@pytest.mark.parametrize("package", ["basket", "catalog", "checkout", "customers", "orders", "promotions"])
def test_services_ask_domain_faults_without_the_simulation(package):
    assert not {name for name in imported(package) if name.startswith("simulator.simulation.")}
