"""Imported once by the sandbox's forkserver (see :mod:`.sandbox`): loads the engine and the core functions the tools
run isolated, and builds the CEL environment of every policy kind, so that a freshly forked worker evaluates its first
policy without that start-up cost."""

from __future__ import annotations

from pykyverno.engine import loader  # noqa: F401  (imported for its side effect: the engine is loaded)
from pykyverno.engine.cel import environment_for
from pykyverno.engine.registry import REGISTRY

# what the MCP tools run isolated (agent-supplied policies: evaluate, explain, lint)
from . import core  # noqa: F401
from .core import evaluate, explain, isolation, lint  # noqa: F401

for _spec in REGISTRY.specs():
    environment_for(_spec.cel)
