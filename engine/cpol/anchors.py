"""Anchors in kyverno.io/v1 patterns and strategic-merge overlays (Kyverno's ``pkg/engine/anchor``).

An anchor is a map key written ``<modifier>(<key>)``: ``(key)`` condition, ``<(key)`` global condition, ``=(key)``
equality, ``^(key)`` existence, ``X(key)`` negation, ``+(key)`` add-if-not-present. Surrounding spaces are ignored;
anything else is a plain key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CONDITION = ""
GLOBAL = "<"
EQUALITY = "="
EXISTENCE = "^"
NEGATION = "X"
ADD_IF_NOT_PRESENT = "+"

_ANCHOR = re.compile(r"^([+<=X^])?\((.+)\)$", re.S)


@dataclass(frozen=True)
class Anchor:
    """A parsed anchor key: its ``modifier`` (``""`` for a condition) and the resource ``key`` it names."""

    modifier: str
    key: str

    def __str__(self) -> str:
        return f"{self.modifier}({self.key})"

    @property
    def is_condition(self) -> bool:
        """``(key)``."""
        return self.modifier == CONDITION

    @property
    def is_global(self) -> bool:
        """``<(key)``."""
        return self.modifier == GLOBAL

    @property
    def is_equality(self) -> bool:
        """``=(key)``."""
        return self.modifier == EQUALITY

    @property
    def is_existence(self) -> bool:
        """``^(key)``."""
        return self.modifier == EXISTENCE

    @property
    def is_negation(self) -> bool:
        """``X(key)``."""
        return self.modifier == NEGATION

    @property
    def is_add_if_not_present(self) -> bool:
        """``+(key)``."""
        return self.modifier == ADD_IF_NOT_PRESENT

    @property
    def is_conditional(self) -> bool:
        """A condition or a global condition (Kyverno's ``ContainsCondition``)."""
        return self.modifier in (CONDITION, GLOBAL)

    @property
    def is_validate_anchor(self) -> bool:
        """Handled in the first (anchor) phase of a validate map: condition, existence, equality, negation."""
        return self.modifier in (CONDITION, EXISTENCE, EQUALITY, NEGATION)


def parse_anchor(key: Any) -> Anchor | None:
    """The anchor written as ``key``, or None for a plain key."""
    if not isinstance(key, str) or "(" not in key:
        return None
    return _parse(key)


@lru_cache(maxsize=4096)
def _parse(key: str) -> Anchor | None:
    match = _ANCHOR.match(key.strip())
    if match is None:
        return None
    return Anchor(match.group(1) or CONDITION, match.group(2))


def remove_anchor(key: str) -> str:
    """The resource key an (anchored or plain) pattern key names."""
    anchor = parse_anchor(key)
    return anchor.key if anchor is not None else key


def with_key(anchor: Anchor | None, key: str) -> str:
    """``key`` written with the same anchor (a plain key when ``anchor`` is None)."""
    return key if anchor is None else str(Anchor(anchor.modifier, key))


def remove_anchors_from_path(path: str) -> str:
    """A ``/``-separated path with the anchor of every segment removed (``/spec/=(a)/b`` -> ``/spec/a/b``)."""
    return "/".join(remove_anchor(segment) if segment else segment for segment in path.split("/"))


def has_anchors(value: Any, *, kinds: tuple[str, ...] | None = None) -> bool:
    """Whether some map key anywhere in ``value`` is an anchor (of one of the ``kinds`` modifiers, if given)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            anchor = parse_anchor(key)
            if anchor is not None and (kinds is None or anchor.modifier in kinds):
                return True
            if has_anchors(item, kinds=kinds):
                return True
        return False
    if isinstance(value, list):
        return any(has_anchors(item, kinds=kinds) for item in value)
    return False
