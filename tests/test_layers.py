"""The layout's import rules (README, Development): checked on the source, so that a new import that breaks them fails.

- kind packages (``engine/<kind>``) never import each other, and only the registry imports them all;
- a kind's document kinds are written in its own package only (everything else reads its spec);
- ``engine`` never imports ``server``;
- ``server/commands`` and ``server/mcp`` never import each other; ``server/core`` imports neither;
- no import cycle anywhere (in ``server/mcp``, state and helpers live apart from ``app.py`` and the toolsets);
- toolsets (``server/mcp/tools/<toolset>``) never import each other.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

from pykyverno.engine.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"engine": "pykyverno.engine", "server": "pykyverno.server"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGES[parts[0]], *parts[1:]])


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (relative imports resolved; ``from x import y`` counts ``x`` and ``x.y``)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for top in PACKAGES for p in (ROOT / top).rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules} for name, path in modules.items()}


GRAPH = graph()


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_kind_packages_never_import_each_other() -> None:
    kinds = {module_name(p) for p in (ROOT / "engine").glob("*/__init__.py") if "SPEC = KindSpec(" in p.read_text()}
    assert len(kinds) == len(REGISTRY.specs())  # one package per registered kind
    crossing = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        for kind in kinds
        if under(module, kind)
        for target in targets
        for other in kinds
        if other != kind and under(target, other)
    )
    assert crossing == []


def test_kind_names_are_written_in_their_own_package_only() -> None:
    """Everything else reads a kind's document kinds from its spec (through the registry)."""
    packages = {
        importlib.import_module(name).SPEC.name: name
        for p in (ROOT / "engine").glob("*/__init__.py")
        if "SPEC = KindSpec(" in p.read_text()
        for name in [module_name(p)]
    }
    owner = {kind: packages[spec.name] for spec in REGISTRY.specs() for kind in spec.kinds}
    found = []
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            module = module_name(path)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                    continue
                if node.value in owner and not under(module, owner[node.value]):
                    found.append((module, node.lineno, node.value))
    assert found == []


def test_engine_never_imports_server() -> None:
    assert [m for m, t in GRAPH.items() if under(m, "pykyverno.engine") and any(under(x, "pykyverno.server")
                                                                                 for x in t)] == []


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("pykyverno.server.commands", "pykyverno.server.mcp"),
        ("pykyverno.server.mcp", "pykyverno.server.commands"),
        ("pykyverno.server.core", "pykyverno.server.mcp"),
        ("pykyverno.server.core", "pykyverno.server.commands"),
    ],
)
def test_server_layers(importer: str, imported: str) -> None:
    assert [(m, sorted(x for x in t if under(x, imported))) for m, t in GRAPH.items()
            if under(m, importer) and any(under(x, imported) for x in t)] == []


def test_toolsets_never_import_each_other() -> None:
    toolsets = {m for m in GRAPH if m.startswith("pykyverno.server.mcp.tools.")} - {
        "pykyverno.server.mcp.tools.common", "pykyverno.server.mcp.tools.params"}
    assert [(m, t & toolsets) for m in toolsets if (t := GRAPH[m]) & toolsets] == []


#: Cycles known and left to their owner: the posture analysis and the scan report refer to each other (a scan report
#: carries its posture section; the posture document reads the report's scope).
KNOWN_CYCLES = [{"pykyverno.server.report.posture", "pykyverno.server.scan.model"}]


def test_no_import_cycle() -> None:
    """No module imports itself through others (type-only imports count: they are a design cycle all the same)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in GRAPH.items():
        for target in targets:
            if target != module and not under(module, target):  # a module's own package __init__ is no cycle
                edges[module].add(target)
    seen: dict[str, int] = {}
    cycles: list[set[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(edges[node]):
            if seen.get(nxt) == 1:
                cycles.append(set(trail[trail.index(nxt) :]))
            elif nxt not in seen:
                visit(nxt, [*trail, nxt])
        seen[node] = 2

    for node in sorted(GRAPH):
        if node not in seen:
            visit(node, [node])
    assert [c for c in cycles if c not in KNOWN_CYCLES] == []
