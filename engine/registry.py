"""The kind registry: every policy kind the engine knows, one line each.

Each kind package declares its :class:`~pykyverno.engine.common.kind.KindSpec` once (``SPEC``); the loader hands a
kind's documents to its spec, and every other place that differs by kind (report sources, ``apply``'s mutation
order, scans, ``kyverno test`` flags, ``describe``, ``lint``) reads the specs from here. Adding a kind means adding its
package and one line to :data:`REGISTRY`; :meth:`KindRegistry.added` plugs one in for a while (tests, extensions).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .common.kind import KindSpec
from .cpol import SPEC as CLUSTER_POLICY
from .dpol import SPEC as DELETING_POLICY
from .gpol import SPEC as GENERATING_POLICY
from .ivpol import SPEC as IMAGE_VALIDATING_POLICY
from .map import SPEC as MUTATING_ADMISSION_POLICY
from .mpol import SPEC as MUTATING_POLICY
from .results import REPORT_SOURCES
from .vap import SPEC as VALIDATING_ADMISSION_POLICY
from .vpol import SPEC as VALIDATING_POLICY


class KindRegistry:
    """Kind specs by document kind."""

    def __init__(self, specs: Iterable[KindSpec]) -> None:
        self._specs: list[KindSpec] = []
        self._by_kind: dict[str, KindSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: KindSpec) -> None:
        """Add a kind; :class:`ValueError` when one of its document kinds is taken."""
        taken = [kind for kind in spec.kinds if kind in self._by_kind]
        if taken:
            raise ValueError(f"kind(s) {', '.join(taken)} already registered")
        self._specs.append(spec)
        self._by_kind.update(dict.fromkeys(spec.kinds, spec))
        REPORT_SOURCES.update(dict.fromkeys(spec.kinds, spec.report_source))

    def unregister(self, spec: KindSpec) -> None:
        """Remove a kind added with :meth:`register`."""
        self._specs = [s for s in self._specs if s is not spec]
        self._by_kind = {kind: s for kind, s in self._by_kind.items() if s is not spec}
        for kind in spec.kinds:
            REPORT_SOURCES.pop(kind, None)

    @contextmanager
    def added(self, spec: KindSpec) -> Iterator[KindSpec]:
        """The registry with ``spec`` added for the duration of the block."""
        self.register(spec)
        try:
            yield spec
        finally:
            self.unregister(spec)

    def specs(self) -> tuple[KindSpec, ...]:
        """Every registered kind, in registration order."""
        return tuple(self._specs)

    def for_kind(self, kind: str) -> KindSpec | None:
        """The spec that loads documents of ``kind`` (policies and bindings), or None."""
        return self._by_kind.get(kind)

    def names(self) -> list[str]:
        """The policy kind names (``ValidatingPolicy``...), as reports and Test files use them."""
        return [spec.name for spec in self._specs]


REGISTRY = KindRegistry(
    [
        VALIDATING_POLICY,
        IMAGE_VALIDATING_POLICY,
        MUTATING_POLICY,
        GENERATING_POLICY,
        DELETING_POLICY,
        VALIDATING_ADMISSION_POLICY,
        MUTATING_ADMISSION_POLICY,
        CLUSTER_POLICY,
    ]
)
