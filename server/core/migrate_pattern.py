"""kyverno.io/v1 validate patterns as CEL, for ``pykyverno migrate``.

A pattern is walked like Kyverno's ``MatchPattern`` and each node becomes a CEL condition on the same path:

- a map: every key must match; a missing key is compared with null (so a key whose pattern accepts null, such as
  ``"!*"``, may be absent); equality anchors ``=(k)`` apply only when ``k`` is present, negation anchors ``X(k)``
  forbid it, existence anchors ``^(k)`` ask one list item to match;
- condition anchors ``(k)`` guard their map: ``!(conditions) || rest``;
- a list whose first item is a map applies it to every item (``all``), a scalar first item to every value;
- a scalar: exact text, wildcards (``matches``), ``|`` / ``&``, ``!``, ordering operators on numbers and
  quantities, ranges.

Global anchors, wildcard keys, durations and the other rare forms raise :class:`Unconvertible`. Whether a leaf
accepts a missing value is decided by the engine's own pattern semantics, so the translation cannot drift from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pykyverno.engine.cpol.anchors import parse_anchor
from pykyverno.engine.cpol.operators import value_matches

from .migrate_jmespath import (
    Scope,
    Unconvertible,
    cel_literal,
    cel_string,
    has_field,
    matches,
    select,
    translate,
    variables_in,
    wildcard_regex,
)

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_QUANTITY = re.compile(r"^[+-]?\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)$")
_DURATION_UNIT = re.compile(r"^[+-]?\d+(\.\d+)?(ns|us|µs|ms|s|h)$")
_RANGE = re.compile(r"^([+-]?\d+(?:\.\d+)?[A-Za-z]*)(!?-)([+-]?\d+(?:\.\d+)?[A-Za-z]*)$")


def _operand(text: str, symbol: str, value: str) -> str:
    if _NUMBER.match(text):
        return f"{value} {symbol} {text}"
    if _QUANTITY.match(text):
        return f"quantity(string({value})).compareTo(quantity({cel_string(text)})) {symbol} 0"
    if _DURATION_UNIT.match(text):
        raise Unconvertible(f"duration pattern {text!r} is not translated")
    raise Unconvertible(f"ordering pattern on {text!r} is not translated")


def _term(term: str, value: str) -> str:
    term = term.strip()
    for symbol in (">=", "<=", ">", "<"):
        if term.startswith(symbol):
            return _operand(term[len(symbol):].strip(), symbol, value)
    if term.startswith("!"):
        return f"!({_term(term[1:], value)})"
    found = _RANGE.match(term)
    if found:
        low, kind, high = found.groups()
        inside = f"{_operand(low, '>=', value)} && {_operand(high, '<=', value)}"
        return f"({inside})" if kind == "-" else f"!({inside})"
    if term == "*":
        return f"{value} != null"
    if term == "?*":
        return f"string({value}) != ''"
    if "*" in term or "?" in term:
        return matches(f"string({value})", wildcard_regex(term))
    if _QUANTITY.match(term):
        return f"quantity(string({value})).compareTo(quantity({cel_string(term)})) == 0"
    if _NUMBER.match(term) or term in ("true", "false"):
        return f"string({value}) == {cel_string(term)}"
    return f"{value} == {cel_string(term)}"


def scalar(pattern: Any, value: str, scope: Scope | None = None) -> str:
    """A scalar pattern leaf applied to the CEL expression ``value``."""
    if isinstance(pattern, str) and "{{" in pattern:
        found = variables_in(pattern)
        if scope is None or len(found) != 1 or (found[0][0], found[0][1]) != (0, len(pattern)):
            raise Unconvertible(f"the pattern {pattern!r} mixes variables and text")
        # the variable's value compared as text (a value that is itself a wildcard pattern is not expanded)
        return f"string({value}) == string({translate(found[0][2], scope).text})"
    if isinstance(pattern, bool):
        return f"{value} == {cel_literal(pattern)}"
    if isinstance(pattern, (int, float)):
        return f"{value} == {cel_literal(pattern)}"
    if pattern is None:
        raise Unconvertible("a null pattern leaf is not translated")
    text = str(pattern)
    if any(op in text for op in (">", "<")) or _RANGE.match(text.strip().lstrip("!")):
        # ordering patterns also apply to every item of a list value (supplementalGroups, ports...)
        loop = "v"
        return f"(type({value}) == list ? {value}.all({loop}, {_scalar_text(text, loop)}) : " \
               f"{_scalar_text(text, value)})"
    return _scalar_text(text, value)


def _scalar_text(text: str, value: str) -> str:
    alternatives = []
    for part in text.split("|"):
        terms = [_term(t, value) for t in part.split("&")]
        alternatives.append(terms[0] if len(terms) == 1 else "(" + " && ".join(terms) + ")")
    return alternatives[0] if len(alternatives) == 1 else "(" + " || ".join(alternatives) + ")"


def _accepts_missing(pattern: Any) -> bool:
    return not isinstance(pattern, (Mapping, list)) and value_matches(None, pattern)


def _chain(key: str, pattern: Any) -> tuple[list[str], Any] | None:
    """``a: {b: {c: leaf}}`` as (``[a, b, c]``, leaf) when every level has one plain key and the leaf is a scalar
    that rejects both a missing value and ``""`` (so ``.orValue('')`` keeps Kyverno's verdict)."""
    keys = [key]
    while isinstance(pattern, Mapping) and len(pattern) == 1:
        [(inner, pattern)] = pattern.items()
        if parse_anchor(str(inner)) is not None or "*" in str(inner) or "?" in str(inner):
            return None
        keys.append(str(inner))
    if not isinstance(pattern, str) or pattern == "*" or any(op in pattern for op in "<>|&"):
        return None  # only text patterns (compared as strings, so '' is a safe stand-in for a missing value)
    if _RANGE.match(pattern.lstrip("!")) or _NUMBER.match(pattern) or _QUANTITY.match(pattern):
        return None
    if value_matches(None, pattern) or value_matches("", pattern):
        return None
    return keys, pattern


def _child(base: str, key: str, pattern: Any, scope: Scope) -> str:
    """A plain key of a map pattern: the key's value must match (a missing key counts as null)."""
    chain = _chain(key, pattern)
    if chain is not None:
        keys, leaf = chain
        optional = base
        for index, name in enumerate(keys):
            # ``object.spec`` / ``object.metadata`` stay plain: autogen rewrites them to the pod template
            plain = index == 0 and base in ("object", "oldObject") and name in ("spec", "metadata")
            optional = select(optional, name, optional=not plain)
        return scalar(leaf, f"{optional}.orValue('')", scope)
    path = select(base, key)
    if pattern == "*":
        return f"{has_field(base, key)} && {path} != null"
    inner = node(pattern, path, scope)
    if _accepts_missing(pattern):
        return f"(!{has_field(base, key)} || {inner})"
    if isinstance(pattern, (Mapping, list)):  # a null value fails a map or list pattern
        return f"{has_field(base, key)} && {path} != null && {inner}"
    return f"{has_field(base, key)} && {inner}"


def _map(pattern: Mapping[str, Any], base: str, scope: Scope) -> str:
    guards: list[str] = []
    checks: list[str] = []
    for raw_key, sub in pattern.items():
        key = str(raw_key)
        anchor = parse_anchor(key)
        if anchor is None:
            if "*" in key or "?" in key:
                raise Unconvertible(f"the wildcard key {key!r} is not translated")
            checks.append(_child(base, key, sub, scope))
            continue
        name = anchor.key
        path = select(base, name)
        if anchor.is_condition:
            guards.append(f"{has_field(base, name)} && {node(sub, path, scope)}")
        elif anchor.is_equality:
            checks.append(f"(!{has_field(base, name)} || {node(sub, path, scope)})")
        elif anchor.is_negation:
            checks.append(f"!{has_field(base, name)}")
        elif anchor.is_existence:
            if not isinstance(sub, list) or not sub:
                raise Unconvertible(f"the existence anchor {key!r} needs a list pattern")
            loop = scope.loop_variable()
            scope.loops.append(loop)
            try:
                items = [f"{path}.exists({loop}, {node(item, loop, scope)})" for item in sub]
            finally:
                scope.loops.pop()
            checks.append(f"(!{has_field(base, name)} || ({' && '.join(items)}))")
        else:
            raise Unconvertible(f"the {key!r} anchor is not translated")
    body = " && ".join(checks) if checks else "true"
    if not guards:
        return body
    return f"(!({' && '.join(guards)}) || ({body}))"


def _list(pattern: list[Any], base: str, scope: Scope) -> str:
    if not pattern:
        raise Unconvertible("an empty list pattern is not translated")
    if len(pattern) > 1 and not isinstance(pattern[0], Mapping):
        raise Unconvertible("an element-wise list pattern is not translated")
    loop = scope.loop_variable()
    scope.loops.append(loop)
    try:
        body = node(pattern[0], loop, scope)
    finally:
        scope.loops.pop()
    return f"{base}.all({loop}, {body})"


def node(pattern: Any, base: str, scope: Scope) -> str:
    """The CEL condition that ``base`` satisfies ``pattern``."""
    if isinstance(pattern, Mapping):
        return _map(pattern, base, scope)
    if isinstance(pattern, list):
        return _list(pattern, base, scope)
    return scalar(pattern, base, scope)


def root_guards(pattern: Any) -> list[str]:
    """Condition and global anchors at the top of the pattern (Kyverno skips the rule when they do not hold)."""
    if not isinstance(pattern, Mapping):
        return []
    return [str(k) for k in pattern if (a := parse_anchor(str(k))) is not None and (a.is_condition or a.is_global)]


def translate_pattern(pattern: Any, base: str, scope: Scope) -> tuple[list[str], str]:
    """(match conditions, validation) of a pattern: top-level condition and global anchors become match conditions
    (the rule then gives no result where Kyverno skips it); the rest is the validation."""
    if not isinstance(pattern, Mapping):
        return [], node(pattern, base, scope)
    conditions = []
    rest: dict[str, Any] = {}
    for raw_key, sub in pattern.items():
        anchor = parse_anchor(str(raw_key))
        if anchor is not None and (anchor.is_condition or anchor.is_global):
            conditions.append(f"{has_field(base, anchor.key)} && {node(sub, select(base, anchor.key), scope)}")
        else:
            rest[str(raw_key)] = sub
    return conditions, node(rest, base, scope) if rest else "true"
