"""CEL libraries: one module per library, discovered by name.

Each module defines ``LIBRARY`` (a :class:`~pykyverno.engine.cel.decl.Library`) and ``KINDS``, the policy kinds whose
environment includes it (``"*"`` for all). Kind keys: ``vpol``, ``mpol``, ``gpol``, ``dpol``, ``ivpol`` (Kyverno
``policies.kyverno.io`` kinds), ``vap``/``map`` (Kubernetes admission policies), ``cpol`` (``validate.cel`` rules of
ClusterPolicy/Policy), ``match`` (matchImageReferences and similar small environments).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ..decl import Library

ALL_KINDS = frozenset({"vpol", "mpol", "gpol", "dpol", "ivpol", "vap", "map", "cpol"})


@cache
def _modules() -> tuple[tuple[Library, frozenset[str]], ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        library = getattr(module, "LIBRARY", None)
        if not isinstance(library, Library):
            continue
        kinds = frozenset(getattr(module, "KINDS", ("*",)))
        found.append((library, ALL_KINDS if "*" in kinds else kinds))
    return tuple(found)


def libraries_for(kind: str) -> tuple[Library, ...]:
    """The libraries of a policy kind's environment, in a stable order."""
    if kind not in ALL_KINDS:
        raise ValueError(f"unknown policy kind key {kind!r}; expected one of {sorted(ALL_KINDS)}")
    return tuple(library for library, kinds in _modules() if kind in kinds)
