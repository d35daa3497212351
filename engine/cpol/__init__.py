"""kyverno.io/v1 ClusterPolicy and Policy: one compiled object per rule and per autogen copy (``autogen``), matched
with Kyverno's match/exclude (``match``); ``validate.cel`` rules are evaluated, other rule types report an ``error``
naming the type.

May import ``engine/common``, ``engine/cel`` and the engine's root modules; never another kind package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..cel import CelProfile, libs, names
from ..common.kind import KindSpec
from ..common.loading import per_document
from .compiler import compile_cluster_policy
from .fields import field_problems
from .model import API_VERSIONS, KINDS, ClusterPolicy, rule_type


def rule_checks(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each rule's ``validate.cel`` expressions as (message, expression); other rules as (rule and type, "")."""
    checks: list[tuple[str, str]] = []
    for rule in spec.get("rules") or []:
        if not isinstance(rule, Mapping):
            continue
        name = str(rule.get("name") or "")
        kind = rule_type(dict(rule))
        if kind != "validate.cel":
            checks.append((f"rule {name} ({kind})", ""))
            continue
        for expression in ((rule.get("validate") or {}).get("cel") or {}).get("expressions") or []:
            if isinstance(expression, Mapping):
                label = str(expression.get("message") or expression.get("messageExpression") or name)
                checks.append((label, str(expression.get("expression") or "")))
    return checks


SPEC = KindSpec(
    name="ClusterPolicy", kinds=KINDS, api_versions=API_VERSIONS, report_source="kyverno", scanned=True,
    loader=per_document(ClusterPolicy.from_dict, compile_cluster_policy),
    cel=CelProfile(names.ADMISSION_POLICY_VARIABLES, libs.KUBERNETES), checks=rule_checks, lint=(field_problems,),
)

__all__ = ["SPEC", "rule_checks"]
