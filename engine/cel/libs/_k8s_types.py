"""Shared helpers for the Kubernetes CEL libraries: tagged-map values and CEL equality/ordering on plain values.

cel-expr-python cannot return opaque values from Python, so Kubernetes' Quantity, URL, IP, CIDR, Semver and Format
values are *tagged maps*: ``{"@type": "kubernetes.Quantity", "value": "1073741824"}``. Each tagged map holds only
canonical fields, so CEL's map equality (``==``) is Kubernetes' semantic equality (``quantity('1Gi') ==
quantity('1024Mi')``). The type names are the CEL type names Kubernetes declares.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from ..decl import CelFunctionError

TYPE_KEY = "@type"

QUANTITY = "kubernetes.Quantity"
URL = "kubernetes.URL"
IP = "net.IP"
CIDR = "net.CIDR"
SEMVER = "kubernetes.Semver"
FORMAT = "kubernetes.NamedFormat"

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def tagged(type_name: str, **fields: Any) -> dict[str, Any]:
    """Build the tagged map that represents a Kubernetes CEL value of ``type_name``."""
    return {TYPE_KEY: type_name, **fields}


def type_of(value: Any) -> str | None:
    """The Kubernetes type name of a tagged map, or ``None`` for any other value."""
    if isinstance(value, Mapping):
        name = value.get(TYPE_KEY)
        return name if isinstance(name, str) else None
    return None


def no_overload(function: str, *args: Any) -> CelFunctionError:
    """The error cel-go reports when no overload of ``function`` accepts ``args``."""
    kinds = ", ".join(cel_type_name(arg) for arg in args)
    return CelFunctionError(f"no such overload: {function}({kinds})")


def expect(value: Any, type_name: str, function: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a tagged map of ``type_name``; otherwise raise a no-such-overload error."""
    if type_of(value) != type_name:
        raise no_overload(function, value)
    result: Mapping[str, Any] = value
    return result


def cel_type_name(value: Any) -> str:
    """The CEL type name of a plain value (for error messages)."""
    tag = type_of(value)
    if tag is not None:
        return tag
    names: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "bool"),
        (int, "int"),
        (float, "double"),
        (str, "string"),
        ((bytes, bytearray), "bytes"),
        (list, "list"),
        (Mapping, "map"),
        (datetime.datetime, "google.protobuf.Timestamp"),
        (datetime.timedelta, "google.protobuf.Duration"),
        (type(None), "null_type"),
    )
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def cel_errors(function: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate an implementation so unexpected Python errors become CEL errors naming ``function``."""

    def decorate(impl: Callable[_P, _R]) -> Callable[_P, _R]:
        @wraps(impl)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return impl(*args, **kwargs)
            except CelFunctionError:
                raise
            except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:
                raise CelFunctionError(f"{function}: {exc}") from None

        return wrapper

    return decorate


def is_number(value: Any) -> bool:
    """True for CEL int/uint/double values (Python bool is not a number in CEL)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def cel_equals(left: Any, right: Any) -> bool:
    """CEL equality on plain values: numbers compare across int/double, bool is not a number, containers deeply."""
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, bytes | bytearray) and isinstance(right, bytes | bytearray):
        return bytes(left) == bytes(right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(cel_equals(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        if len(left) != len(right):
            return False
        for key, value in left.items():
            match = [other_key for other_key in right if cel_equals(key, other_key)]
            if not match or not cel_equals(value, right[match[0]]):
                return False
        return True
    if type(left) is not type(right) and not (isinstance(left, str) and isinstance(right, str)):
        return False
    return bool(left == right)


def _ordering_class(value: Any) -> str | None:
    if is_number(value):
        return "number"
    for kind, name in (
        (bool, "bool"),
        (str, "string"),
        ((bytes, bytearray), "bytes"),
        (datetime.datetime, "timestamp"),
        (datetime.timedelta, "duration"),
    ):
        if isinstance(value, kind):
            return name
    return None


def cel_less(left: Any, right: Any, function: str) -> bool:
    """CEL's ``<`` on two plain values (numbers across int/double, strings by code point, bools, bytes, times)."""
    kind = _ordering_class(left)
    if kind is None or kind != _ordering_class(right):
        raise no_overload(function, left, right)
    if kind == "bytes":
        return bytes(left) < bytes(right)
    return bool(left < right)
