"""One compiled ClusterPolicy/Policy rule and its ``evaluate`` (Kyverno's ``validate.cel`` handler).

Each rule (and each autogen copy) is its own compiled policy object carrying the policy name, so that a policy gives
one :class:`RuleResult` per rule, named after the rule. Order: policy namespace (Policy), match/exclude, then for
``validate.cel`` the parameter objects, ``celPreconditions`` (skip when false), variables and expressions. The
first expression that is false (or fails under failurePolicy Fail) makes the rule fail; otherwise it passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..common.admission import ADMIT, DENY, ERROR, AdmissionValidator, admission_policy_data
from ..common.labels import MalformedLabels, labels_of
from ..common.options import EvaluationOptions
from ..common.params import ParamError, resolve_params
from ..common.pipeline import Admitted, PolicyPipeline
from ..common.policy_exception import PolicyException
from ..common.validations import failure_result
from ..common.wildcard import has_wildcard, wildcard_match
from ..request import AdmissionContext
from ..resources import DEFAULT_CATALOG, guess_plural
from ..results import RuleResult
from .legacy import mutated_resource, run_legacy_rule, run_target_rules
from .match import KindSelector, MatchSubject, rule_matches, wildcard_selector_matches
from .model import ClusterPolicy, FailureActionOverride, Rule


def _plural_of(kind: str) -> str:
    for resource_type in DEFAULT_CATALOG.types():
        if resource_type.kind == kind:
            return resource_type.plural
    return guess_plural(kind)


@dataclass(kw_only=True)
class CompiledRule(PolicyPipeline[ClusterPolicy]):
    """A ClusterPolicy rule (or autogen copy) ready to evaluate; ``unsupported`` names a rule type not evaluated.

    ``failure_policy`` is the policy's ``spec.failurePolicy``, ``background`` its ``spec.background`` and
    ``actions`` ``[Deny]`` for an Enforce rule, ``[Audit]`` otherwise."""

    exceptions_apply = False
    rule: Rule
    validator: AdmissionValidator | None = None
    unsupported: str = ""
    #: The rule document (autogen copies: as generated), evaluated by :mod:`.rules` unless it is ``validate.cel``.
    raw: dict[str, Any] = field(default_factory=dict)
    #: ``failureActionOverrides`` of the rule, else ``validationFailureActionOverrides`` of the policy.
    action_overrides: tuple[FailureActionOverride, ...] = ()
    #: The policy's mutate rules (and autogen copies) in order, each run on the output of the previous one.
    mutations: list[CompiledRule] = field(default_factory=list)
    #: Every rule of the policy in order (``applyRules: One`` stops at the first one that applied).
    siblings: list[CompiledRule] = field(default_factory=list)

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys of the kinds the rule matches (``*`` for wildcards and unknowns)."""
        keys: set[tuple[str, str, str]] = set()
        kinds = self.rule.match.kinds()
        if not kinds:
            return {("*", "*", "*")}
        for text in kinds:
            selector = KindSelector.parse(text)
            group = "*" if has_wildcard(selector.group) else selector.group
            version = "*" if has_wildcard(selector.version) else selector.version
            keys.add((group, version, "*" if has_wildcard(selector.kind) else _plural_of(selector.kind)))
        return keys

    def selects(self, ctx: AdmissionContext) -> bool:
        """The rule's match/exclude select the request."""
        return rule_matches(self.rule.match, self.rule.exclude, MatchSubject.of(ctx))

    @property
    def rule_name(self) -> str:
        """Results are named after the rule (``autogen-...`` for autogen copies)."""
        return self.rule.name

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult | None:
        """``validate.cel``: parameters, then the Kubernetes validator; other rule types: :mod:`.rules`."""
        if self.unsupported:
            return self.make_result(ctx, "error", f"unsupported rule type: {self.unsupported}")
        if self.validator is None:
            return self._legacy(ctx, admitted, options)
        cel = self.rule.validation.cel if self.rule.validation else None
        params: list[dict[str, Any] | None] = [None]
        if cel is not None and cel.param_kind is not None and cel.param_ref is not None:
            try:
                found = resolve_params(cel.param_kind, cel.param_ref, ctx.resource().namespace)
            except ParamError as exc:
                return self.make_result(ctx, "error", f"error in parameterized resource: {exc}")
            if not found and cel.param_ref.parameter_not_found_action == "Deny":
                return self.make_result(ctx, "error", "error in parameterized resource: no params found")
            params = list(found)
        return self._validate(ctx, self.validator, params, options)

    def _legacy(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult | None:
        run = run_legacy_rule(self, ctx, admitted.exceptions)
        if run is None:
            return None
        status, message = run.outcome.status, run.outcome.message
        try:
            actions = self.actions_for(ctx)
        except MalformedLabels as problem:
            return self.make_result(ctx, "error", f"cannot decide the rule's failure action: {problem}")
        if status == "fail" and self._existing_violation(ctx, actions):
            return self.make_result(ctx, "skip", "rule skipped: the resource already violated it before the update "
                                    "(allowExistingViolations)", actions=actions)
        if status == "fail":
            status = failure_result(actions, options.audit_warn)
        patched = run.patched
        if patched is not None:  # a mutation's result carries the resource after all of the policy's mutations
            patched = mutated_resource(self, ctx)
        return self.make_result(ctx, status, message, actions=actions, patched=patched,
                                generated=list(run.generated))

    def evaluate_targets(
        self,
        ctx: AdmissionContext,
        candidates: Iterable[dict[str, Any]] = (),
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> list[RuleResult]:
        """Mutate-existing preview: the results on each of ``candidates`` the rule's targets select for the
        triggering request ``ctx``."""
        mutate = self.raw.get("mutate")
        if not isinstance(mutate, dict) or not mutate.get("targets") or self.unsupported:
            return []
        results = []
        for target, run in run_target_rules(self, ctx, candidates):
            subject = dict(target) if target else None
            results.append(self.make_result(None if subject else ctx, run.outcome.status, run.outcome.message,
                                            subject=subject, patched=run.patched))
        return results

    def _existing_violation(self, ctx: AdmissionContext, actions: tuple[str, ...]) -> bool:
        """Enforce on UPDATE with ``allowExistingViolations`` (default true): the old object fails the rule too."""
        validate = self.raw.get("validate")
        if "Deny" not in actions or ctx.operation != "UPDATE" or ctx.old_object is None:
            return False
        if ctx.old_object is ctx.object:  # no old version known (the CLI's UPDATE): Kyverno has no old resource
            return False
        if not isinstance(validate, dict) or validate.get("allowExistingViolations") is False:
            return False
        old = AdmissionContext(operation="CREATE", object=ctx.old_object, user_info=ctx.user_info, roles=ctx.roles,
                               cluster_roles=ctx.cluster_roles, namespace_object=ctx.namespace_object,
                               subresource=ctx.subresource, plural=ctx.plural)
        run = run_legacy_rule(self, old, [])
        return run is not None and run.outcome.status == "fail"

    def actions_for(self, ctx: AdmissionContext) -> tuple[str, ...]:
        """The rule's action in the request's namespace (``failureActionOverrides`` first)."""
        namespace = ctx.resource().namespace
        labels: dict[str, Any] | None = None
        for override in self.action_overrides:
            if override.namespaces and not any(wildcard_match(n, namespace) for n in override.namespaces):
                continue
            if labels is None and override.namespace_selector is not None:
                # Labels that are not a map raise MalformedLabels: the action cannot be decided (an error result).
                labels = labels_of(ctx.namespace_object, f"namespace {namespace}")
            if override.namespace_selector is not None and not wildcard_selector_matches(
                override.namespace_selector, labels or {}
            ):
                continue
            if not override.namespaces and override.namespace_selector is None:
                continue
            return ("Deny",) if override.action.lower() == "enforce" else ("Audit",)
        return self.actions

    def _validate(
        self,
        ctx: AdmissionContext,
        validator: AdmissionValidator,
        params: list[dict[str, Any] | None],
        options: EvaluationOptions,
    ) -> RuleResult:
        """Kyverno's ``validate.cel`` handler: an admitted error is an ``error``, a deny a failure."""
        data = admission_policy_data(ctx)
        properties: dict[str, str] = {}
        for param in params:
            outcome = validator.validate(data, param)
            if not outcome.matched:
                return self.make_result(ctx, "skip", "cel preconditions not met")
            properties.update(outcome.audit_annotations or {})
            for decision in outcome.decisions:
                extra: dict[str, Any] = {
                    "validation_index": decision.index,
                    "expression": decision.expression,
                    "properties": dict(properties),
                }
                if decision.action == ADMIT and decision.evaluation == ERROR:
                    return self.make_result(ctx, "error", decision.message, **extra)
                if decision.action == DENY:
                    result = failure_result(self.actions, options.audit_warn)
                    return self.make_result(ctx, result, decision.message, **extra)
        return self.make_result(ctx, "pass", f"Validation rule '{self.rule.name}' passed.", properties=properties)
