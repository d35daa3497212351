"""kyverno.io/v2 (and v2beta1) PolicyExceptions for ClusterPolicy/Policy rules.

An exception applies to a rule when one of its ``exceptions[]`` names the policy (``ns/name`` for a Policy) and a
``ruleNames`` entry matches the rule name (wildcards), its ``match`` (any/all resource filters) selects the
request, and its ``conditions`` hold in the rule's context (an error counts as not holding).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ..common.policy_exception import PolicyException
from ..common.wildcard import wildcard_match
from ..jmespath import JMESPathError
from ..request import AdmissionContext
from .conditions import evaluate_conditions
from .context import JsonContext
from .match import MatchSubject, filter_matches
from .model import ClusterPolicy, MatchResources


def _names_rule(entries: Sequence[Mapping[str, Any]], policy_key: str, rule: str) -> bool:
    for entry in entries:
        if str(entry.get("policyName") or "") != policy_key:
            continue
        if any(wildcard_match(str(name), rule) for name in entry.get("ruleNames") or []):
            return True
    return False


def _matches(match: Mapping[str, Any] | None, subject: MatchSubject) -> bool:
    if not match:
        return False
    try:
        block = MatchResources.model_validate(match)
    except ValidationError:
        return False
    if block.any:
        return any(not f.is_empty() and filter_matches(f, subject) for f in block.any)
    if block.all:
        return all(not f.is_empty() and filter_matches(f, subject) for f in block.all)
    inline = block.inline()
    return not inline.is_empty() and filter_matches(inline, subject)


def legacy_exceptions(
    exceptions: Sequence[PolicyException], policy: ClusterPolicy, rule: str, ctx: AdmissionContext,
    json_ctx: JsonContext,
) -> list[PolicyException]:
    """Every kyverno.io/v2 exception that applies to ``rule`` of ``policy`` for the request."""
    key = policy.qualified_name
    subject = MatchSubject.of(ctx)
    found = []
    for exception in exceptions:
        spec = exception.spec
        if not spec.exceptions or not _names_rule(spec.exceptions, key, rule):
            continue
        if not _matches(spec.match, subject):
            continue
        if spec.conditions is not None:
            try:
                if not evaluate_conditions(spec.conditions, json_ctx, pointer=("conditions",)).passed:
                    continue
            except JMESPathError:
                continue
        found.append(exception)
    return found
