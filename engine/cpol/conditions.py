"""``preconditions`` and ``deny.conditions`` of ClusterPolicy rules (Kyverno's ``pkg/engine/variables/evaluate.go``).

A block is ``{any: [...], all: [...]}`` or a bare list (the deprecated form, meaning ``all``). Each condition is
``{key, operator, value, message}``. As Kyverno does, the whole block is variable-substituted first (so a variable
that cannot be resolved fails the evaluation even in a condition that would not be reached), then ``any`` passes
when one condition holds and ``all`` when every one does (both short-circuit; an absent block counts as passed;
both present must both pass). Operators are in :mod:`.condition_operators`.

The result keeps the ``message`` of the conditions that decided it: for a pass, the passing ``any`` condition and
the ``all`` conditions; for a failure, the ``any`` conditions that failed and the ``all`` condition that failed.
:func:`precondition_skip_message` and :func:`deny_message` build the rule messages Kyverno reports from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..jmespath import JMESPathError
from .condition_operators import evaluate_operator
from .context import ContextLoadError, JsonContext
from .variables import Resolver, default_resolver, substitute_all

__all__ = [
    "ConditionError",
    "ConditionsResult",
    "deny_message",
    "evaluate_conditions",
    "precondition_skip_message",
]


class ConditionError(JMESPathError):
    """The conditions could not be evaluated (substitution failure, malformed block or unknown operator)."""


@dataclass(frozen=True)
class ConditionsResult:
    """Whether the block holds, and the ``message`` of each condition that decided it (in order)."""

    passed: bool
    messages: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        """The deciding conditions' messages joined by ``; `` (empty ones left out)."""
        return "; ".join(m for m in self.messages if m)


def _blocks(conditions: Any) -> tuple[list[Any] | None, list[Any]]:
    if isinstance(conditions, list):
        return None, conditions
    if isinstance(conditions, Mapping):
        unknown = set(conditions) - {"any", "all"}
        if unknown:
            raise ConditionError(f"conditions: unknown field(s) {sorted(unknown)} (expected any / all)")
        any_block, all_block = conditions.get("any"), conditions.get("all")
        for name, block in (("any", any_block), ("all", all_block)):
            if block is not None and not isinstance(block, list):
                raise ConditionError(f"conditions.{name}: must be a list")
        return any_block, all_block or []
    raise ConditionError("conditions: must be a mapping with any/all or a list")


def _condition(item: Any, where: str) -> tuple[Any, str, Any, str]:
    if not isinstance(item, Mapping):
        raise ConditionError(f"{where}: a condition must be a mapping with key, operator and value")
    operator = item.get("operator")
    if not isinstance(operator, str) or not operator:
        raise ConditionError(f"{where}.operator: required")
    message = item.get("message")
    return item.get("key"), operator, item.get("value"), message if isinstance(message, str) else ""


def _holds(item: Any, where: str) -> tuple[bool, str]:
    key, operator, value, message = _condition(item, where)
    try:
        return evaluate_operator(operator, key, value), message
    except JMESPathError as exc:
        raise ConditionError(f"{where}: {exc}") from None


def evaluate_conditions(conditions: Any, ctx: JsonContext, *, resolver: Resolver = default_resolver,
                        pointer: Sequence[str | int] = ("preconditions",)) -> ConditionsResult:
    """Evaluate a conditions block; raise :class:`ConditionError` when it cannot be evaluated.

    ``pointer`` is where the block sits in the rule (used in error messages); ``resolver`` resolves variables
    (Kyverno's default fails on unknown keys).
    """
    if conditions is None:
        return ConditionsResult(True)
    try:
        substituted = substitute_all(conditions, ctx, pointer, resolver)
    except JMESPathError as exc:
        raise ConditionError(f"failed to substitute variables in {'.'.join(map(str, pointer))}: {exc}") from None
    any_block, all_block = _blocks(substituted)
    passed_messages: list[str] = []
    failed_messages: list[str] = []
    any_passed = True
    if any_block is not None:
        any_passed = False
        for index, item in enumerate(any_block):
            holds, message = _holds(item, f"any[{index}]")
            if holds:
                any_passed = True
                passed_messages.append(message)
                break
            failed_messages.append(message)
    all_passed = True
    for index, item in enumerate(all_block):
        holds, message = _holds(item, f"all[{index}]")
        if not holds:
            all_passed = False
            failed_messages.append(message)
            break
        passed_messages.append(message)
    passed = any_passed and all_passed
    return ConditionsResult(passed, tuple(passed_messages if passed else failed_messages))


def precondition_skip_message(result: ConditionsResult) -> str:
    """The message of a rule skipped because its preconditions do not hold."""
    return f"preconditions not met; {result.message}" if result.message else "preconditions not met"


def deny_message(rule_name: str, message: str, result: ConditionsResult, ctx: JsonContext) -> str:
    """The message of a rule whose ``deny.conditions`` hold (a failure).

    ``message`` is ``validate.message`` (variables substituted here; on failure the conditions' messages alone,
    as Kyverno does, or when there are none the default naming the substitution error: never the raw ``{{ }}``
    template); without it the default is ``validation error: rule <rule> failed``. Condition messages follow after
    ``; ``. A context entry that failed to load raises :class:`ContextLoadError` (the rule is an error: its verdict
    would rest on a lookup that was not made).
    """
    conditions_text = result.message
    if not message:
        base = f"validation error: rule {rule_name} failed"
    else:
        try:
            substituted = substitute_all(message, ctx, ("validate", "message"))
        except ContextLoadError:
            raise
        except JMESPathError as exc:
            return conditions_text or (f"validation error: rule {rule_name} failed (its message could not be "
                                       f"built: {exc})")
        base = substituted if isinstance(substituted, str) else (
            "the produced message didn't resolve to a string, check your policy definition.")
    return f"{base}; {conditions_text}" if conditions_text else base
