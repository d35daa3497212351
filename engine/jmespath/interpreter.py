"""Kyverno's go-jmespath fork semantics on top of the ``jmespath`` library's tree interpreter.

Differences from the JMESPath specification that Kyverno policies rely on:

- A field lookup on an object that lacks the key raises :class:`NotFoundError` (``Unknown key "k" in path``).
  It propagates through plain sub-expressions and index expressions to the top, where the query fails; inside
  ``||``, ``&&``, ``!``, comparisons, function arguments, projections and filters (their base and each element),
  multi-selects and pipe stages it becomes null. Lookups on null or on non-objects give null. (Kyverno's CLI
  reports ``request.userInfo.groups[?...]`` as null, not as an error, when ``userInfo`` has no ``groups``.)
- ``<``, ``<=``, ``>``, ``>=`` compare numbers only (anything else gives null); ``==`` is Go's deep equality
  (``true`` is not ``1``, ``1`` equals ``1.0``).
"""

from __future__ import annotations

from typing import Any

from jmespath import visitor

from .errors import NotFoundError
from .functions import KyvernoFunctions
from .gotext import is_number

__all__ = ["KyvernoInterpreter", "go_deep_equal"]


def go_deep_equal(left: Any, right: Any) -> bool:
    """``reflect.DeepEqual`` on JSON values (numbers compare by value, booleans only with booleans)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(go_deep_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(go_deep_equal(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and bool(left == right)


class _SoftExpression(visitor._Expression):  # type: ignore[misc]
    """An expression reference (``&expr``) whose evaluation turns unknown keys into null."""

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.interpreter.visit(node, *args, **kwargs)
        except NotFoundError:
            return None


class KyvernoInterpreter(visitor.TreeInterpreter):  # type: ignore[misc]
    """The tree interpreter with Kyverno's unknown-key errors and Go comparisons."""

    def __init__(self) -> None:
        super().__init__(visitor.Options(custom_functions=KyvernoFunctions()))

    def _soft(self, node: Any, value: Any) -> Any:
        try:
            return self.visit(node, value)
        except NotFoundError:
            return None

    def visit_field(self, node: Any, value: Any) -> Any:
        if isinstance(value, dict):
            key = node["value"]
            if key in value:
                return value[key]
            raise NotFoundError(key)
        return None

    def visit_comparator(self, node: Any, value: Any) -> Any:
        left = self._soft(node["children"][0], value)
        right = self._soft(node["children"][1], value)
        operator = node["value"]
        if operator == "eq":
            return go_deep_equal(left, right)
        if operator == "ne":
            return not go_deep_equal(left, right)
        if not (is_number(left) and is_number(right)):
            return None
        return self.COMPARATOR_FUNC[operator](left, right)

    def visit_expref(self, node: Any, value: Any) -> Any:
        return _SoftExpression(node["children"][0], self)

    def visit_function_expression(self, node: Any, value: Any) -> Any:
        arguments = [self._soft(child, value) for child in node["children"]]
        return self._functions.call_function(node["value"], arguments)

    def visit_filter_projection(self, node: Any, value: Any) -> Any:
        base = self._soft(node["children"][0], value)
        if not isinstance(base, list):
            return None
        condition, projection = node["children"][2], node["children"][1]
        collected = []
        for element in base:
            if self._is_true(self._soft(condition, element)):
                current = self._soft(projection, element)
                if current is not None:
                    collected.append(current)
        return collected

    def visit_projection(self, node: Any, value: Any) -> Any:
        base = self._soft(node["children"][0], value)
        if not isinstance(base, list):
            return None
        return self._project(node["children"][1], base)

    def visit_value_projection(self, node: Any, value: Any) -> Any:
        base = self._soft(node["children"][0], value)
        if not isinstance(base, dict):
            return None
        return self._project(node["children"][1], list(base.values()))

    def _project(self, projection: Any, elements: list[Any]) -> list[Any]:
        collected = []
        for element in elements:
            current = self._soft(projection, element)
            if current is not None:
                collected.append(current)
        return collected

    def visit_multi_select_dict(self, node: Any, value: Any) -> Any:
        if value is None:
            return None
        return {child["value"]: self._soft(child, value) for child in node["children"]}

    def visit_multi_select_list(self, node: Any, value: Any) -> Any:
        if value is None:
            return None
        return [self._soft(child, value) for child in node["children"]]

    def visit_or_expression(self, node: Any, value: Any) -> Any:
        matched = self._soft(node["children"][0], value)
        if self._is_false(matched):
            matched = self._soft(node["children"][1], value)
        return matched

    def visit_and_expression(self, node: Any, value: Any) -> Any:
        matched = self._soft(node["children"][0], value)
        if self._is_false(matched):
            return matched
        return self._soft(node["children"][1], value)

    def visit_not_expression(self, node: Any, value: Any) -> Any:
        return self._is_false(self._soft(node["children"][0], value))

    def visit_pipe(self, node: Any, value: Any) -> Any:
        result = value
        for child in node["children"]:
            result = self._soft(child, result)
        return result

    def _is_false(self, value: Any) -> bool:
        return value is None or value is False or (isinstance(value, str | list | dict) and len(value) == 0)
