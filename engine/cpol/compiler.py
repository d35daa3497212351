"""ClusterPolicy/Policy -> one compiled object per rule, plus the autogen copies of Pod rules."""

from __future__ import annotations

from typing import Any

from ..cel import environment_for
from ..common.expressions import Compiler
from ..common.model import parse_model
from ..errors import PolicyCompileError
from ..vap.validator import AdmissionValidator
from .autogen import autogen_rules
from .model import ClusterPolicy, Rule, rule_type, unsupported_feature
from .policy import CompiledRule


def _compile_rule(
    policy: ClusterPolicy, raw_rule: dict[str, Any], path: str, autogen: str, compiler: Compiler
) -> CompiledRule:
    rule: Rule = parse_model(Rule, raw_rule, path)
    kind = rule_type(raw_rule)
    feature = unsupported_feature(raw_rule)
    if kind != "validate.cel" or feature or rule.validation is None or rule.validation.cel is None:
        unsupported = feature if kind == "validate.cel" and feature else kind
        return CompiledRule(policy, rule, compiler.env, None, unsupported, autogen)
    cel = rule.validation.cel
    prefix = f"{path}.validate.cel"
    validator = AdmissionValidator.compile(
        compiler,
        match_conditions=rule.cel_preconditions,
        variables=cel.variables,
        validations=cel.expressions,
        audit_annotations=cel.audit_annotations,
        failure_policy="Fail",
        paths={
            "matchConditions": f"{path}.celPreconditions",
            "variables": f"{prefix}.variables",
            "validations": f"{prefix}.expressions",
            "auditAnnotations": f"{prefix}.auditAnnotations",
        },
    )
    return CompiledRule(policy, rule, compiler.env, validator, "", autogen)


def compile_cluster_policy(policy: ClusterPolicy) -> list[CompiledRule]:
    """Compile every rule and autogen rule; raise :class:`PolicyCompileError` listing every bad expression."""
    compiler = Compiler(environment_for("cpol"))
    raw_rules: list[dict[str, Any]] = list(policy.raw_spec.get("rules") or [])
    compiled = [_compile_rule(policy, raw, f"spec.rules[{i}]", "", compiler) for i, raw in enumerate(raw_rules)]
    for generated in autogen_rules(policy.metadata.annotations, raw_rules):
        path = f"autogen rule {generated.raw.get('name')!r}"
        compiled.append(_compile_rule(policy, generated.raw, path, generated.config, compiler))
    if compiler.errors:
        raise PolicyCompileError(policy.qualified_name, compiler.errors)
    return compiled
