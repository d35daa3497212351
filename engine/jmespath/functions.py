"""The function table of Kyverno's JMESPath: the JMESPath built-ins plus Kyverno's functions.

Built-ins come from the ``jmespath`` library, with the Go fork's behaviour where it differs: ``to_string`` encodes
as Go's ``json.Marshal`` (``2`` not ``2.0``), ``to_number`` parses as Go's ``ParseFloat`` (no ``_``, no spaces),
``contains`` compares array items as Go does (``true`` is not ``1``), and Kyverno's ``sum`` replaces the built-in.
Argument types are checked first, as go-jmespath does; any failure becomes a :class:`FunctionError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from jmespath import exceptions as jp_exceptions
from jmespath import functions as jp_functions

from . import arithmetic, datafns, textfns, timefns
from .errors import FunctionError
from .gotext import go_json, go_parse_float, is_number
from .semver import SemverError, parse_range, parse_version

__all__ = ["KYVERNO_FUNCTIONS", "KyvernoFunctions", "function_names"]

# Argument type specs (the jmespath library's type names; an empty list accepts anything).
S: list[str] = ["string"]
N: list[str] = ["number"]
OBJ: list[str] = ["object"]
A: list[str] = ["array"]
ANY: list[str] = []


def semver_compare(version: str, constraint: str) -> bool:
    """``semver_compare(version, range)``: an unparsable version counts as 0.0.0."""
    try:
        parsed = parse_version(version)
    except SemverError:
        parsed = parse_version("0.0.0")
    try:
        matches = parse_range(constraint)
    except SemverError as exc:
        raise FunctionError(str(exc)) from None
    return matches(parsed)


#: name -> (argument type specs, implementation). Kyverno's own functions (``pkg/engine/jmespath/functions.go``).
KYVERNO_FUNCTIONS: dict[str, tuple[list[list[str]], Callable[..., Any]]] = {
    "compare": ([S, S], textfns.compare),
    "equal_fold": ([S, S], textfns.equal_fold),
    "replace": ([S, S, S, N], textfns.replace),
    "replace_all": ([S, S, S], lambda text, old, new: textfns.replace(text, old, new, -1)),
    "to_upper": ([S], textfns.to_upper),
    "to_lower": ([S], textfns.to_lower),
    "trim": ([S, S], textfns.trim),
    "trim_prefix": ([S, S], textfns.trim_prefix),
    "split": ([S, S], textfns.split),
    "regex_replace_all": ([S, S + N, S + N], textfns.regex_replace_all),
    "regex_replace_all_literal": ([S, S + N, S + N], textfns.regex_replace_all_literal),
    "regex_match": ([S, S + N], textfns.regex_match),
    "pattern_match": ([S, S + N], textfns.pattern_match),
    "label_match": ([OBJ, OBJ], datafns.label_match),
    "to_boolean": ([S], textfns.to_boolean),
    "add": ([ANY, ANY], arithmetic.add),
    "subtract": ([ANY, ANY], arithmetic.subtract),
    "multiply": ([ANY, ANY], arithmetic.multiply),
    "divide": ([ANY, ANY], arithmetic.divide),
    "modulo": ([ANY, ANY], arithmetic.modulo),
    "round": ([N, N], arithmetic.round_to),
    "sum": ([A], arithmetic.sum_of),
    "base64_decode": ([S], textfns.base64_decode),
    "base64_encode": ([S], textfns.base64_encode),
    "path_canonicalize": ([S], textfns.path_canonicalize),
    "truncate": ([S, N], textfns.truncate),
    "semver_compare": ([S, S], semver_compare),
    "parse_json": ([S], datafns.parse_json),
    "parse_yaml": ([S], datafns.parse_yaml),
    "lookup": ([OBJ + A, S + N], datafns.lookup),
    "items": ([OBJ + A, S, S], datafns.items),
    "object_from_lists": ([A, A], datafns.object_from_lists),
    "random": ([S], textfns.random_string),
    "x509_decode": ([S], datafns.x509_decode),
    "image_normalize": ([S], datafns.image_normalize),
    "is_external_url": ([S], datafns.is_external_url),
    "sha256": ([S], textfns.sha256),
    "sha1": ([S], textfns.sha1),
    "md5": ([S], textfns.md5),
    "time_since": ([S, S, S], timefns.time_since),
    "time_now": ([], timefns.time_now),
    "time_now_utc": ([], timefns.time_now_utc),
    "time_add": ([S, S], timefns.time_add),
    "time_parse": ([S, S], timefns.time_parse),
    "time_to_cron": ([S], timefns.time_to_cron),
    "time_utc": ([S], timefns.time_utc),
    "time_diff": ([S, S], timefns.time_diff),
    "time_before": ([S, S], timefns.time_before),
    "time_after": ([S, S], timefns.time_after),
    "time_between": ([S, S, S], timefns.time_between),
    "time_truncate": ([S, S], timefns.time_truncate),
}


def _go_scalar_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if is_number(left) and is_number(right):
        return bool(left == right)
    return type(left) is type(right) and left == right


def _to_string(value: Any) -> str:
    return value if isinstance(value, str) else go_json(value)


def _to_number(value: Any) -> float | None:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        number = go_parse_float(value)
        return None if number is None or (math.isinf(number) and "inf" not in value.lower()) else number
    return None


def _contains(subject: Any, search: Any) -> bool:
    if isinstance(subject, str):
        if not isinstance(search, str):
            raise FunctionError(f"Invalid type for: {search!r}, expected: string")
        return search in subject
    return any(_go_scalar_equal(item, search) for item in subject)


#: Built-ins whose Go behaviour differs from the Python library's.
_BUILTIN_OVERRIDES: dict[str, tuple[list[list[str]], Callable[..., Any]]] = {
    "to_string": ([ANY], _to_string),
    "to_number": ([ANY], _to_number),
    "contains": ([A + S, ANY], _contains),
}


def _method(name: str, types: list[list[str]], implementation: Callable[..., Any]) -> Any:
    def call(self: Any, *args: Any) -> Any:
        return implementation(*args)

    call.__name__ = f"_func_{name}"
    call.signature = tuple({"types": list(spec)} for spec in types)  # type: ignore[attr-defined]
    return call


_members = {
    f"_func_{name}": _method(name, types, implementation)
    for name, (types, implementation) in {**_BUILTIN_OVERRIDES, **KYVERNO_FUNCTIONS}.items()
}


def _call_function(self: Any, function_name: str, resolved_args: list[Any]) -> Any:
    try:
        return jp_functions.Functions.call_function(self, function_name, resolved_args)
    except jp_exceptions.UnknownFunctionError:
        raise FunctionError(f"unknown function: {function_name}()") from None
    except (jp_exceptions.ArityError, jp_exceptions.JMESPathTypeError) as exc:
        raise FunctionError(str(exc)) from None
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, RecursionError) as exc:
        raise FunctionError(f"{function_name}(): {exc}") from None


_members["call_function"] = _call_function

#: Built-ins plus Kyverno's functions, as a ``jmespath.functions.Functions`` subclass.
KyvernoFunctions: type[jp_functions.Functions] = jp_functions.FunctionRegistry(
    "KyvernoFunctions", (jp_functions.Functions,), _members
)


def function_names() -> list[str]:
    """Every function name the table answers (sorted)."""
    return sorted(KyvernoFunctions.FUNCTION_TABLE)
