"""Declarations of CEL library functions, independent of the CEL runtime.

A library module under ``engine/cel/libs/`` describes its functions with these small frozen records; the adapter in
``engine/cel/runtime.py`` turns them into the runtime's declarations. Types are written as short names:
``dyn``, ``bool``, ``int``, ``uint``, ``double``, ``string``, ``bytes``, ``null``, ``timestamp``, ``duration``,
``list`` (list of dyn), ``map`` (map of dyn to dyn).

Implementations receive plain Python values (dict, list, str, int, float, bool, bytes, datetime, timedelta, None)
and return plain Python values. Raising :class:`CelFunctionError` (or any ``ValueError``) inside an implementation
becomes a CEL error value, which ``||`` and ``&&`` may absorb exactly as in Kubernetes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TYPE_NAMES = frozenset(
    {"dyn", "bool", "int", "uint", "double", "string", "bytes", "null", "timestamp", "duration", "list", "map"}
)


class CelFunctionError(ValueError):
    """Raised by a library implementation to produce a CEL error value with this message."""


@dataclass(frozen=True)
class Overload:
    """One typed signature of a CEL function.

    ``id`` must be unique across the whole environment. ``member`` marks receiver-style calls
    (``x.f(y)``): the receiver is then the first element of ``params``.
    """

    id: str
    params: tuple[str, ...]
    result: str
    impl: Callable[..., Any]
    member: bool = False

    def __post_init__(self) -> None:
        for name in (*self.params, self.result):
            if name not in TYPE_NAMES:
                raise ValueError(f"overload {self.id}: unknown CEL type name {name!r}")


@dataclass(frozen=True)
class Function:
    """A CEL function name (possibly dotted, e.g. ``json.unmarshal``) with its overloads."""

    name: str
    overloads: tuple[Overload, ...]


@dataclass(frozen=True)
class Library:
    """A named set of functions, plus global variables (with their values) the library binds."""

    name: str
    functions: tuple[Function, ...]
    variables: dict[str, Any] = field(default_factory=dict)


def function(name: str, *overloads: Overload) -> Function:
    """Shorthand for :class:`Function` with the overloads given positionally."""
    return Function(name, tuple(overloads))


def overload(
    id: str, params: tuple[str, ...] | list[str], result: str, impl: Callable[..., Any], *, member: bool = False
) -> Overload:
    """Shorthand for :class:`Overload`."""
    return Overload(id, tuple(params), result, impl, member)
