"""Imported once by the sandbox's forkserver (see :mod:`.sandbox`): loads the engine and builds the CEL environment
of every policy kind, so that a freshly forked worker evaluates its first policy without that start-up cost."""

from __future__ import annotations

from pykyverno.engine import loader  # noqa: F401  (imported for its side effect: the engine is loaded)
from pykyverno.engine.cel import environment_for
from pykyverno.engine.cel.libs import ALL_KINDS

for _kind in sorted(ALL_KINDS):
    environment_for(_kind)
