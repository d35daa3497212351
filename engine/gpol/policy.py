"""A compiled GeneratingPolicy and its one ``evaluate``: what Kyverno would create for a trigger resource.

Order: matchConstraints (and the policy namespace for the Namespaced kind), exceptions, matchConditions, then every
``generate[]`` entry in order. Expressions call ``generator.Apply(namespace, objects)``; templates are rendered and
created in their own namespace. Each evaluation records into a fresh sink, so nothing leaks between triggers. The
result is ``pass`` with the objects in ``RuleResult.generated`` (labelled as Kyverno labels downstream resources),
or ``error`` when an expression fails.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..cel import CelEnvironment, CelEvalError, Program, current_providers, using_providers
from ..cel.names import EXCEPTIONS
from ..cel.offline import RecordingGenerator
from ..common.compiled import CompiledPolicyBase, admission_data
from ..common.exceptions import PolicyException, matching_exceptions
from ..common.expressions import CompiledVariables, Scope, evaluate_conditions
from ..common.match import index_keys, matches
from ..request import AdmissionContext, split_api_version
from ..results import RuleResult
from ..vpol.policy import EvaluationOptions
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
    program: Program | None = None
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


@dataclass
class CompiledGeneratingPolicy(CompiledPolicyBase):
    """A GeneratingPolicy ready to evaluate many trigger resources."""

    policy: GeneratingPolicy
    env: CelEnvironment
    match_conditions: tuple[tuple[str, Program], ...]
    variables: CompiledVariables
    generations: tuple[CompiledGeneration, ...]
    autogen: str = ""

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys this policy can match."""
        return index_keys(self.policy.spec.match_constraints)

    def applies_to(self, ctx: AdmissionContext) -> bool:
        """matchConstraints (and, for namespaced policies, the policy's namespace) select the request."""
        res = ctx.resource()
        if self.policy.namespaced and res.namespace != self.policy.metadata.namespace:
            return False
        return matches(self.policy.spec.match_constraints, ctx, res)

    def _result(self, ctx: AdmissionContext, result: str, message: str = "", **extra: Any) -> RuleResult:
        return self.make_result(ctx, result, message, **extra)

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate one trigger; ``None`` when the policy does not apply to it."""
        if not self.applies_to(ctx):
            return None
        sink = RecordingGenerator()
        with using_providers(dataclasses.replace(current_providers(), generator=sink)):
            return self._evaluate(ctx, sink, exceptions or [], options or EvaluationOptions())

    def _evaluate(
        self, ctx: AdmissionContext, sink: RecordingGenerator, exceptions: list[PolicyException],
        options: EvaluationOptions,
    ) -> RuleResult | None:
        data: dict[str, Any] = admission_data(ctx)
        scope = Scope(self.env, data, self.variables)
        if exceptions:
            policy_name = self.policy.metadata.name
            outcome = matching_exceptions(exceptions, policy_name, self.kind, self.env, scope, options.now)
            if outcome.decides:
                return self._result(ctx, outcome.result, outcome.message(), properties={"exceptions": outcome.names})
            if outcome.matched:
                data[EXCEPTIONS] = outcome.variable()
                scope = Scope(self.env, data, self.variables)
        conditions = evaluate_conditions(scope, self.match_conditions)
        if conditions.error:
            return self._result(ctx, "error", conditions.error)
        if not conditions.matched:
            return None
        for generation in self.generations:
            try:
                if generation.program is not None:
                    scope.evaluate(generation.program)
                elif generation.template is not None:
                    for obj in generation.template.render(scope.evaluate):
                        sink.apply(str((obj.get("metadata") or {}).get("namespace") or ""), [obj])
            except (CelEvalError, TemplateError) as exc:
                message = exc.message if isinstance(exc, CelEvalError) else str(exc)
                return self._result(ctx, "error", f"error evaluating generate[{generation.index}]: {message}")
        labels = kyverno_labels(self.policy, ctx.subject)
        generated = []
        for obj in sink.generated:
            metadata = obj.setdefault("metadata", {})
            metadata["labels"] = {**(metadata.get("labels") or {}), **labels}
            generated.append(obj)
        return self._result(ctx, "pass", "", generated=generated)
