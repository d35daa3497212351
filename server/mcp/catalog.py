"""The policies the MCP server knows: the bundled sets plus the policies loaded from ``--policy`` paths.

Sets are compiled on first use (startup stays fast) and cached per combination of set names, under a lock, because
tools run in worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.loader import CompiledPolicy, PolicySet, load_policies
from pykyverno.engine.reader import load_yaml_all

from ..policysets import available_sets, describe_document, get_set, policy_locations, resolve_sets
from ..policysets.describe import REMEDIATION
from .errors import ToolInputError

#: Set name under which policies from ``--policy`` paths appear.
CONFIGURED_SET = "configured"
#: Bundled sets scanned when no set is named and no ``--policy`` path is configured (as ``pykyverno scan``).
DEFAULT_SETS = ("pod-security-baseline", "pod-security-restricted", "best-practices", "rbac-best-practices")


@dataclass(frozen=True)
class SetEntry:
    """One policy set as shown to agents."""

    name: str
    description: str
    source: str  # "bundled" or "paths"
    experimental: bool
    default: bool
    policies: tuple[str, ...]
    includes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyEntry:
    """One policy: its document, where it comes from and its compiled variants (empty when it does not load)."""

    name: str
    set_name: str
    document: dict[str, Any]
    path: str
    compiled: tuple[CompiledPolicy, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def remediation(self) -> str:
        """The ``pykyverno.io/remediation`` annotation, whitespace folded."""
        annotations = (self.document.get("metadata") or {}).get("annotations") or {}
        return " ".join(str(annotations.get(REMEDIATION) or "").split())


@dataclass
class PolicyCatalog:
    """Bundled sets and configured paths, compiled lazily."""

    paths: tuple[str, ...] = ()
    _cache: dict[tuple[str, ...], PolicySet] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        missing = [p for p in self.paths if not Path(p).exists()]
        if missing:
            raise ValueError(f"policy path(s) not found: {', '.join(missing)}")

    # ------------------------------------------------------------------ sets
    def default_sets(self) -> list[str]:
        """The sets a scan uses when none is named."""
        return [CONFIGURED_SET] if self.paths else list(DEFAULT_SETS)

    def _configured_names(self) -> list[str]:
        return self.load([CONFIGURED_SET]).names() if self.paths else []

    def sets(self) -> list[SetEntry]:
        """Every set: bundled ones in name order, then the configured paths."""
        defaults = set(self.default_sets())
        locations = policy_locations()
        by_path: dict[Path, list[str]] = {}
        for loc in locations.values():
            by_path.setdefault(loc.path, []).append(loc.name)
        out = []
        for name, info in available_sets().items():
            names = [n for file in resolve_sets([name]) for n in by_path.get(file, [])]
            out.append(SetEntry(name, info.description, "bundled", info.experimental, name in defaults,
                                tuple(names), info.includes))
        if self.paths:
            out.append(SetEntry(CONFIGURED_SET, "Policies from the server's --policy paths: " + ", ".join(self.paths),
                                "paths", False, True, tuple(self._configured_names())))
        return out

    def set_names(self) -> list[str]:
        """Names of every set."""
        return [*available_sets(), *([CONFIGURED_SET] if self.paths else [])]

    def check_sets(self, names: Sequence[str]) -> list[str]:
        """The names, deduplicated; unknown ones raise :class:`ToolInputError` listing the available sets."""
        known = self.set_names()
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ToolInputError(
                f"unknown policy set(s): {', '.join(unknown)}. Available sets: {', '.join(known)}. "
                "Call list_policy_sets for descriptions, or omit policy_sets to use the defaults."
            )
        return list(dict.fromkeys(names))

    def load(self, names: Sequence[str] | None = None) -> PolicySet:
        """The compiled policies of the named sets (the defaults when None or empty)."""
        chosen = tuple(self.check_sets(list(names or self.default_sets())))
        with self._lock:
            cached = self._cache.get(chosen)
            if cached is not None:
                return cached
            bundled = [n for n in chosen if n != CONFIGURED_SET]
            loaded = PolicySet()
            if bundled:
                loaded.extend(load_policies(resolve_sets(bundled)))
            if CONFIGURED_SET in chosen:
                loaded.extend(load_policies(self.paths))
            self._cache[chosen] = loaded
            return loaded

    def everything(self) -> PolicySet:
        """Every bundled and configured policy."""
        return self.load(self.set_names())

    # --------------------------------------------------------------- policies
    def policy(self, name: str) -> PolicyEntry:
        """One policy by name (``ns/name`` for namespaced policies from paths).

        :raises ToolInputError: when no set has it (the message lists a few close names).
        """
        if self.paths:
            configured = self.load([CONFIGURED_SET])
            if name in configured.sources:
                return self._entry(name, CONFIGURED_SET, configured.sources[name], ", ".join(self.paths), configured)
        locations = policy_locations()
        loc = locations.get(name)
        if loc is None:
            names = sorted({*locations, *self._configured_names()})
            close = [n for n in names if name.lower() in n.lower() or n.lower() in name.lower()][:8]
            hint = f" Similar names: {', '.join(close)}." if close else ""
            raise ToolInputError(
                f"unknown policy {name!r}.{hint} Call list_policy_sets to see every policy name, or pass the "
                "policy YAML itself (policy_yaml) to evaluate a policy that is not loaded."
            )
        document = self.document(loc.path, name)
        compiled = self.load([loc.set_name])
        return self._entry(name, loc.set_name, document, str(loc.path), compiled)

    @staticmethod
    def document(path: Path, name: str) -> dict[str, Any]:
        """The YAML document of the policy ``name`` in ``path``."""
        for doc in load_yaml_all(path.read_text(encoding="utf-8"), str(path)):
            if isinstance(doc, dict) and (doc.get("metadata") or {}).get("name") == name:
                return doc
        raise ToolInputError(f"policy {name!r} is no longer in {path.name}; call list_policy_sets again")

    @staticmethod
    def _entry(name: str, set_name: str, document: dict[str, Any], path: str, loaded: PolicySet) -> PolicyEntry:
        compiled = tuple(p for p in loaded.policies if p.name == name)
        problems = tuple(str(i) for i in loaded.issues if i.name == name.rsplit("/", 1)[-1])
        return PolicyEntry(name, set_name, document, path, compiled, problems)

    def describe(self, name: str) -> dict[str, Any]:
        """The policy in words (see :func:`pykyverno.server.policysets.describe_document`)."""
        entry = self.policy(name)
        return describe_document(entry.document, entry.set_name, entry.path).to_dict()

    def set_yaml(self, name: str) -> str:
        """Every policy of a set as one multi-document YAML stream."""
        self.check_sets([name])
        if name == CONFIGURED_SET:
            docs = list(self.load([CONFIGURED_SET]).sources.values())
            return yaml.safe_dump_all(docs, sort_keys=False)
        info = get_set(name)
        files = resolve_sets([info.name])
        return "---\n".join(f.read_text(encoding="utf-8").strip() + "\n" for f in files)

    def policy_yaml(self, name: str) -> str:
        """One policy as YAML."""
        return yaml.safe_dump(self.policy(name).document, sort_keys=False)
