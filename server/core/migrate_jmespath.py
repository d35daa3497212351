"""JMESPath variables and conditions of kyverno.io/v1 rules as CEL (for ``pykyverno migrate``).

Only what has a faithful CEL counterpart is translated; anything else raises :class:`Unconvertible` with the
reason, so that the rule is reported as not converted instead of converted wrongly. The JMESPath text is parsed
with the ``jmespath`` library's parser and its tree rewritten:

- ``request.object`` / ``request.oldObject`` become ``object`` / ``oldObject``; ``request.operation``,
  ``request.namespace`` and ``request.userInfo`` stay under ``request``; a foreach ``element`` stays ``element``;
  context variables become ``variables.<name>``;
- fields and indexes keep their shape (a missing field is an error in both Kyverno's JMESPath and CEL);
  ``a || literal`` becomes ``a`` with optional fields and ``orValue(literal)``;
- projections and filters become ``map``/``filter``; ``[a, b, c][]`` the concatenation of the lists;
- the common functions map to CEL (``length`` -> ``size``, ``contains``, ``starts_with``, ``to_string``...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jmespath import exceptions as jp_exceptions
from jmespath import parser as jp_parser

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VARIABLE = re.compile(r"\{\{-?\s*(.*?)\s*\}\}")
_CEL_RESERVED = {"in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
                 "package", "namespace", "return", "var", "void", "while", "true", "false", "null"}


class Unconvertible(Exception):
    """A construct with no faithful CEL translation; the message says which and why."""


@dataclass
class Scope:
    """What names mean in the rule being translated: context variables, and the loop variables in use."""

    variables: set[str] = field(default_factory=set)
    element: str = ""
    loops: list[str] = field(default_factory=list)

    def loop_variable(self) -> str:
        """A fresh comprehension variable (``c``, ``c2``...)."""
        name = "c" if not self.loops else f"c{len(self.loops) + 1}"
        return name


def cel_string(text: str) -> str:
    """A CEL string literal (single-quoted when the text has no single quote)."""
    if "'" not in text and "\\" not in text and "\n" not in text:
        return f"'{text}'"
    return json.dumps(text)


def cel_literal(value: Any) -> str:
    """A JSON value as a CEL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return cel_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(cel_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{cel_string(str(k))}: {cel_literal(v)}" for k, v in value.items()) + "}"
    raise Unconvertible(f"literal {value!r} has no CEL form")


def select(base: str, name: str, optional: bool = False) -> str:
    """``base.name`` (``base['a.b']`` for names that are not identifiers; ``.?`` when optional)."""
    if _IDENTIFIER.match(name) and name not in _CEL_RESERVED:
        return f"{base}.?{name}" if optional else f"{base}.{name}"
    return f"{base}[?{cel_string(name)}]" if optional else f"{base}[{cel_string(name)}]"


def has_field(base: str, name: str) -> str:
    """``has(base.name)``, or ``'name' in base`` for names that are not identifiers."""
    if _IDENTIFIER.match(name) and name not in _CEL_RESERVED:
        return f"has({base}.{name})"
    return f"{cel_string(name)} in {base}"


def _literal_char(ch: str) -> str:
    if ch.isalnum() or ch in "-_/:@=,;'\"<>!%&~` ":
        return ch
    return f"[{ch}]" if ch not in "^\\]" else re.escape(ch)


def wildcard_regex(pattern: str) -> str:
    """A wildcard (``*``, ``?``) as an anchored RE2 pattern (other characters literal, ``.`` as ``[.]``)."""
    out = "".join(".*" if ch == "*" else "." if ch == "?" else _literal_char(ch) for ch in pattern)
    return f"^{out}$"


def matches(value: str, regex: str) -> str:
    """``value.matches(regex)`` with the regex as a CEL string literal."""
    return f"{value}.matches({cel_string(regex)})"


def parse(expression: str) -> dict[str, Any]:
    """The JMESPath syntax tree; :class:`Unconvertible` when it does not parse."""
    try:
        return dict(jp_parser.Parser().parse(expression).parsed)
    except jp_exceptions.JMESPathError as exc:
        raise Unconvertible(f"JMESPath {expression!r} does not parse: {exc}") from None


_FUNCTIONS_METHOD = {"starts_with": "startsWith", "ends_with": "endsWith"}
_COMPARATORS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


@dataclass
class Translation:
    """A CEL expression and whether it yields a list (JMESPath projections do)."""

    text: str
    is_list: bool = False


class _Translator:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def node(self, node: Mapping[str, Any], current: str | None = None, optional: bool = False) -> Translation:
        kind = node["type"]
        method = getattr(self, f"_{kind}", None)
        if method is None:
            raise Unconvertible(f"JMESPath {kind.replace('_', ' ')} has no CEL translation here")
        result: Translation = method(node, current, optional)
        return result

    # --- paths -------------------------------------------------------------------------------------------------
    def _root(self, name: str) -> str:
        if name == "element" and self.scope.element:
            return self.scope.element
        if name in self.scope.variables:
            return f"variables.{name}"
        if name == "request":
            return "request"
        raise Unconvertible(f"variable {name!r} has no counterpart in a ValidatingPolicy")

    def _field(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        name = str(node["value"])
        if current is None:
            return Translation(self._root(name))
        if current == "request":
            mapped = {"object": "object", "oldObject": "oldObject", "operation": "request.operation",
                      "namespace": "request.namespace", "userInfo": "request.userInfo"}
            if name not in mapped:
                raise Unconvertible(f"request.{name} has no counterpart in a ValidatingPolicy")
            return Translation(mapped[name])
        return Translation(select(current, name, optional))

    def _subexpression(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        first, *rest = node["children"]
        base = self.node(first, current, optional)
        for child in rest:
            if base.is_list:
                raise Unconvertible("a field of a projection result is not translated")
            base = self.node(child, base.text, optional)
        return base

    def _index_expression(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right = node["children"]
        base = self.node(left, current, optional)
        if right["type"] != "index":
            raise Unconvertible("only numeric indexes are translated")
        index = int(right["value"])
        if index < 0:
            return Translation(f"{base.text}[size({base.text}) - {-index}]")
        return Translation(f"{base.text}[{index}]")

    def _current(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        if current is None:
            raise Unconvertible("@ outside a projection has no CEL translation")
        return Translation(current)

    def _identity(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        return self._current(node, current, optional)

    def _literal(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        value = node["value"]
        return Translation(cel_literal(value), isinstance(value, list))

    def _raw_string(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        return Translation(cel_string(str(node["value"])))

    # --- lists -------------------------------------------------------------------------------------------------
    def _with_loop(self, body: Mapping[str, Any]) -> tuple[str, Translation]:
        variable = self.scope.loop_variable()
        self.scope.loops.append(variable)
        try:
            return variable, self.node(body, variable)
        finally:
            self.scope.loops.pop()

    def _projection(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right = node["children"]
        base = self.node(left, current, optional)
        if right["type"] == "identity":
            return Translation(base.text, True)
        variable, body = self._with_loop(right)
        return Translation(f"{base.text}.map({variable}, {body.text})", True)

    def _flatten(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        [inner] = node["children"]
        if inner["type"] == "subexpression" and inner["children"][1]["type"] == "multi_select_list":
            base = self.node(inner["children"][0], current)
            parts = [self.node(child, base.text, optional=True).text + ".orValue([])"
                     for child in inner["children"][1]["children"]]
            return Translation("(" + " + ".join(parts) + ")", True)
        base = self.node(inner, current, optional)
        if not base.is_list:
            raise Unconvertible("flattening something that is not a projection is not translated")
        return base

    def _filter_projection(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right, condition = node["children"]
        base = self.node(left, current, optional)
        variable, test = self._with_loop(condition)
        filtered = f"{base.text}.filter({variable}, {test.text})"
        if right["type"] == "identity":
            return Translation(filtered, True)
        variable, body = self._with_loop(right)
        return Translation(f"{filtered}.map({variable}, {body.text})", True)

    def _multi_select_list(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        return Translation("[" + ", ".join(self.node(c, current).text for c in node["children"]) + "]", True)

    # --- operators ---------------------------------------------------------------------------------------------
    def _comparator(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right = (self.node(c, current) for c in node["children"])
        return Translation(f"{left.text} {_COMPARATORS[node['value']]} {right.text}")

    def _and_expression(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right = (self.node(c, current) for c in node["children"])
        return Translation(f"({left.text} && {right.text})")

    def _not_expression(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        [inner] = node["children"]
        return Translation(f"!({self.node(inner, current).text})")

    def _or_expression(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right = node["children"]
        if right["type"] not in ("literal", "raw_string") or left["type"] not in ("subexpression", "field"):
            raise Unconvertible("only 'path || literal' defaults are translated")
        default = self.node(right, current)
        path = self.node(left, current, optional=True).text
        if "?" not in path:
            raise Unconvertible("a default on a root variable is not translated")
        return Translation(f"{path}.orValue({default.text})", default.is_list)

    def _pipe(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right = node["children"]
        base = self.node(left, current, optional)
        if right["type"] == "index_expression" or right["type"] == "index":
            index = right["value"] if right["type"] == "index" else None
            if index is not None:
                return Translation(f"{base.text}[{int(index)}]")
        raise Unconvertible("pipes are not translated")

    def _function_expression(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        name = str(node["value"])
        args = [self.node(c, current) for c in node["children"]]
        texts = [a.text for a in args]
        if name == "length" and len(args) == 1:
            return Translation(f"size({texts[0]})")
        if name in _FUNCTIONS_METHOD and len(args) == 2:
            return Translation(f"{texts[0]}.{_FUNCTIONS_METHOD[name]}({texts[1]})")
        if name == "contains" and len(args) == 2:
            return Translation(f"({texts[1]} in {texts[0]})" if args[0].is_list else f"{texts[0]}.contains({texts[1]})")
        if name == "to_string" and len(args) == 1:
            return Translation(f"string({texts[0]})")
        if name == "to_upper" and len(args) == 1:
            return Translation(f"{texts[0]}.upperAscii()")
        if name == "to_lower" and len(args) == 1:
            return Translation(f"{texts[0]}.lowerAscii()")
        if name == "regex_match" and len(args) == 2:
            return Translation(f"string({texts[1]}).matches({texts[0]})")
        if name == "keys" and len(args) == 1:
            return Translation(f"{texts[0]}.map(k, k)", True)
        if name == "split" and len(args) == 2:
            return Translation(f"{texts[0]}.split({texts[1]})", True)
        if name == "join" and len(args) == 2:
            return Translation(f"{texts[1]}.join({texts[0]})")
        raise Unconvertible(f"JMESPath function {name}() is not translated")


def translate(expression: str, scope: Scope) -> Translation:
    """One JMESPath expression (without braces) as CEL."""
    return _Translator(scope).node(parse(expression.strip()))


def translate_value(value: Any, scope: Scope) -> Translation:
    """A condition key or value: a literal, a whole ``{{ }}`` variable, or a string with embedded variables."""
    if not isinstance(value, str):
        if isinstance(value, list):
            return Translation(cel_literal(value), True)
        return Translation(cel_literal(value))
    matches = list(_VARIABLE.finditer(value))
    if not matches:
        return Translation(cel_string(value))
    if len(matches) == 1 and matches[0].group(0) == value.strip():
        return translate(matches[0].group(1), scope)
    parts: list[str] = []
    last = 0
    for match in matches:
        if match.start() > last:
            parts.append(cel_string(value[last:match.start()]))
        parts.append(f"string({translate(match.group(1), scope).text})")
        last = match.end()
    if last < len(value):
        parts.append(cel_string(value[last:]))
    return Translation(" + ".join(parts))


def has_variables(value: Any) -> bool:
    """Whether a string holds ``{{ }}``."""
    return isinstance(value, str) and "{{" in value
