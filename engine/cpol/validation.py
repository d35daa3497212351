"""Validate rules with ``pattern`` or ``anyPattern`` (Kyverno's ``validatePatterns`` and its messages).

The rule's ``$(...)`` references and ``{{ }}`` variables are resolved in the pattern first (a failure is an
``error``: ``variable substitution failed: ...``); then:

* ``pattern``: ``pass`` (``validation rule '<rule>' passed.``), ``skip`` when a condition or global anchor was not
  met (the anchor's message), ``fail`` with ``validation error: [<message>.] rule <rule> failed at path <path>``,
  or ``error`` with ``... rule <rule> execution error: <why>`` when the failure has no path;
* ``anyPattern``: ``pass`` at the first pattern that matches (``... anyPattern[<i>] passed.``); else ``fail``
  listing every failed pattern (``rule <rule>[<i>] failed at path <path>``), or ``skip`` when every pattern was
  skipped.

The ``message`` of a failed ``pattern`` or ``anyPattern`` rule has its variables substituted; a message whose
variables cannot be resolved is not shown as the raw ``{{ }}`` template.
"""

from __future__ import annotations

from typing import Any

from .outcome import ERROR, FAIL, PASS, SKIP, RuleOutcome, Substitute
from .pattern import PatternError, match_pattern
from .references import resolve_references


def prepare_pattern(pattern: Any, substitute: Substitute | None = None) -> Any:
    """``pattern`` (or an anyPattern list) with references and then variables resolved; raises on failure."""
    resolved = resolve_references(pattern)
    return substitute(resolved) if substitute is not None else resolved


def validate_pattern(
    rule: str,
    resource: Any,
    pattern: Any,
    *,
    message: str = "",
    substitute: Substitute | None = None,
) -> RuleOutcome:
    """Evaluate a ``validate.pattern`` rule named ``rule`` on ``resource`` (the object, or a foreach element)."""
    try:
        pattern = prepare_pattern(pattern, substitute)
    except Exception as exc:  # the caller's substitution raises its own error types; each becomes a rule error
        return RuleOutcome(ERROR, f"variable substitution failed: {exc}")
    error = match_pattern(resource, pattern)
    if error is None:
        return RuleOutcome(PASS, f"validation rule '{rule}' passed.")
    if error.skip:
        return RuleOutcome(SKIP, error.message)
    return RuleOutcome(FAIL if error.path else ERROR, error_message(rule, error, message, substitute))


def error_message(rule: str, error: PatternError, message: str = "", substitute: Substitute | None = None) -> str:
    """Kyverno's ``buildErrorMessage`` for a failed pattern."""
    where = f"failed at path {error.path}" if error.path else f"execution error: {error.message}"
    if not message:
        return f"validation error: rule {rule} {where}"
    if substitute is not None:
        try:
            message = str(substitute(message))
        except Exception:  # Kyverno reports the pattern error instead of the message it could not build
            return f"validation error: variables substitution error in rule {rule} execution error: {error.message}"
    if not message.endswith("."):
        message += "."
    return f"validation error: {message} rule {rule} {where}"


def validate_any_pattern(
    rule: str,
    resource: Any,
    patterns: Any,
    *,
    message: str = "",
    substitute: Substitute | None = None,
    message_substitute: Substitute | None = None,
) -> RuleOutcome:
    """Evaluate a ``validate.anyPattern`` rule: the resource must match one of ``patterns``. The failure message
    goes through ``message_substitute``; one whose variables cannot be resolved is left out (never shown as
    the raw ``{{ }}`` template)."""
    try:
        patterns = prepare_pattern(patterns, substitute)
    except Exception as exc:  # as in validate_pattern
        return RuleOutcome(ERROR, f"variable substitution failed: {exc}")
    if not isinstance(patterns, list):
        return RuleOutcome(ERROR, "failed to deserialize anyPattern, expected type array")
    failed: list[str] = []
    skipped: list[str] = []
    for index, pattern in enumerate(patterns):
        error = match_pattern(resource, pattern)
        if error is None:
            return RuleOutcome(PASS, f"validation rule '{rule}' anyPattern[{index}] passed.")
        if error.skip:
            skipped.append(f"rule {rule}[{index}] skipped: {error.message}")
        elif error.path:
            failed.append(f"rule {rule}[{index}] failed at path {error.path}")
        else:
            failed.append(f"rule {rule}[{index}] failed: {error.message}")
    if failed:
        return RuleOutcome(FAIL, _any_pattern_message(_resolved_message(message, message_substitute), failed))
    if skipped:
        return RuleOutcome(SKIP, " ".join(skipped))
    return RuleOutcome(PASS, message)


def _resolved_message(message: str, substitute: Substitute | None) -> str:
    if not message or substitute is None or "{{" not in message:
        return message
    try:
        resolved = substitute(message)
    except Exception:  # as for patterns: the failure is reported without the message that cannot be built
        return ""
    return resolved if isinstance(resolved, str) else ""


def _any_pattern_message(message: str, failures: list[str]) -> str:
    joined = " ".join(failures)
    if not message:
        return f"validation error: {joined}"
    if message.endswith("."):
        return f"validation error: {message} {joined}"
    return f"validation error: {message}. {joined}"
