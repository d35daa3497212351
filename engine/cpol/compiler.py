"""ClusterPolicy/Policy -> one compiled object per rule, plus the autogen copies of Pod rules."""

from __future__ import annotations

from typing import Any

from ..cel import environment_for
from ..common.admission import AdmissionValidator
from ..common.expressions import Compiler
from ..common.kind import KindSpec
from ..common.model import parse_model
from .autogen import autogen_rules
from .model import UNSUPPORTED_TYPES, ClusterPolicy, Rule, rule_type, unsupported_feature
from .policy import CompiledRule


def _compile_rule(
    policy: ClusterPolicy, kind: KindSpec, raw_rule: dict[str, Any], path: str, autogen: str, compiler: Compiler
) -> CompiledRule:
    rule: Rule = parse_model(Rule, raw_rule, path)
    rule_kind = rule_type(raw_rule)
    feature = unsupported_feature(raw_rule)
    validator = None
    unsupported = ""
    if rule_kind in UNSUPPORTED_TYPES:
        unsupported = rule_kind
    elif rule_kind == "validate.cel" and feature:
        unsupported = feature
    elif rule_kind == "validate.cel" and rule.validation is not None and rule.validation.cel is not None:
        cel = rule.validation.cel
        prefix = f"{path}.validate.cel"
        validator = AdmissionValidator.compile(
            compiler,
            match_conditions=rule.cel_preconditions,
            variables=cel.variables,
            validations=cel.expressions,
            audit_annotations=cel.audit_annotations,
            failure_policy=policy.spec.failure_policy,
            paths={
                "matchConditions": f"{path}.celPreconditions",
                "variables": f"{prefix}.variables",
                "validations": f"{prefix}.expressions",
                "auditAnnotations": f"{prefix}.auditAnnotations",
            },
        )
    action = (rule.validation.failure_action if rule.validation else "") or policy.spec.validation_failure_action
    overrides = (rule.validation.failure_action_overrides if rule.validation else None) or \
        policy.spec.validation_failure_action_overrides
    return CompiledRule(
        spec=kind,
        policy=policy,
        env=compiler.env,
        match_constraints=None,
        rule=rule,
        validator=validator,
        unsupported=unsupported,
        failure_policy=policy.spec.failure_policy,
        actions=("Deny",) if action.lower() == "enforce" else ("Audit",),
        action_overrides=tuple(overrides),
        raw=raw_rule,
        background=policy.spec.background,
        autogen=autogen,
    )


def compile_cluster_policy(policy: ClusterPolicy, kind: KindSpec) -> list[CompiledRule]:
    """Compile every rule and autogen rule; raise :class:`PolicyCompileError` listing every bad expression."""
    compiler = Compiler(environment_for(kind.cel))
    raw_rules: list[dict[str, Any]] = list(policy.raw_spec.get("rules") or [])
    compiled = [_compile_rule(policy, kind, raw, f"spec.rules[{i}]", "", compiler) for i, raw in enumerate(raw_rules)]
    for generated in autogen_rules(policy.metadata.annotations, raw_rules):
        path = f"autogen rule {generated.raw.get('name')!r}"
        compiled.append(_compile_rule(policy, kind, generated.raw, path, generated.config, compiler))
    compiler.check(policy.qualified_name)
    mutations = [rule for rule in compiled if rule.raw.get("mutate") and not rule.unsupported]
    for rule in compiled:
        rule.mutations = mutations
        rule.siblings = compiled
    return compiled
