"""kyverno.io/v1 conditions (``preconditions``, ``deny.conditions``) as CEL, for ``pykyverno migrate``.

A block ``{any: [...], all: [...]}`` (or a bare list: all) becomes ``(a || b) && c && d``. Each condition maps its
operator to CEL on the translated key and value: ``Equals`` to ``==`` (or a wildcard ``matches``), the set
operators to ``in`` / ``exists`` / ``all`` (wildcards as one anchored regex), the ordering operators to numeric
comparisons (or ``quantity(...).compareTo`` for quantities). Durations and semver have no faithful CEL
counterpart here and make the rule unconvertible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .migrate_jmespath import Scope, Translation, Unconvertible, matches, translate_value, wildcard_regex

_QUANTITY = re.compile(r"^[+-]?\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)$")
_DURATION = re.compile(r"^([+-]?\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_ORDER = {"greaterthan": ">", "greaterthanorequals": ">=", "lessthan": "<", "lessthanorequals": "<="}


def _has_wildcard(value: Any) -> bool:
    return isinstance(value, str) and ("*" in value or "?" in value) and "{{" not in value


def _regex(values: list[Any]) -> str:
    alternatives = "|".join(wildcard_regex(str(v))[1:-1] for v in values)
    return f"^({alternatives})$"


def _membership(key: Translation, value: Any, scope: Scope, operator: str) -> str:
    values = value if isinstance(value, list) else None
    if isinstance(value, str) and "{{" not in value:
        if re.match(r"^\S+!?-\S+$", value) and any(ch.isdigit() for ch in value):
            raise Unconvertible(f"the range {value!r} of {operator} is not translated")
        values = [value]
    if values is not None and any(_has_wildcard(v) for v in values):
        regex = _regex(values)

        def contains(item: str) -> str:
            return matches(f"string({item})", regex)
    else:
        translated = translate_value(values if values is not None else value, scope)
        target = translated.text
        if values is None and not translated.is_list:  # Kyverno reads a string as a JSON array or a one-item list
            target = (f"(type({target}) == string ? ({target}.startsWith('[') ? json.unmarshal({target}) : "
                      f"[{target}]) : {target})")

        def contains(item: str) -> str:
            return f"{item} in {target}"
    loop = scope.loop_variable()
    if not key.is_list:
        inside = contains(key.text)
        return inside if operator in ("anyin", "allin", "in") else f"!({inside})"
    if operator == "anyin":
        return f"{key.text}.exists({loop}, {contains(loop)})"
    if operator in ("allin", "in"):
        return f"{key.text}.all({loop}, {contains(loop)})"
    if operator == "anynotin":
        return f"{key.text}.exists({loop}, !({contains(loop)}))"
    return f"{key.text}.all({loop}, !({contains(loop)}))"


def _ordering(key: Translation, value: Any, scope: Scope, symbol: str) -> str:
    right = translate_value(value, scope)
    literal = value if isinstance(value, str) and "{{" not in value else None
    if literal is not None and _DURATION.match(literal) and not _QUANTITY.match(literal):
        raise Unconvertible(f"duration comparison with {literal!r} is not translated")
    if literal is not None and _QUANTITY.match(literal):
        return f"quantity(string({key.text})).compareTo(quantity({right.text})) {symbol} 0"
    if literal is not None:
        try:
            number = float(literal)
        except ValueError:
            raise Unconvertible(f"ordering comparison with {literal!r} is not translated") from None
        return f"double({key.text}) {symbol} {number!r}"
    return f"double({key.text}) {symbol} double({right.text})"


def condition(item: Mapping[str, Any], scope: Scope) -> str:
    """One ``{key, operator, value}`` as a CEL boolean expression."""
    operator = str(item.get("operator") or "").lower()
    key = translate_value(item.get("key"), scope)
    value = item.get("value")
    if operator in ("equals", "equal", "notequals", "notequal"):
        if _has_wildcard(value):
            text = matches(f"string({key.text})", wildcard_regex(str(value)))
        else:
            text = f"{key.text} == {translate_value(value, scope).text}"
        return text if operator.startswith("equal") else f"!({text})"
    if operator in ("anyin", "allin", "anynotin", "allnotin", "in", "notin"):
        if operator == "notin":
            return f"!({_membership(key, value, scope, 'in')})"
        return _membership(key, value, scope, operator)
    if operator in _ORDER:
        return _ordering(key, value, scope, _ORDER[operator])
    raise Unconvertible(f"the {item.get('operator')} operator is not translated")


def conditions_block(block: Any, scope: Scope) -> str:
    """A whole conditions block as one CEL expression (``true`` when empty)."""
    if block is None:
        return "true"
    if isinstance(block, list):
        any_items, all_items = None, block
    elif isinstance(block, Mapping):
        any_items, all_items = block.get("any"), block.get("all") or []
    else:
        raise Unconvertible("conditions must be a list or any/all")
    parts = []
    if any_items is not None:
        if not any_items:
            parts.append("false")
        else:
            terms = [condition(c, scope) for c in any_items]
            parts.append(terms[0] if len(terms) == 1 else "(" + " || ".join(terms) + ")")
    parts.extend(condition(c, scope) for c in all_items)
    return " && ".join(parts) if parts else "true"
