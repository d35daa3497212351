"""``$(path)`` references inside kyverno.io/v1 patterns (Kyverno's ``substituteReferences``).

A string leaf of a pattern may refer to another leaf of the same pattern: ``$(./../../limits/memory)`` names a
path relative to the leaf itself (``path.Join(leafPath, ref)``), ``$(/spec/x)`` an absolute one; anchors in the
pattern's keys are ignored when paths are compared. An operator written before the reference stays in front of the
value (``"<=$(../limits/memory)"`` becomes ``"<=512Mi"``), and one written inside (``$(<=../x)``) is put in front of
the value's text. A string value is spliced into the leaf; any other value replaces the leaf. ``\\$(`` escapes.
Kyverno resolves references before ``{{ }}`` variables.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .anchors import remove_anchors_from_path
from .gotext import type_name
from .operators import EQUAL, operator_of

_REFERENCE = re.compile(r"^\$\(.[^ ]*\)|[^\\]\$\(.[^ ]*\)")
_ESCAPED = re.compile(r"\\\$\(")


class PatternReferenceError(ValueError):
    """A reference cannot be resolved; the message names the reference and the leaf holding it."""


def resolve_references(document: Any) -> Any:
    """``document`` (a pattern, or an anyPattern list) with every ``$(...)`` reference resolved (a new value when
    it has references; the same value otherwise)."""
    if not _mentions_reference(document):
        return document
    leaves = dict(_leaves(document, ""))
    return _substitute(document, "", document, leaves)


def _mentions_reference(value: Any) -> bool:
    if isinstance(value, str):
        return "$(" in value
    if isinstance(value, Mapping):
        return any(_mentions_reference(item) for item in value.values())
    if isinstance(value, list):
        return any(_mentions_reference(item) for item in value)
    return False


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}/{index}")
    else:
        yield remove_anchors_from_path(path), value


def _substitute(value: Any, path: str, document: Any, leaves: dict[str, Any]) -> Any:
    if isinstance(value, Mapping):
        return {key: _substitute(item, f"{path}/{key}", document, leaves) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, f"{path}/{index}", document, leaves) for index, item in enumerate(value)]
    if not isinstance(value, str):
        return value
    text = value
    for found in _REFERENCE.findall(value):
        initial = found.startswith("$(")
        reference = found if initial else found[1:]
        resolved = _resolve(reference, path, leaves)
        if not isinstance(resolved, str):
            return resolved
        text = text.replace(found, ("" if initial else found[0]) + resolved, 1)
    return _ESCAPED.sub("$(", text)


def _resolve(reference: str, leaf_path: str, leaves: dict[str, Any]) -> Any:
    target = reference.strip("$()")
    op = operator_of(target)
    target = target[len(op):]
    if not target:
        message = "expected path, found empty reference"
        raise PatternReferenceError(f"failed to resolve {reference} at path {leaf_path}: {message}")
    absolute = target if target.startswith("/") else posixpath.normpath(posixpath.join(leaf_path or "/", target))
    value = leaves.get(absolute)
    if op == EQUAL:
        return value
    if isinstance(value, str):
        return op + value
    if isinstance(value, bool) or value is None or not isinstance(value, int | float):
        message = f"reference value type {type_name(value)} cannot be converted to string with operator {op}"
        raise PatternReferenceError(f"failed to resolve {reference} at path {leaf_path}: {message}")
    return op + (str(value) if isinstance(value, int) else f"{value:.6f}")
