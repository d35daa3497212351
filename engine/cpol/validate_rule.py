"""The ``validate`` handler of kyverno.io/v1 rules: pattern, anyPattern, deny, podSecurity and foreach.

Each returns a :class:`RuleOutcome`, or ``None`` when Kyverno produces no response for the rule (a foreach whose
elements were all skipped). Variables are resolved against the rule's :class:`JsonContext`; see
``/work/shared/spec/kyverno-legacy.md`` sections 7.1-7.6 for the semantics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..jmespath import JMESPathError, NotFoundError
from .conditions import deny_message, evaluate_conditions
from .context import JsonContext
from .outcome import ERROR, FAIL, PASS, SKIP, RuleOutcome
from .pss import validate_pod_security
from .rulecontext import enter_element, load_rule_context
from .validation import validate_any_pattern, validate_pattern
from .variables import substitute_all, substitute_variables_in


@dataclass(frozen=True)
class ValidateScope:
    """What a validate handler runs with: the rule, its policy and context, and the resource under validation."""

    policy: str
    rule: str
    ctx: JsonContext
    resource: Any
    resource_name: str = ""


def _substituter(ctx: JsonContext, pointer: tuple[str | int, ...]) -> Callable[[Any], Any]:
    return lambda document: substitute_variables_in(document, ctx, pointer)


def _message(validate: Mapping[str, Any]) -> str:
    message = validate.get("message")
    return message if isinstance(message, str) else ""


def _deny(scope: ValidateScope, validate: Mapping[str, Any], pointer: tuple[str | int, ...]) -> RuleOutcome:
    deny = validate.get("deny") or {}
    conditions = deny.get("conditions") if isinstance(deny, Mapping) else None
    try:
        result = evaluate_conditions(conditions, scope.ctx, pointer=(*pointer, "deny", "conditions"))
    except JMESPathError as exc:
        return RuleOutcome(ERROR, f"failed to check deny conditions: {exc}")
    if not result.passed:
        return RuleOutcome(PASS, f"validation rule '{scope.rule}' passed.")
    return RuleOutcome(FAIL, deny_message(scope.rule, _message(validate), result, scope.ctx))


def validate_block(
    scope: ValidateScope, validate: Mapping[str, Any], pointer: tuple[str | int, ...] = ("validate",), depth: int = 0
) -> RuleOutcome | None:
    """One ``validate`` block (or a foreach entry, which has the same checks) on ``scope.resource``."""
    message = _message(validate)
    substitute = _substituter(scope.ctx, (*pointer, "pattern"))
    if validate.get("pattern") is not None:
        return validate_pattern(scope.rule, scope.resource, validate["pattern"], message=message,
                                substitute=_substituter_message(scope.ctx, substitute))
    if validate.get("anyPattern") is not None:
        any_substitute = _substituter(scope.ctx, (*pointer, "anyPattern"))
        return validate_any_pattern(scope.rule, scope.resource, validate["anyPattern"], message=message,
                                    substitute=any_substitute,
                                    message_substitute=_substituter_message(scope.ctx, any_substitute))
    if validate.get("deny") is not None:
        return _deny(scope, validate, pointer)
    if validate.get("podSecurity") is not None:
        return validate_pod_security(scope.rule, scope.resource, validate["podSecurity"])
    if validate.get("foreach") is not None:
        return validate_foreach(scope, validate["foreach"], (*pointer, "foreach"), depth)
    present = [k for k in ("manifests", "assert", "cel") if validate.get(k) is not None]
    what = present[0] if present else "no pattern, anyPattern, deny, podSecurity or foreach"
    return RuleOutcome(ERROR, f"validate.{what} is not supported in this rule" if present else f"validate: {what}")


def _substituter_message(ctx: JsonContext, substitute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The pattern substitution, which also serves the failure message (substituted as a whole document)."""

    def apply(document: Any) -> Any:
        if isinstance(document, str):
            return substitute_all(document, ctx, ("validate", "message"))
        return substitute(document)

    return apply


def _elements(scope: ValidateScope, entry: Mapping[str, Any]) -> list[Any]:
    expression = entry.get("list")
    if not isinstance(expression, str) or not expression.strip():
        raise JMESPathError("foreach: list is required")
    text = expression.strip()
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2].strip()
    if scope.ctx.data.get("request", {}).get("operation") == "DELETE":
        text = text.replace("request.object", "request.oldObject")
    found = scope.ctx.query(text)
    return found if isinstance(found, list) else [found]


def validate_foreach(
    scope: ValidateScope, entries: Any, pointer: tuple[str | int, ...], depth: int = 0
) -> RuleOutcome | None:
    """Kyverno's validate ``foreach``: the first failing element fails the rule; no element applied -> None."""
    if not isinstance(entries, list):
        return RuleOutcome(ERROR, "foreach must be a list")
    applied = 0
    list_error = ""
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            return RuleOutcome(ERROR, f"foreach[{index}] must be a mapping")
        try:
            elements = _elements(scope, entry)
        except NotFoundError:
            continue
        except JMESPathError as exc:
            list_error = f"failed to evaluate list {entry.get('list')}: {exc}"
            continue
        outcome, count = _each_element(scope, entry, elements, (*pointer, index), depth)
        if outcome is not None:
            return outcome
        applied += count
    if applied:
        return RuleOutcome(PASS, f"validation rule '{scope.rule}' passed.")
    if list_error:
        return RuleOutcome(ERROR, list_error)
    return None


def _each_element(
    scope: ValidateScope, entry: Mapping[str, Any], elements: list[Any], pointer: tuple[str | int, ...], depth: int
) -> tuple[RuleOutcome | None, int]:
    ctx = scope.ctx
    ctx.checkpoint()
    applied = 0
    try:
        for index, element in enumerate(elements):
            if element is None:
                continue
            enter_element(ctx, element, index, depth, scope.policy, scope.rule)
            element_scope = entry.get("elementScope")
            if element_scope is True and not isinstance(element, Mapping):
                return RuleOutcome(ERROR, f"cannot use elementScope=true foreach rules for elements that are not "
                                          f"maps, expected type=map got type={type(element).__name__}"), applied
            on_element = isinstance(element, Mapping) if element_scope is None else bool(element_scope)
            target = element if on_element else scope.resource
            try:
                load_rule_context(ctx, entry.get("context"), scope.policy, scope.rule, scope.resource_name)
                conditions = evaluate_conditions(entry.get("preconditions"), ctx, pointer=(*pointer, "preconditions"))
            except JMESPathError:
                continue
            if not conditions.passed:
                continue
            inner = ValidateScope(scope.policy, scope.rule, ctx, target, scope.resource_name)
            outcome = validate_block(inner, entry, pointer, depth + 1)
            if outcome is None or outcome.status == SKIP:
                continue
            if outcome.status in (FAIL, ERROR):
                return RuleOutcome(outcome.status, f"validation failure: {outcome.message}"), applied
            applied += 1
    finally:
        ctx.restore()
    return None, applied
