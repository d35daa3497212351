"""The one policy-set catalogue: the bundled sets (manifests ``<set>/set.yaml``, one policy per YAML file) and, for
the MCP server, the policies of ``--policy`` paths as the ``configured`` set; loading and compiling them.

Each bundled set is a folder next to this module with a ``set.yaml`` manifest::

    name: pod-security-restricted
    description: ...
    experimental: false
    default: true
    includes: [pod-security-baseline]

``includes`` names other sets whose policies come with this one (resolved recursively, each file once), so that
``pod-security-restricted`` checks the whole Restricted profile; ``default`` marks the sets scans use when no set is
named (the CLI's ``scan`` and the MCP scan tools alike).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.common.kind import CompiledPolicy
from pykyverno.engine.loader import load_policies
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.reader import load_yaml, load_yaml_all

#: The folder holding the bundled sets.
SETS_ROOT = Path(__file__).resolve().parent
MANIFEST_NAME = "set.yaml"


class PolicySetError(LookupError):
    """A set or policy name that is not bundled, or a broken set manifest."""


@dataclass(frozen=True)
class PolicySetInfo:
    """One bundled set as its manifest describes it."""

    name: str
    description: str
    experimental: bool
    includes: tuple[str, ...]
    folder: Path
    default: bool = False

    def own_files(self) -> list[Path]:
        """The policy files of this set itself (without included sets), sorted by name."""
        return sorted(p for p in self.folder.glob("*.yaml") if p.name != MANIFEST_NAME)

    def to_dict(self) -> dict[str, Any]:
        """A plain summary (name, description, flags, includes and policy counts)."""
        return {
            "name": self.name,
            "description": self.description,
            "experimental": self.experimental,
            "default": self.default,
            "includes": list(self.includes),
            "policies": len(self.own_files()),
            "policiesWithIncludes": len(resolve_set(self.name)),
        }


def _read_manifest(folder: Path) -> PolicySetInfo:
    data = load_yaml((folder / MANIFEST_NAME).read_text(encoding="utf-8"), str(folder / MANIFEST_NAME)) or {}
    if not isinstance(data, dict):
        raise PolicySetError(f"{folder / MANIFEST_NAME}: expected a mapping")
    includes = data.get("includes") or []
    if not isinstance(includes, list):
        raise PolicySetError(f"{folder / MANIFEST_NAME}: includes must be a list of set names")
    return PolicySetInfo(
        name=str(data.get("name") or folder.name),
        description=" ".join(str(data.get("description") or "").split()),
        experimental=bool(data.get("experimental", False)),
        includes=tuple(str(i) for i in includes),
        folder=folder,
        default=bool(data.get("default", False)),
    )


@cache
def _sets(root: Path) -> dict[str, PolicySetInfo]:
    found: dict[str, PolicySetInfo] = {}
    for folder in sorted(p for p in root.iterdir() if (p / MANIFEST_NAME).is_file()):
        info = _read_manifest(folder)
        found[info.name] = info
    return found


def available_sets(root: Path = SETS_ROOT) -> dict[str, PolicySetInfo]:
    """Every bundled set by name, in name order."""
    return dict(_sets(root))


def set_names() -> list[str]:
    """The names of the bundled sets."""
    return list(available_sets())


def get_set(name: str) -> PolicySetInfo:
    """The set called ``name``; :class:`PolicySetError` lists the available sets when there is none."""
    sets = available_sets()
    if name not in sets:
        raise PolicySetError(f"unknown policy set {name!r}; available sets: {', '.join(sets)}")
    return sets[name]


def resolve_set(name: str) -> list[Path]:
    """The policy files of a set and of the sets it includes (included sets first, each file once)."""
    files: dict[Path, None] = {}

    def visit(set_name: str, trail: tuple[str, ...]) -> None:
        if set_name in trail:
            raise PolicySetError(f"policy set includes form a cycle: {' -> '.join((*trail, set_name))}")
        info = get_set(set_name)
        for included in info.includes:
            visit(included, (*trail, set_name))
        for file in info.own_files():
            files.setdefault(file, None)

    visit(name, ())
    return list(files)


def resolve_sets(names: Iterable[str]) -> list[Path]:
    """The policy files of several sets, each file once, in the order the sets are given."""
    files: dict[Path, None] = {}
    for name in names:
        for file in resolve_set(name):
            files.setdefault(file, None)
    return list(files)


def default_sets() -> list[str]:
    """The bundled sets marked ``default: true``: what scans check when no set is named."""
    return [name for name, info in available_sets().items() if info.default]


def load_set(name: str) -> PolicySet:
    """Load and compile a set with its includes (autogen variants included)."""
    return load_policies(resolve_set(name))


def load_sets(names: Iterable[str]) -> PolicySet:
    """Load several sets into one :class:`PolicySet`."""
    return load_policies(resolve_sets(names))


@dataclass(frozen=True)
class PolicyLocation:
    """Where a bundled policy lives."""

    name: str
    set_name: str
    path: Path


@cache
def _policy_locations(root: Path) -> dict[str, PolicyLocation]:
    out: dict[str, PolicyLocation] = {}
    for info in _sets(root).values():
        for file in info.own_files():
            for doc in load_yaml_all(file.read_text(encoding="utf-8"), str(file)):
                if isinstance(doc, dict):
                    name = str((doc.get("metadata") or {}).get("name") or file.stem)
                    out.setdefault(name, PolicyLocation(name, info.name, file))
    return out


def policy_locations(root: Path = SETS_ROOT) -> dict[str, PolicyLocation]:
    """Every bundled policy by name."""
    return dict(_policy_locations(root))


def find_policy(name: str) -> PolicyLocation:
    """The bundled policy called ``name``; :class:`PolicySetError` when it is not bundled."""
    locations = policy_locations()
    if name not in locations:
        raise PolicySetError(
            f"unknown policy {name!r}; run 'pykyverno policies list <set>' to see the policies of a set "
            f"(sets: {', '.join(set_names())})"
        )
    return locations[name]


def _close_names(name: str, names: Iterable[str]) -> list[str]:
    return [n for n in sorted(set(names)) if name.lower() in n.lower() or n.lower() in name.lower()][:8]


#: Set name under which policies from configured paths (``pykyverno serve --policy``) appear.
CONFIGURED_SET = "configured"


@dataclass(frozen=True)
class SetEntry:
    """One policy set as shown to users and agents."""

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


@dataclass
class PolicyCatalog:
    """The bundled sets plus configured policy paths, compiled on first use and cached per combination of set names
    (under a lock: MCP tools run in worker threads)."""

    paths: tuple[str, ...] = ()
    _cache: dict[tuple[str, ...], PolicySet] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        missing = [p for p in self.paths if not Path(p).exists()]
        if missing:
            raise ValueError(f"policy path(s) not found: {', '.join(missing)}")

    def default_sets(self) -> list[str]:
        """The sets a scan uses when none is named: the configured paths when there are any, else the bundled
        defaults."""
        return [CONFIGURED_SET] if self.paths else default_sets()

    def set_names(self) -> list[str]:
        """Names of every set."""
        return [*available_sets(), *([CONFIGURED_SET] if self.paths else [])]

    def sets(self) -> list[SetEntry]:
        """Every set: bundled ones in name order, then the configured paths."""
        defaults = set(self.default_sets())
        by_path: dict[Path, list[str]] = {}
        for loc in policy_locations().values():
            by_path.setdefault(loc.path, []).append(loc.name)
        out = []
        for name, info in available_sets().items():
            names = [n for file in resolve_sets([name]) for n in by_path.get(file, [])]
            out.append(SetEntry(name, info.description, "bundled", info.experimental, name in defaults,
                                tuple(names), info.includes))
        if self.paths:
            configured = tuple(self.load([CONFIGURED_SET]).names())
            description = "Policies from the server's --policy paths: " + ", ".join(self.paths)
            out.append(SetEntry(CONFIGURED_SET, description, "paths", False, True, configured))
        return out

    def check_sets(self, names: Sequence[str]) -> list[str]:
        """The names, deduplicated; :class:`PolicySetError` names the unknown ones and lists the available sets."""
        known = self.set_names()
        unknown = [n for n in names if n not in known]
        if unknown:
            raise PolicySetError(f"unknown policy set(s): {', '.join(unknown)}; available sets: {', '.join(known)}")
        return list(dict.fromkeys(names))

    def load(self, names: Sequence[str] | None = None) -> PolicySet:
        """The compiled policies of the named sets (the defaults when None or empty)."""
        chosen = tuple(self.check_sets(list(names or self.default_sets())))
        with self._lock:
            cached = self._cache.get(chosen)
            if cached is None:
                bundled = [n for n in chosen if n != CONFIGURED_SET]
                cached = load_sets(bundled) if bundled else PolicySet()
                if CONFIGURED_SET in chosen:
                    cached.extend(load_policies(self.paths))
                self._cache[chosen] = cached
            return cached

    def policy(self, name: str) -> PolicyEntry:
        """One policy by name (``ns/name`` for namespaced policies from paths); :class:`PolicySetError` listing a few
        close names when no set has it."""
        if self.paths:
            configured = self.load([CONFIGURED_SET])
            if name in configured.sources:
                return self._entry(name, CONFIGURED_SET, configured.sources[name], ", ".join(self.paths), configured)
        locations = policy_locations()
        loc = locations.get(name)
        if loc is None:
            configured_names = self.load([CONFIGURED_SET]).names() if self.paths else []
            close = _close_names(name, [*locations, *configured_names])
            hint = f"; similar names: {', '.join(close)}" if close else ""
            raise PolicySetError(f"unknown policy {name!r}{hint}")
        document = policy_document(loc.path, name)
        return self._entry(name, loc.set_name, document, str(loc.path), self.load([loc.set_name]))

    @staticmethod
    def _entry(name: str, set_name: str, document: dict[str, Any], path: str, loaded: PolicySet) -> PolicyEntry:
        compiled = tuple(p for p in loaded.policies if p.name == name)
        problems = tuple(str(i) for i in loaded.issues if i.name == name.rsplit("/", 1)[-1])
        return PolicyEntry(name, set_name, document, path, compiled, problems)

    def set_yaml(self, name: str) -> str:
        """Every policy of a set as one multi-document YAML stream."""
        self.check_sets([name])
        if name == CONFIGURED_SET:
            return yaml.safe_dump_all(list(self.load([CONFIGURED_SET]).sources.values()), sort_keys=False)
        return "---\n".join(f.read_text(encoding="utf-8").strip() + "\n" for f in resolve_set(name))

    def policy_yaml(self, name: str) -> str:
        """One policy as YAML."""
        return yaml.safe_dump(self.policy(name).document, sort_keys=False)


def policy_document(path: Path, name: str) -> dict[str, Any]:
    """The YAML document of the policy ``name`` in ``path`` (:class:`PolicySetError` when it is no longer there)."""
    for doc in load_yaml_all(path.read_text(encoding="utf-8"), str(path)):
        if isinstance(doc, dict) and (doc.get("metadata") or {}).get("name") == name:
            return doc
    raise PolicySetError(f"policy {name!r} is no longer in {path.name}")
