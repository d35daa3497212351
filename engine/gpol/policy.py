"""A compiled GeneratingPolicy and its one ``evaluate``: what Kyverno would create for a trigger resource.

Order: matchConstraints (and the policy namespace for the Namespaced kind), exceptions, matchConditions, then every
``generate[]`` entry in order. Expressions call ``generator.Apply(namespace, objects)``; templates are rendered and
created in their own namespace. Each evaluation records into a fresh sink, so nothing leaks between triggers. The
result is ``pass`` with the objects in ``RuleResult.generated`` (labelled as Kyverno labels downstream resources),
or ``error`` when an expression fails.
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from ..cel import CelEvalError, Program, current_providers, using_providers
from ..cel.offline import RecordingGenerator
from ..common.expressions import BoundProgram
from ..common.options import EvaluationOptions
from ..common.pipeline import Admitted, PolicyPipeline
from ..request import AdmissionContext, split_api_version
from ..results import RuleResult
from .model import GeneratingPolicy
from .template import CompiledTemplate, TemplateError

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
POLICY_NAME_LABEL = "generate.kyverno.io/policy-name"
POLICY_NAMESPACE_LABEL = "generate.kyverno.io/policy-namespace"
RULE_NAME_LABEL = "generate.kyverno.io/rule-name"
TRIGGER_GROUP_LABEL = "generate.kyverno.io/trigger-group"
TRIGGER_VERSION_LABEL = "generate.kyverno.io/trigger-version"
TRIGGER_KIND_LABEL = "generate.kyverno.io/trigger-kind"
TRIGGER_NAMESPACE_LABEL = "generate.kyverno.io/trigger-namespace"
TRIGGER_UID_LABEL = "generate.kyverno.io/trigger-uid"


@dataclass(frozen=True)
class CompiledGeneration:
    """One ``generate[]`` entry: an expression program or a template."""

    index: int
    program: Program | BoundProgram | None = None
    template: CompiledTemplate | None = None


def kyverno_labels(policy: GeneratingPolicy, trigger: dict[str, Any]) -> dict[str, str]:
    """The labels Kyverno's background controller puts on a generated (downstream) resource."""
    group, version = split_api_version(str(trigger.get("apiVersion") or ""))
    meta = trigger.get("metadata") or {}
    return {
        MANAGED_BY_LABEL: "kyverno",
        POLICY_NAME_LABEL: policy.metadata.name,
        POLICY_NAMESPACE_LABEL: policy.metadata.namespace,
        RULE_NAME_LABEL: "",
        TRIGGER_GROUP_LABEL: group,
        TRIGGER_VERSION_LABEL: version,
        TRIGGER_KIND_LABEL: str(trigger.get("kind") or ""),
        TRIGGER_NAMESPACE_LABEL: str(meta.get("namespace") or ""),
        TRIGGER_UID_LABEL: str(meta.get("uid") or ""),
    }


@dataclass(kw_only=True)
class CompiledGeneratingPolicy(PolicyPipeline[GeneratingPolicy]):
    """A GeneratingPolicy ready to evaluate many trigger resources."""

    generations: tuple[CompiledGeneration, ...] = ()

    def evaluating(self) -> AbstractContextManager[Any]:
        """Each evaluation records the generated objects into a fresh sink, so nothing leaks between triggers."""
        return using_providers(dataclasses.replace(current_providers(), generator=RecordingGenerator()))

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult:
        """Every ``generate[]`` entry in order; the recorded objects, labelled as Kyverno labels them."""
        sink = current_providers().generator
        assert isinstance(sink, RecordingGenerator)
        scope = admitted.scope
        for generation in self.generations:
            try:
                if generation.program is not None:
                    scope.evaluate(generation.program)
                elif generation.template is not None:
                    for obj in generation.template.render(scope.evaluate):
                        sink.apply(str((obj.get("metadata") or {}).get("namespace") or ""), [obj])
            except (CelEvalError, TemplateError) as exc:
                message = exc.message if isinstance(exc, CelEvalError) else str(exc)
                return self.make_result(ctx, "error", f"error evaluating generate[{generation.index}]: {message}")
        labels = kyverno_labels(self.policy, ctx.subject)
        generated = []
        for obj in sink.generated:
            metadata = obj.setdefault("metadata", {})
            metadata["labels"] = {**(metadata.get("labels") or {}), **labels}
            generated.append(obj)
        return self.make_result(ctx, "pass", "", generated=generated)
