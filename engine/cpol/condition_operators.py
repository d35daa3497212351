"""Condition operators of ClusterPolicy ``preconditions`` and ``deny.conditions`` (Kyverno's
``pkg/engine/variables/operator``). Keys and values are JSON values after substitution (numbers are float64).

- ``Equals``/``Equal``: booleans equal booleans; numbers equal numbers or numeric strings; a string key compares as a
  duration when either side is a Go duration (a number on the other side counts as seconds; ``"0"`` is not a
  duration), else as a quantity when the key is one (a non-quantity string value → false), else the value string is a
  wildcard pattern for the key; maps and lists compare deeply. ``NotEquals``/``NotEqual`` is the negation.
- ``In``/``NotIn`` (deprecated): a scalar key (numbers/booleans as Go prints them) is in a list value when some item
  wildcard-matches it either way; in a string value when the string wildcard-matches it or is a JSON string array
  holding it; any other value makes both operators false. A list key of strings must be wholly in (``In``) / have
  an item outside (``NotIn``) the value list.
- ``AnyIn``/``AllIn``/``AnyNotIn``/``AllNotIn``: key items (a scalar is a one-item list) against value items, an
  item matching when either wildcard-matches the other or the value item is a numeric/quantity range ``a-b``
  holding the key; a string value is a JSON string array or a single item.
- ``GreaterThan``/``GreaterThanOrEquals``/``LessThan``/``LessThanOrEquals``: durations, then quantities (both
  strings), then numbers (numeric strings parse), then semantic versions; otherwise false.
- ``DurationGreaterThan`` and friends (deprecated): Go durations, numbers meaning seconds.

Operator names are case-insensitive; an unknown operator is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import LoadError
from ..jmespath import JMESPathError, go_deep_equal, wildcard_match
from ..jmespath.duration import SECOND, DurationError, parse_duration, to_int64_duration
from ..jmespath.gotext import go_parse_float, go_parse_int, go_sprint, is_number
from ..jmespath.quantity import QuantityError, parse_quantity
from ..jmespath.semver import SemverError, parse_version
from ..reader import load_json

__all__ = ["OPERATORS", "UnknownOperatorError", "evaluate_operator"]


class UnknownOperatorError(JMESPathError):
    """The condition names an operator Kyverno does not have."""


def _seconds(value: Any) -> int | None:
    """``time.Duration(x) * time.Second`` for a number: the number is truncated to whole nanoseconds first."""
    if is_number(value):
        return to_int64_duration(float(value)) * SECOND
    return None


def _as_duration(value: Any) -> int | None:
    if isinstance(value, str) and value != "0":
        try:
            return parse_duration(value)
        except DurationError:
            return None
    return None


def _durations(key: Any, value: Any) -> tuple[int, int] | None:
    """Kyverno's ``parseDuration``: both sides as nanoseconds when at least one is a duration string."""
    key_duration, value_duration = _as_duration(key), _as_duration(value)
    if key_duration is None and value_duration is None:
        return None
    if key_duration is None:
        key_duration = _seconds(key)
    if value_duration is None:
        value_duration = _seconds(value)
    if key_duration is None or value_duration is None:
        return None
    return key_duration, value_duration


def _quantity(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return parse_quantity(value).value
    except QuantityError:
        return None


def _equals(key: Any, value: Any) -> bool:
    if isinstance(key, bool):
        return isinstance(value, bool) and key is value
    if is_number(key):
        if is_number(value):
            return bool(float(key) == float(value))
        if isinstance(value, str):
            number = go_parse_float(value)
            return number is not None and number == float(key)
        return False
    if isinstance(key, str):
        durations = _durations(key, value)
        if durations is not None:
            return durations[0] == durations[1]
        key_quantity = _quantity(key)
        if key_quantity is not None:
            if isinstance(value, str):
                value_quantity = _quantity(value)
                return value_quantity is not None and key_quantity == value_quantity
            return False
        return isinstance(value, str) and wildcard_match(value, key)
    if isinstance(key, dict | list):
        return isinstance(value, type(key)) and go_deep_equal(key, value)
    return False


def _scalar_text(key: Any) -> str | None:
    if isinstance(key, str):
        return key
    if is_number(key) or isinstance(key, bool):
        return go_sprint(key)
    return None


def _json_string_list(text: str) -> list[str] | None:
    """``json.Unmarshal`` into ``[]string``; ``None`` when it fails."""
    try:
        decoded = load_json(text, "condition value", unique_keys=False)
    except LoadError:
        return None
    if decoded is None:
        return []
    if isinstance(decoded, list) and all(isinstance(item, str) for item in decoded):
        return decoded
    return None


def _in(key: Any, value: Any, negate: bool) -> bool:
    text = _scalar_text(key)
    if text is not None:
        if isinstance(value, list):
            found = any(wildcard_match(go_sprint(item), text) or wildcard_match(text, go_sprint(item))
                        for item in value)
        elif isinstance(value, str):
            if wildcard_match(value, text):
                found = True
            else:
                items = _json_string_list(value)
                if items is None:
                    return False
                found = text in items
        else:
            return False
        return not found if negate else found
    if isinstance(key, list):
        keys = [go_sprint(item) for item in key]
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                return False
            members = set(value)
        elif isinstance(value, str):
            if len(keys) == 1 and keys[0] == value:
                return True
            parsed = _json_string_list(value)
            if parsed is None:
                return False
            members = set(parsed)
        else:
            return False
        missing = any(item not in members for item in keys)
        return missing if negate else not missing
    return False


_RANGE = re.compile(r"^(-?[0-9]+(?:\.[0-9]+)?[a-zA-Z]*)-(-?[0-9]+(?:\.[0-9]+)?[a-zA-Z]*)$")


def _in_range(key: str, bounds: str) -> bool:
    match = _RANGE.match(bounds)
    if match is None:
        return False
    low, high, value = _quantity(match.group(1)), _quantity(match.group(2)), _quantity(key)
    return low is not None and high is not None and value is not None and low <= value <= high


def _item_matches(key: str, candidate: str) -> bool:
    return wildcard_match(key, candidate) or wildcard_match(candidate, key) or _in_range(key, candidate)


def _set_items(key: Any) -> list[str] | None:
    text = _scalar_text(key)
    if text is not None:
        return [text]
    if isinstance(key, list):
        return [go_sprint(item) for item in key]
    return None


def _value_items(value: Any) -> list[str] | None:
    """The value as items: a list, a JSON string array, any other string as one item; ``None`` when unusable."""
    if isinstance(value, list):
        return [go_sprint(item) for item in value]
    if isinstance(value, str):
        try:
            load_json(value, "condition value", unique_keys=False)
        except LoadError:
            return [value]
        return _json_string_list(value)
    if is_number(value) or isinstance(value, bool):
        return [go_sprint(value)]
    return None


def _set_operator(mode: str) -> Callable[[Any, Any], bool]:
    def evaluate(key: Any, value: Any) -> bool:
        keys, candidates = _set_items(key), _value_items(value)
        if keys is None:
            return False
        if candidates is None:
            # A string holding JSON other than a string array: only a direct match of a single key item counts.
            if not (isinstance(value, str) and len(keys) == 1 and wildcard_match(value, keys[0])):
                return False
            candidates = [value]
        found = sum(1 for item in keys if any(_item_matches(item, candidate) for candidate in candidates))
        if mode == "AnyIn":
            return found > 0
        if mode == "AllIn":
            return found == len(keys)
        if mode == "AnyNotIn":
            return found < len(keys)
        return found == 0  # AllNotIn

    return evaluate


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "greaterthan": lambda a, b: a > b,
    "greaterthanorequals": lambda a, b: a >= b,
    "lessthan": lambda a, b: a < b,
    "lessthanorequals": lambda a, b: a <= b,
}


def _number_of(value: Any) -> float | None:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        number = go_parse_float(value)
        if number is None:
            integer = go_parse_int(value)
            return float(integer) if integer is not None else None
        return number
    return None


def _numeric(kind: str) -> Callable[[Any, Any], bool]:
    compare = _COMPARE[kind]

    def evaluate(key: Any, value: Any) -> bool:
        durations = _durations(key, value)
        if durations is not None:
            return compare(durations[0], durations[1])
        key_quantity, value_quantity = _quantity(key), _quantity(value)
        if key_quantity is not None and value_quantity is not None:
            return compare(key_quantity, value_quantity)
        if is_number(key) or (isinstance(key, str) and _number_of(key) is not None):
            key_number, value_number = _number_of(key), _number_of(value)
            return key_number is not None and value_number is not None and compare(key_number, value_number)
        if isinstance(key, str) and isinstance(value, str):
            try:
                left, right = parse_version(key), parse_version(value)
            except SemverError:
                return False
            return compare(left.compare(right), 0)
        return False

    return evaluate


def _duration_operator(kind: str) -> Callable[[Any, Any], bool]:
    compare = _COMPARE[kind]

    def as_duration(side: Any) -> int | None:
        if isinstance(side, str):
            try:
                return parse_duration(side)
            except DurationError:
                return None
        return _seconds(side)

    def evaluate(key: Any, value: Any) -> bool:
        left, right = as_duration(key), as_duration(value)
        return left is not None and right is not None and compare(left, right)

    return evaluate


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": _equals,
    "equal": _equals,
    "notequals": lambda k, v: not _equals(k, v),
    "notequal": lambda k, v: not _equals(k, v),
    "in": lambda k, v: _in(k, v, negate=False),
    "notin": lambda k, v: _in(k, v, negate=True),
    "anyin": _set_operator("AnyIn"),
    "allin": _set_operator("AllIn"),
    "anynotin": _set_operator("AnyNotIn"),
    "allnotin": _set_operator("AllNotIn"),
    **{kind: _numeric(kind) for kind in _COMPARE},
    **{f"duration{kind}": _duration_operator(kind) for kind in _COMPARE},
}


def evaluate_operator(operator: str, key: Any, value: Any) -> bool:
    """Apply a condition operator; raise :class:`UnknownOperatorError` for a name Kyverno does not know."""
    function = OPERATORS.get(str(operator).lower())
    if function is None:
        raise UnknownOperatorError(f"operator {operator!r} is not supported")
    return function(key, value)
