"""Evaluating policies on resources as Kyverno's admission would (``apply``, ``evaluate_policy``): mutating policies
first, in order, each on the previous result; then the other kinds on the mutated object."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from pykyverno.engine.cel import using_providers
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.cpol.chain import mutate_in_order
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.loader import load_documents
from pykyverno.engine.objects import object_key
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult

from .errors import InputError
from .inputs import EvaluationInputs, read_inputs
from .manifests import yaml_documents

ObjectKey = tuple[str, str, str]


@dataclass
class ApplyOutcome:
    """Results, and the objects the policies would change or create."""

    results: list[RuleResult] = field(default_factory=list)
    #: (original, mutated) pairs for resources a mutating policy changed.
    mutated: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    generated: list[dict[str, Any]] = field(default_factory=list)


def _request(
    inputs: EvaluationInputs, operation: str, old: dict[str, Any] | None, obj: dict[str, Any], _policy: str
) -> AdmissionContext:
    return inputs.request(obj, operation, old)


def apply_resources(
    index: PolicyIndex,
    resources: list[dict[str, Any]],
    inputs: EvaluationInputs,
    exceptions: list[PolicyException],
    operation: str = "CREATE",
    old_objects: Mapping[ObjectKey, dict[str, Any]] | None = None,
    options: EvaluationOptions | None = None,
) -> ApplyOutcome:
    """Evaluate every resource under ``operation`` (``old_objects`` by (kind, namespace, name) for UPDATE)."""
    outcome = ApplyOutcome()
    old_objects = old_objects or {}
    with using_providers(inputs.providers):
        for obj in resources:
            old = old_objects.get(object_key(obj))
            candidates = index.candidates(obj)
            current = obj
            for policy in (p for p in candidates if p.spec.mutates):
                result = policy.evaluate(inputs.request(current, operation, old), exceptions, options)
                if result is None:
                    continue
                outcome.results.append(result)
                if result.result == "pass" and result.patched is not None:
                    current = result.patched
            # kyverno.io/v1 mutate rules next, policy after policy; the other rules then see the final object
            chain = mutate_in_order(candidates, current, partial(_request, inputs, operation, old), exceptions)
            current = chain.final
            if current is not obj and current != obj:
                outcome.mutated.append((obj, current))
            ctx = inputs.request(current, operation, old)
            for policy in (p for p in candidates if not p.spec.mutates):
                seen = chain.object_for(policy.name)
                result = policy.evaluate(ctx if seen is current else inputs.request(seen, operation, old),
                                         exceptions, options)
                if result is not None:
                    if result.patched is not None and policy.name in chain.outputs:
                        result = replace(result, patched=chain.outputs[policy.name])
                    outcome.results.append(result)
                    outcome.generated.extend(result.generated)
    return outcome


@dataclass
class PolicyTextEvaluation:
    """What :func:`evaluate_policy_text` found: the policies' names, loading issues, and every result."""

    policies: list[str]
    issues: list[str]
    results: list[RuleResult]


def load_problems(loaded: PolicySet, names: Collection[str] | None = None) -> list[str]:
    """What keeps policies of ``loaded`` (those named ``names``, or all) from being evaluated as written: load errors
    and rules of a type pykyverno does not evaluate (a misspelt ``patern:`` leaves ``validate`` without a check)."""
    problems = [str(issue) for issue in loaded.errors]
    for policy in loaded.policies:
        reason = str(getattr(policy, "unsupported", "") or "")
        if reason and not policy.autogen and (names is None or policy.name in names):
            rule = str(getattr(policy, "rule_name", "") or "")
            problems.append(f"{policy.kind} {policy.name!r} rule {rule!r}: unsupported rule type: {reason}")
    return problems


def evaluate_policy_text(
    policy_yaml: str,
    exceptions_yaml: str | None,
    resources: list[dict[str, Any]],
    old_objects: Mapping[ObjectKey, dict[str, Any]],
    operation: str,
) -> PolicyTextEvaluation:
    """Load policies (and PolicyExceptions) from YAML text and evaluate them on ``resources`` (an agent's draft:
    the MCP tool runs this isolated, see :mod:`.isolation`). :class:`InputError` when no policy loads."""
    loaded = load_documents(yaml_documents(policy_yaml, "policy_yaml"))
    if exceptions_yaml:
        load_documents(yaml_documents(exceptions_yaml, "exceptions_yaml"), loaded)
    issues = [str(i) for i in loaded.issues]
    if not loaded.policies:
        raise InputError("no policy could be loaded from policy_yaml: " + ("; ".join(issues) or "no document")
                         + ". Call lint_policy for error positions.")
    problems = load_problems(loaded)
    if problems:
        raise InputError("policy_yaml does not load as written: " + "; ".join(problems)
                         + ". Call lint_policy for error positions.")
    inputs = read_inputs(resources=resources, base_path=Path.cwd())
    results = apply_resources(PolicyIndex(loaded.policies), resources, inputs, loaded.exceptions, operation,
                              old_objects).results
    return PolicyTextEvaluation(loaded.names(), issues, results)
