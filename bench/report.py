"""What a section hands back, and how it is printed and stored.

A section returns a `SectionResult`: rows for the table (figure, value, target,
verdict), the figures as plain JSON, the targets with their verdicts, and the
commands that reproduce its figures. Verdicts are PASS, MISS, or n/a when the run
did not measure what the target names (a --quick run measures smaller sizes).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

PASS, MISS, NOT_APPLICABLE = "PASS", "MISS", "n/a"


def python_command() -> str:
    """The interpreter as a user types it from the repository root (`.venv/bin/python`)."""
    executable = Path(sys.executable)
    try:
        return str(executable.relative_to(ROOT))
    except ValueError:
        return str(executable)


def shell_command(argv: list[str], env: dict[str, str] | None = None) -> str:
    """argv (and environment assignments) as one line a user can paste into a shell."""
    assignments = [f"{name}={shlex.quote(value)}" for name, value in (env or {}).items()]
    return " ".join(assignments + [shlex.quote(part) for part in argv])


def relative(path: Path | str) -> str:
    """A path relative to the repository root when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


@dataclass
class Target:
    """`value op threshold`, e.g. seconds <= 5 or ratio >= 0.8; threshold None: no target was set."""

    name: str
    value: float | None
    op: str  # ">=", "<=" or "<"
    threshold: float | None
    unit: str
    applicable: bool = True  # False: this run measured something else (e.g. a smaller size)

    @classmethod
    def informational(cls, name: str, value: float | None, unit: str = "") -> Target:
        """A figure reported for information: listed with the targets, verdict n/a."""
        return cls(name, value, "", None, unit)

    @property
    def verdict(self) -> str:
        if not self.applicable or self.value is None or self.threshold is None:
            return NOT_APPLICABLE
        met = {
            ">=": self.value >= self.threshold,
            "<=": self.value <= self.threshold,
            "<": self.value < self.threshold,
        }[self.op]
        return PASS if met else MISS

    @property
    def text(self) -> str:
        if self.threshold is None:
            return "none set (informational)"
        return f"{self.op} {self.threshold:,g}{self.spaced_unit}"

    @property
    def spaced_unit(self) -> str:
        return "" if not self.unit else self.unit if self.unit == "x" else " " + self.unit

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "op": self.op,
            "threshold": self.threshold,
            "unit": self.unit,
            "verdict": self.verdict,
        }


@dataclass
class Row:
    figure: str
    value: str
    target: Target | None = None


@dataclass
class SectionResult:
    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def targets(self) -> list[Target]:
        return [row.target for row in self.rows if row.target is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "figures": self.figures,
            "targets": [target.to_json() for target in self.targets],
            "commands": self.commands,
            "notes": self.notes,
            "error": self.error,
            "seconds": round(self.seconds, 2),
        }


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (width + 2) for width in widths) + "|"] + [line(r) for r in rows])


def render(section: SectionResult) -> str:
    out = [f"== {section.title} ==  ({section.seconds:.1f} s)"]
    if section.rows:
        out.append(
            table(
                ["figure", "value", "target", "verdict"],
                [
                    [row.figure, row.value, row.target.text if row.target else "", row.target.verdict if row.target else ""]
                    for row in section.rows
                ],
            )
        )
    if section.error:
        out.append(f"ERROR: {section.error}")
    for note in section.notes:
        out.append(f"note: {note}")
    if section.commands:
        out.append(f"reproduce (from {ROOT}):")
        out.extend(f"  {command}" for command in section.commands)
    return "\n".join(out)


def summary(sections: list[SectionResult]) -> str:
    rows = []
    for section in sections:
        if section.error:
            rows.append([section.name, "(section failed)", "", "ERROR"])
        for target in section.targets:
            if target.verdict == NOT_APPLICABLE and (target.threshold is not None or target.value is None):
                value = "not measured in this run"
            else:
                value = f"{target.value:,.0f}" if abs(target.value) >= 100 else f"{target.value:.2f}"
                value += target.spaced_unit
            rows.append([section.name, target.name, f"{value}  ({target.text})", target.verdict])
    return "== Summary ==\n" + table(["section", "target", "measured (target)", "verdict"], rows)

