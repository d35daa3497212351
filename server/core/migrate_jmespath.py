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
    #: What ``request.object`` reads: ``object``, or ``oldObject`` for a rule that only sees DELETE requests
    #: (Kyverno reads the old object there).
    object_name: str = "object"
    #: Names bound inside a foreach (its context variables, ``cel.bind``) -> their CEL identifiers.
    locals: dict[str, str] = field(default_factory=dict)

    def loop_variable(self) -> str:
        """A fresh comprehension variable (``c``, ``c2``...)."""
        name = "c" if not self.loops else f"c{len(self.loops) + 1}"
        return name


def variable_name(name: str) -> str:
    """A context entry name as a CEL variable name (``roles-dictionary`` -> ``roles_dictionary``)."""
    return re.sub(r"\W", "_", name)


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
    return f"({cel_string(name)} in {base})"


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
#: JMESPath functions whose CEL form is a template of their arguments' texts: (name, arity) -> (template, yields a
#: list).
_FUNCTION_TEMPLATES: dict[tuple[str, int], tuple[str, bool]] = {
    ("length", 1): ("size({0})", False),
    ("to_string", 1): ("string({0})", False),
    ("to_upper", 1): ("{0}.upperAscii()", False),
    ("to_lower", 1): ("{0}.lowerAscii()", False),
    ("regex_match", 2): ("string({1}).matches({0})", False),
    ("keys", 1): ("{0}.map(k, k)", True),
    ("split", 2): ("{0}.split({1})", True),
    ("join", 2): ("{1}.join({0})", False),
    ("base64_decode", 1): ("string(base64.decode({0}))", False),
    ("parse_json", 1): ("json.unmarshal({0})", False),
    ("parse_yaml", 1): ("yaml.parse({0})", False),
}
_COMPARATORS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


@dataclass
class Translation:
    """A CEL expression and whether it yields a list (JMESPath projections do)."""

    text: str
    is_list: bool = False


class _Translator:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        #: Raw-string placeholders standing for inner ``{{ }}`` variables, and their CEL text.
        self.markers: dict[str, str] = {}
        #: Whether ``@`` (after a pipe) is a list.
        self.current_is_list = False

    def node(self, node: Mapping[str, Any], current: str | None = None, optional: bool = False) -> Translation:
        kind = node["type"]
        method = getattr(self, f"_{kind}", None)
        if method is None:
            raise Unconvertible(f"JMESPath {kind.replace('_', ' ')} has no CEL translation here")
        result: Translation = method(node, current, optional)
        return result

    # --- paths -------------------------------------------------------------------------------------------------
    def _root(self, name: str) -> str:
        if name in self.scope.locals:
            return self.scope.locals[name]
        if name == "element" and self.scope.element:
            return self.scope.element
        depth = re.fullmatch(r"element(\d+)", name)
        if depth and self.scope.element:  # the foreach of that depth (0: the outermost)
            return "element" if depth.group(1) == "0" else name
        if name in self.scope.variables:
            return f"variables.{variable_name(name)}"
        if name == "request":
            return "request"
        if name == "serviceAccountName":  # the name in a system:serviceaccount:<namespace>:<name> username
            return ("(request.userInfo.username.startsWith('system:serviceaccount:') ? "
                    "request.userInfo.username.split(':')[3] : '')")
        raise Unconvertible(f"variable {name!r} has no counterpart in a ValidatingPolicy")

    def _field(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        name = str(node["value"])
        if current is None:
            return Translation(self._root(name))
        if current == "request":
            mapped = {"object": self.scope.object_name, "oldObject": "oldObject", "operation": "request.operation",
                      "namespace": "request.namespace", "userInfo": "request.userInfo"}
            if name not in mapped:
                raise Unconvertible(f"request.{name} has no counterpart in a ValidatingPolicy")
            return Translation(mapped[name])
        if current in ("object", "oldObject") and name in ("spec", "metadata"):
            optional = False  # kept plain: autogen rewrites object.spec / object.metadata to the pod template
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
        return Translation(current, self.current_is_list)

    def _identity(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        return self._current(node, current, optional)

    def _literal(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        value = node["value"]
        if isinstance(value, str) and self.markers:
            return self._raw_string(node, current, optional)
        return Translation(cel_literal(value), isinstance(value, list))

    def _raw_string(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        text = str(node["value"])
        if text in self.markers:
            return Translation(self.markers[text])
        for marker, replacement in self.markers.items():
            if marker in text:
                before, _, after = text.partition(marker)
                return Translation(" + ".join(p for p in (cel_string(before) if before else "", replacement,
                                                          cel_string(after) if after else "") if p))
        return Translation(cel_string(text))

    # --- lists -------------------------------------------------------------------------------------------------
    def _with_loop(self, body: Mapping[str, Any]) -> tuple[str, Translation]:
        variable = self.scope.loop_variable()
        self.scope.loops.append(variable)
        try:
            return variable, self.node(body, variable)
        finally:
            self.scope.loops.pop()

    def _list_base(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        """The list a projection or filter works on (an optional path gets ``orValue([])``)."""
        base = self.node(node, current, optional)
        if optional and "?" in base.text and not base.text.endswith(")"):
            return Translation(f"{base.text}.orValue([])", True)
        return base

    def _projection(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right = node["children"]
        base = self._list_base(left, current, optional)
        if right["type"] == "identity":
            return Translation(base.text, True)
        variable, body = self._with_loop(right)
        fields = _field_path(right)
        if fields:  # a projection leaves out the items that lack the field
            presence = " && ".join(has_field(".".join([variable, *fields[:i]]) if i else variable, name)
                                   for i, name in enumerate(fields))
            return Translation(f"{base.text}.filter({variable}, {presence}).map({variable}, {body.text})", True)
        return Translation(f"{base.text}.map({variable}, {body.text})", True)

    def _flatten(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        [inner] = node["children"]
        if inner["type"] == "subexpression" and inner["children"][-1]["type"] == "multi_select_list":
            prefix = {"type": "subexpression", "children": inner["children"][:-1]}
            base = self.node(prefix if len(inner["children"]) > 2 else inner["children"][0], current)
            parts = [self.node(child, base.text, optional=True).text + ".orValue([])"
                     for child in inner["children"][-1]["children"]]
            return Translation("(" + " + ".join(parts) + ")", True)
        base = self.node(inner, current, optional)
        if inner["type"] in ("projection", "filter_projection", "flatten"):
            return Translation(f"{base.text}.flatten()", True)
        return Translation(base.text, True)  # a list of values flattens to itself

    def _filter_projection(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right, condition = node["children"]
        base = self._list_base(left, current, optional)
        variable, test = self._with_loop(condition)
        fields = _field_path(condition)
        if fields:  # a bare field is a truthiness test: present
            test = Translation(" && ".join(has_field(".".join([variable, *fields[:i]]) if i else variable, name)
                                           for i, name in enumerate(fields)))
        filtered = f"{base.text}.filter({variable}, {test.text})"
        if right["type"] == "identity":
            return Translation(filtered, True)
        variable, body = self._with_loop(right)
        return Translation(f"{filtered}.map({variable}, {body.text})", True)

    def _multi_select_dict(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        pairs = [f"{cel_string(str(c['value']))}: {self.node(c['children'][0], current).text}"
                 for c in node["children"]]
        return Translation("{" + ", ".join(pairs) + "}")

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
        if left["type"] not in ("subexpression", "field", "flatten", "projection", "filter_projection"):
            raise Unconvertible("only 'path || default' is translated")
        if right["type"] not in ("literal", "raw_string"):  # another value: used when the first is absent or ''
            first = self.node(left, current, optional=True).text
            if "?" not in first:
                raise Unconvertible("a default on a root variable is not translated")
            other = self.node(right, current).text
            return Translation(f"({first}.orValue('') != '' ? {first}.orValue('') : {other})")
        default = self.node(right, current)
        path = self.node(left, current, optional=True)
        if path.is_list and not path.text.endswith(("])", "]")) and "?" not in path.text.rsplit(")", 1)[-1]:
            # a list: an empty one falls back to the default ([] and '' both stand for "nothing")
            if right.get("value") in ([], ""):
                return path
            return Translation(f"(size({path.text}) > 0 ? {path.text} : {default.text})", True)
        if "?" in path.text:
            return Translation(f"{path.text}.orValue({default.text})", default.is_list or path.is_list)
        if isinstance(right.get("value"), str):  # an empty string value falls back to the default
            return Translation(f"({path.text} != '' ? {path.text} : {default.text})")
        raise Unconvertible("a default on a root variable is not translated")

    def _pipe(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        left, right = node["children"]
        base = self.node(left, current, optional)
        if right["type"] == "index":
            return Translation(f"{base.text}[{int(right['value'])}]")
        self.current_is_list = base.is_list
        try:
            return self.node(right, base.text, optional)
        finally:
            self.current_is_list = False

    def _index(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        if current is None:
            raise Unconvertible("an index without a value has no CEL translation")
        return Translation(f"{current}[{int(node['value'])}]")

    def _function_expression(self, node: Mapping[str, Any], current: str | None, optional: bool) -> Translation:
        name = str(node["value"])
        args = [self.node(c, current) for c in node["children"]]
        texts = [a.text for a in args]
        template = _FUNCTION_TEMPLATES.get((name, len(args)))
        if template is not None:
            return Translation(template[0].format(*texts), template[1])
        if name in _FUNCTIONS_METHOD and len(args) == 2:
            return Translation(f"{texts[0]}.{_FUNCTIONS_METHOD[name]}({texts[1]})")
        if name == "contains" and len(args) == 2:
            if args[0].is_list:
                return Translation(f"({texts[1]} in {texts[0]})")
            return Translation(f"(type({texts[0]}) == list ? {texts[1]} in {texts[0]} : "
                               f"string({texts[0]}).contains({texts[1]}))")
        if name == "pattern_match" and len(args) == 2 and node["children"][0]["type"] == "literal":
            return Translation(matches(f"string({texts[1]})", wildcard_regex(str(node["children"][0]["value"]))))
        if name == "items" and len(args) == 3 and not args[0].is_list:
            return Translation(f"{texts[0]}.map(k, k).sort().map(k, {{{texts[1]}: k, {texts[2]}: {texts[0]}[k]}})",
                               True)
        raise Unconvertible(f"JMESPath function {name}() is not translated")


def variables_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, inner text) of each outermost ``{{ }}`` of a string (inner variables stay in the text)."""
    found = []
    depth, start, i = 0, -1, 0
    while i < len(text) - 1:
        pair = text[i:i + 2]
        if pair == "{{":
            if depth == 0:
                start = i
            depth += 1
            i += 2
        elif pair == "}}" and depth:
            depth -= 1
            i += 2
            if depth == 0:
                found.append((start, i, text[start + 2:i - 2].strip().removeprefix("-").strip()))
        else:
            i += 1
    return found


def _field_path(node: Mapping[str, Any]) -> list[str]:
    """The field names of a plain ``a.b.c`` path node (empty for anything else)."""
    if node["type"] == "field":
        return [str(node["value"])]
    if node["type"] == "subexpression" and all(c["type"] == "field" for c in node["children"]):
        return [str(c["value"]) for c in node["children"]]
    return []


def translate(expression: str, scope: Scope) -> Translation:
    """One JMESPath expression (without braces) as CEL; ``'{{ inner }}'`` literals inside it (Kyverno substitutes
    them first) become the inner expression's text."""
    inner = variables_in(expression)
    if not inner:
        return _Translator(scope).node(parse(expression.strip()))
    markers: dict[str, str] = {}
    text = expression
    for index, (start, end, body) in reversed(list(enumerate(inner))):
        marker = f"__pykyverno_inner_{index}__"
        markers[marker] = f"string({translate(body, scope).text})"
        text = text[:start] + marker + text[end:]
    translator = _Translator(scope)
    translator.markers = markers
    return translator.node(parse(text.strip()))


def translate_optional(expression: str, scope: Scope) -> str:
    """A JMESPath path as an optional CEL chain (``object.spec.?a.?b``) for a default to follow."""
    return _Translator(scope).node(parse(expression.strip()), None, optional=True).text


def translate_on(expression: str, scope: Scope, current: str) -> Translation:
    """A JMESPath expression applied to the CEL value ``current`` (a context variable's ``jmesPath`` on its
    ``value``)."""
    return _Translator(scope).node(parse(expression.strip()), current)


def translate_value(value: Any, scope: Scope) -> Translation:
    """A condition key or value: a literal, a whole ``{{ }}`` variable, or a string with embedded variables."""
    if not isinstance(value, str):
        if isinstance(value, list):
            return Translation(cel_literal(value), True)
        return Translation(cel_literal(value))
    found = variables_in(value)
    if not found:
        return Translation(cel_string(value))
    if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(value.rstrip()) and not value[:1].isspace():
        return translate(found[0][2], scope)
    parts: list[str] = []
    last = 0
    for start, end, body in found:
        if start > last:
            parts.append(cel_string(value[last:start]))
        parts.append(f"string({translate(body, scope).text})")
        last = end
    if last < len(value):
        parts.append(cel_string(value[last:]))
    return Translation(" + ".join(parts))


def has_variables(value: Any) -> bool:
    """Whether a string holds ``{{ }}``."""
    return isinstance(value, str) and "{{" in value
