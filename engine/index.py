"""An index from (group, version, resource) to the compiled policies that can match it.

Scans evaluate thousands of objects against dozens of policies; the index narrows each object to the policies whose
resource rules name its type (or a wildcard), so that matching never tries every pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import product
from typing import Any

from .common.kind import CompiledPolicy
from .request import Resource


class PolicyIndex:
    """Compiled policies indexed by the (group, version, plural) keys of their match rules."""

    def __init__(self, policies: Iterable[CompiledPolicy]) -> None:
        self.policies = list(policies)
        self._by_key: dict[tuple[str, str, str], list[CompiledPolicy]] = defaultdict(list)
        self._order = {id(p): i for i, p in enumerate(self.policies)}
        for policy in self.policies:
            for key in policy.index_keys():
                self._by_key[key].append(policy)
        self._cache: dict[tuple[str, str, str], list[CompiledPolicy]] = {}

    def for_type(self, group: str, version: str, plural: str) -> list[CompiledPolicy]:
        """Policies that may match objects of this type, in load order."""
        key = (group, version, plural)
        cached = self._cache.get(key)
        if cached is None:
            seen: dict[int, CompiledPolicy] = {}
            for g, v, r in product((group, "*"), (version, "*"), (plural, "*")):
                for policy in self._by_key.get((g, v, r), ()):
                    seen[id(policy)] = policy
            cached = sorted(seen.values(), key=lambda p: self._order[id(p)])
            self._cache[key] = cached
        return cached

    def candidates(self, obj: dict[str, Any]) -> list[CompiledPolicy]:
        """Policies that may match a plain object."""
        res = Resource.of(obj)
        return self.for_type(res.group, res.version, res.plural)

    def types(self) -> set[tuple[str, str, str]]:
        """Every (group, version, plural) key the policies name (``*`` for wildcards)."""
        return set(self._by_key)
