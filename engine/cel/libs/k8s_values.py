"""Functions shared by several Kubernetes value types, declared once (the runtime refuses two overloads with the
same signature, and every tagged value is a ``map`` to the type checker).

* ``<Quantity|Semver>.compareTo(other)`` -> -1/0/1, ``isGreaterThan(other)``, ``isLessThan(other)``: both sides
  must be the same type, as in Kubernetes.
* ``string(<IP|CIDR>)``: the canonical text, as Kubernetes' IP and CIDR types convert to string.

Kubernetes defines no ``<``/``>`` on these types (only the methods), nor does this library. cel-go's ``sort()``
cannot be extended to them here either (a ``sort(list)`` overload collides with the native one); sort with
``sortBy``, e.g. ``qs.sortBy(q, q.asApproximateFloat())`` or ``vs.sortBy(v, [v.major(), v.minor(), v.patch()])``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..decl import Library, function, overload
from . import k8s_ip, k8s_quantity, k8s_semver
from ._k8s_types import CIDR, IP, QUANTITY, SEMVER, no_overload, type_of

_COMPARATORS: dict[str, Callable[[Any, Any], int]] = {
    QUANTITY: k8s_quantity.compare,
    SEMVER: k8s_semver.compare,
}
_STRINGERS: dict[str, Callable[[Any], str]] = {
    IP: k8s_ip.ip_string,
    CIDR: k8s_ip.cidr_string,
}


def compare_to(left: Any, right: Any, function_name: str = "compareTo") -> int:
    """``<T>.compareTo(<T>)`` for Quantity and Semver: -1, 0 or 1."""
    kind = type_of(left)
    comparator = _COMPARATORS.get(kind or "")
    if comparator is None or type_of(right) != kind:
        raise no_overload(function_name, left, right)
    return comparator(left, right)


def is_greater_than(left: Any, right: Any) -> bool:
    """``<T>.isGreaterThan(<T>)``."""
    return compare_to(left, right, "isGreaterThan") > 0


def is_less_than(left: Any, right: Any) -> bool:
    """``<T>.isLessThan(<T>)``."""
    return compare_to(left, right, "isLessThan") < 0


def to_string(value: Any) -> str:
    """``string(<IP|CIDR>)``."""
    stringer = _STRINGERS.get(type_of(value) or "")
    if stringer is None:
        raise no_overload("string", value)
    return stringer(value)


LIBRARY = Library(
    "k8s_values",
    (
        function("compareTo", overload("k8s_value_compareTo", ("map", "map"), "int", compare_to, member=True)),
        function(
            "isGreaterThan", overload("k8s_value_isGreaterThan", ("map", "map"), "bool", is_greater_than, member=True)
        ),
        function("isLessThan", overload("k8s_value_isLessThan", ("map", "map"), "bool", is_less_than, member=True)),
        function("string", overload("k8s_value_to_string", ("map",), "string", to_string)),
    ),
)
