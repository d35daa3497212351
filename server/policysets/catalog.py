"""The bundled policy sets: their manifests (``<set>/set.yaml``), the policy files of each set, and loading a set.

Each set is a folder next to this module holding one policy per YAML file and a ``set.yaml`` manifest::

    name: pod-security-restricted
    description: ...
    experimental: false
    includes: [pod-security-baseline]

``includes`` names other sets whose policies come with this one (resolved recursively, each file once), so that
``pod-security-restricted`` checks the whole Restricted profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pykyverno.engine.loader import PolicySet, load_policies
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

    def own_files(self) -> list[Path]:
        """The policy files of this set itself (without included sets), sorted by name."""
        return sorted(p for p in self.folder.glob("*.yaml") if p.name != MANIFEST_NAME)

    def to_dict(self) -> dict[str, Any]:
        """A plain summary (name, description, flags, includes and policy counts)."""
        return {
            "name": self.name,
            "description": self.description,
            "experimental": self.experimental,
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


def load_set(name: str) -> PolicySet:
    """Load and compile a set with its includes (autogen variants included; see ``PolicySet.unsupported``)."""
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
