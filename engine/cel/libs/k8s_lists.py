"""Kubernetes' CEL list library (k8s.io/apiserver/pkg/cel/library/lists.go).

``<list>.isSorted()``, ``<list>.sum()``, ``<list>.min()``, ``<list>.max()``, ``<list>.indexOf(x)`` and
``<list>.lastIndexOf(x)``. The string forms of ``indexOf``/``lastIndexOf`` stay those of the strings extension.

Differences from Kubernetes, all due to the runtime declaring these on ``list(dyn)``:
* ``[].sum()`` is ``0`` (an int) whatever the declared element type; Kubernetes returns the element type's zero.
* uint elements arrive as Python ints, so ``[1u, 2u].sum()`` is the int ``3``.
* mixing ints and doubles in ``sum`` is an error, as in cel-go (``Int.Add(Double)`` has no overload).
* ``sum``/``min``/``max`` cannot *return* a duration or timestamp (cel-expr-python 0.1.3 refuses those as Python
  results), so they are errors on such lists; ``l.sort()[0]`` gives the minimum and ``isSorted``/``indexOf`` work.
"""

from __future__ import annotations

import datetime
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._k8s_types import cel_equals, cel_errors, cel_less, is_number, no_overload


@cel_errors("isSorted")
def is_sorted(items: list[Any]) -> bool:
    """True if every element is ``<=`` its successor (CEL ordering)."""
    return all(not cel_less(items[i + 1], items[i], "isSorted") for i in range(len(items) - 1))


def _unsupported_result(name: str) -> CelFunctionError:
    return CelFunctionError(f"{name} of durations or timestamps is not supported by this runtime (use sort())")


@cel_errors("sum")
def list_sum(items: list[Any]) -> Any:
    """Sum of a list of ints or of doubles; ``0`` for an empty list."""
    if not items:
        return 0
    first = items[0]
    if is_number(first):
        kind = type(first)
        if not all(is_number(item) and type(item) is kind for item in items):
            raise no_overload("sum", items)
        return sum(items)
    if isinstance(first, datetime.timedelta):
        raise _unsupported_result("sum")
    raise no_overload("sum", items)


def _extreme(items: list[Any], name: str, prefer_left: bool) -> Any:
    if not items:
        raise CelFunctionError(f"{name} called on empty list")
    if isinstance(items[0], datetime.timedelta | datetime.datetime):
        raise _unsupported_result(name)
    best = items[0]
    for item in items[1:]:
        better = cel_less(item, best, name) if prefer_left else cel_less(best, item, name)
        if better:
            best = item
    return best


@cel_errors("min")
def list_min(items: list[Any]) -> Any:
    """The smallest element; an error on an empty list."""
    return _extreme(items, "min", prefer_left=True)


@cel_errors("max")
def list_max(items: list[Any]) -> Any:
    """The largest element; an error on an empty list."""
    return _extreme(items, "max", prefer_left=False)


def index_of(items: list[Any], wanted: Any) -> int:
    """Index of the first element equal to ``wanted`` (CEL equality), or -1."""
    return next((i for i, item in enumerate(items) if cel_equals(item, wanted)), -1)


def last_index_of(items: list[Any], wanted: Any) -> int:
    """Index of the last element equal to ``wanted`` (CEL equality), or -1."""
    return next((i for i in range(len(items) - 1, -1, -1) if cel_equals(items[i], wanted)), -1)


LIBRARY = Library(
    "k8s_lists",
    (
        function("isSorted", overload("k8s_list_isSorted", ("list",), "bool", is_sorted, member=True)),
        function("sum", overload("k8s_list_sum", ("list",), "dyn", list_sum, member=True)),
        function("min", overload("k8s_list_min", ("list",), "dyn", list_min, member=True)),
        function("max", overload("k8s_list_max", ("list",), "dyn", list_max, member=True)),
        function("indexOf", overload("k8s_list_indexOf", ("list", "dyn"), "int", index_of, member=True)),
        function("lastIndexOf", overload("k8s_list_lastIndexOf", ("list", "dyn"), "int", last_index_of, member=True)),
    ),
)
