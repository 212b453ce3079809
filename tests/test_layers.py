"""The packages stand on each other one way (docs/architecture.md, "Layers"): every import
between workbench's packages, at module level or inside a function (TYPE_CHECKING blocks
aside), goes from a higher layer to a lower one, and the package graph has no cycle."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"

# Lowest first. A package may import its own modules and any package in a LOWER layer;
# packages in one layer never import each other unless listed in SIDEWAYS.
LAYERS: list[set[str]] = [
    {"errors", "__init__"},
    {"timeutil", "inputcheck", "config", "startup_gc", "safezip"},
    {"store"},
    {"fsutil"},  # reads store.db's open projects (lazily) to refuse writing over one
    {"csvsafe"},  # formula-safe CSV, written through fsutil
    {"ingest", "codebook"},
    {"services"},
    {"pseudonyms", "suggest"},
    {"exchange"},
    {"analysis"},
    {"cli", "tui"},
    {"__main__"},
]
SIDEWAYS = {("cli", "tui")}  # `workbench tui` and `demo` open the app


def _layer(pkg: str) -> int:
    for i, layer in enumerate(LAYERS):
        if pkg in layer:
            return i
    raise AssertionError(f"workbench.{pkg} is in no layer: add it to LAYERS and the docs")


def _imports() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        src = rel.parts[0].removesuffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hidden = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
                if node.module == "workbench":
                    names = [f"workbench.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] != "workbench" or len(parts) < 2:
                    continue
                dst = parts[1]
                if not (PACKAGE / dst).is_dir() and not (PACKAGE / f"{dst}.py").exists():
                    dst = "__init__"  # a name from workbench/__init__.py (__version__)
                if dst != src:
                    found[(src, dst)].append(f"{rel}:{node.lineno}")
    return found


def test_every_import_points_down() -> None:
    wrong = []
    for (src, dst), where in sorted(_imports().items()):
        if (src, dst) in SIDEWAYS or _layer(dst) < _layer(src):
            continue
        wrong.append(f"{src} -> {dst} ({', '.join(where[:3])})")
    assert wrong == []


def test_the_rule_would_catch_a_cycle() -> None:
    """The check itself: an import from services up into analysis is a violation."""
    assert _layer("analysis") > _layer("services") > _layer("store")
    assert ("services", "analysis") not in _imports()
