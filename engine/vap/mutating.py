"""Kubernetes MutatingAdmissionPolicy + MutatingAdmissionPolicyBinding (admissionregistration.k8s.io v1alpha1/v1beta1).

A compiled policy carries the bindings that name it. For a request it matches (the policy's ``matchConstraints``
and each binding's ``matchResources``), every binding in turn resolves its parameters (``paramRef`` by name, or by
label selector as a list object with ``items``), checks ``matchConditions`` and applies the ``mutations`` in order.
A policy without a binding is evaluated on its own, as the Kyverno CLI does. The result is ``pass`` with the mutated
object, ``error`` for evaluation errors and missing parameters (under ``parameterNotFoundAction: Deny``), or ``None``.

Parameters come from documents loaded with the policies (anything that is not a policy or binding) and, failing
that, from the ``resource`` provider of the evaluation (Test ``paramResources``, or a cluster).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..cel import CelEnvironment, current_providers, environment_for
from ..cel.names import AUTHORIZER, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, PARAMS, REQUEST
from ..common.exceptions import PolicyException
from ..common.expressions import CompiledVariables, Compiler, Scope, evaluate_conditions
from ..common.labels import selector_matches
from ..common.match import index_keys, matches
from ..common.model import LabelSelector, MatchResources, Model, NamedExpression, ObjectMeta, ResourceRule, parse_model
from ..errors import EngineError, LoadError, PolicyCompileError, PolicyValidationError
from ..mpol.compiler import compile_conditions, compile_mutations
from ..mpol.model import Mutation, check_mutations
from ..mpol.mutate import CompiledMutation, MutationError, run_mutations
from ..request import AdmissionContext
from ..resources import is_namespaced, plural_for
from ..results import ResourceRef, RuleResult

if TYPE_CHECKING:
    from ..cel import Program
    from ..documents import Document
    from ..loader import PolicySet
    from ..vpol.policy import EvaluationOptions

POLICY_KIND = "MutatingAdmissionPolicy"
BINDING_KIND = "MutatingAdmissionPolicyBinding"
MUTATING_KINDS = (POLICY_KIND, BINDING_KIND)
API_VERSIONS = (
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "admissionregistration.k8s.io/v1",
)


class ParamKind(Model):
    api_version: str
    kind: str


class ParamRef(Model):
    name: str = ""
    namespace: str = ""
    selector: LabelSelector | None = None
    parameter_not_found_action: Literal["Allow", "Deny"] = "Deny"


class MutatingAdmissionPolicySpec(Model):
    param_kind: ParamKind | None = None
    match_constraints: MatchResources | None = None
    variables: list[NamedExpression] = Field(default_factory=list)
    mutations: list[Mutation] = Field(default_factory=list)
    failure_policy: Literal["Fail", "Ignore"] = "Fail"
    match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    reinvocation_policy: Literal["Never", "IfNeeded"] = "Never"


class MutatingAdmissionPolicyBindingSpec(Model):
    policy_name: str
    param_ref: ParamRef | None = None
    match_resources: MatchResources | None = None


@dataclass(frozen=True)
class Binding:
    """A loaded MutatingAdmissionPolicyBinding."""

    name: str
    spec: MutatingAdmissionPolicyBindingSpec


class _NoParams(Exception):
    """No parameter object matched a binding's ``paramRef``."""


def _parse_policy(data: dict[str, Any]) -> tuple[ObjectMeta, MutatingAdmissionPolicySpec]:
    meta = parse_model(ObjectMeta, data.get("metadata") or {}, "metadata")
    raw = data.get("spec")
    if not isinstance(raw, dict):
        raise PolicyValidationError("spec: required, must be a mapping")
    spec = parse_model(MutatingAdmissionPolicySpec, raw, "spec")
    if spec.match_constraints is None:
        raise PolicyValidationError("spec.matchConstraints: required")
    if not spec.mutations:
        raise PolicyValidationError("spec.mutations: at least one mutation is required")
    check_mutations(spec.mutations)
    return meta, spec


def _unconstrained(resources: MatchResources) -> MatchResources:
    """A binding's matchResources without resourceRules does not constrain resources (only selectors/excludes)."""
    if resources.resource_rules:
        return resources
    anything = ResourceRule(api_groups=["*"], api_versions=["*"], resources=["*"], operations=["*"])
    return resources.model_copy(update={"resource_rules": [anything]})


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


@dataclass
class CompiledMutatingAdmissionPolicy:
    """A MutatingAdmissionPolicy with its bindings, ready to evaluate many resources."""

    metadata: ObjectMeta
    spec: MutatingAdmissionPolicySpec
    env: CelEnvironment
    match_conditions: tuple[tuple[str, Program], ...]
    variables: CompiledVariables
    mutations: tuple[CompiledMutation, ...]
    bindings: list[Binding] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)
    autogen: str = ""

    @property
    def name(self) -> str:
        """The policy name (cluster-scoped)."""
        return self.metadata.name

    @property
    def kind(self) -> str:
        """``MutatingAdmissionPolicy``."""
        return POLICY_KIND

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys this policy can match."""
        return index_keys(self.spec.match_constraints)

    def _result(self, subject: dict[str, Any], result: str, message: str = "", **extra: Any) -> RuleResult:
        return RuleResult(
            policy=self.name,
            policy_kind=self.kind,
            result=result,
            resource=ResourceRef.of(subject),
            message=message,
            **extra,
        )

    # -- parameters ---------------------------------------------------------------------------------------------

    def _candidate_params(self, namespace: str) -> list[dict[str, Any]]:
        kind = self.spec.param_kind
        if kind is None:
            return []
        found = [
            p
            for p in self.params
            if p.get("apiVersion") == kind.api_version
            and p.get("kind") == kind.kind
            and (not namespace or str((p.get("metadata") or {}).get("namespace") or "default") == namespace)
        ]
        if found:
            return found
        provider = current_providers().resource
        if provider is None:
            return []
        try:
            listed = provider.list(kind.api_version, plural_for(kind.api_version, kind.kind), namespace)
        except (LookupError, ValueError):
            return []
        return [item for item in listed.get("items") or [] if isinstance(item, dict)]

    def _params_for(self, binding: Binding | None, ctx: AdmissionContext) -> Any:
        """The ``params`` value of a binding: an object, a list object (selector), or ``None`` without paramRef."""
        if binding is None or binding.spec.param_ref is None or self.spec.param_kind is None:
            return None
        ref = binding.spec.param_ref
        kind = self.spec.param_kind
        namespace = ref.namespace
        if not namespace and is_namespaced(kind.api_version, kind.kind) is not False:
            namespace = ctx.resource().namespace
        candidates = self._candidate_params(namespace)
        if ref.name:
            chosen = [p for p in candidates if (p.get("metadata") or {}).get("name") == ref.name]
            if not chosen:
                raise _NoParams(f'{kind.kind} "{ref.name}" not found')
            return chosen[0]
        selector = ref.selector.as_dict() if ref.selector is not None else {}
        items = [p for p in candidates if selector_matches(selector, _labels(p))]
        if not items:
            raise _NoParams(f"no {kind.kind} matches the paramRef selector")
        return {"apiVersion": kind.api_version, "kind": f"{kind.kind}List", "items": items}

    # -- evaluation ---------------------------------------------------------------------------------------------

    def _data(self, ctx: AdmissionContext, obj: dict[str, Any], params: Any) -> dict[str, Any]:
        return {
            OBJECT: obj,
            OLD_OBJECT: ctx.old_object,
            REQUEST: ctx.request(),
            NAMESPACE_OBJECT: ctx.namespace_object,
            PARAMS: params,
            AUTHORIZER: None,
        }

    def _binding_applies(self, binding: Binding | None, ctx: AdmissionContext) -> bool:
        if binding is None or binding.spec.match_resources is None:
            return True
        return matches(_unconstrained(binding.spec.match_resources), ctx)

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate one request through every binding; ``None`` when nothing applies."""
        if ctx.object is None or not matches(self.spec.match_constraints, ctx):
            return None
        bindings: list[Binding | None] = list(self.bindings) or [None]
        current = ctx.object
        applied = False
        for binding in bindings:
            if not self._binding_applies(binding, ctx):
                continue
            try:
                params = self._params_for(binding, ctx)
            except _NoParams as exc:
                ref = binding.spec.param_ref if binding is not None else None
                if ref is not None and ref.parameter_not_found_action == "Allow":
                    continue
                message = f"no params found for policy binding with `Deny` parameterNotFoundAction: {exc}"
                return self._result(ctx.subject, "error", message)
            outcome = self._apply(ctx, current, params)
            if isinstance(outcome, RuleResult):
                return outcome
            if outcome is None:
                continue
            current, applied = outcome, True
        if not applied:
            return None
        return self._result(ctx.subject, "pass", "", patched=current)

    def _apply(self, ctx: AdmissionContext, obj: dict[str, Any], params: Any) -> dict[str, Any] | RuleResult | None:
        """One binding: conditions, then mutations (re-run once under ``reinvocationPolicy: IfNeeded``)."""
        data = self._data(ctx, obj, params)
        conditions = evaluate_conditions(Scope(self.env, data, self.variables), self.match_conditions)
        if conditions.error:
            if self.spec.failure_policy == "Ignore":
                return None
            return self._result(ctx.subject, "error", conditions.error)
        if not conditions.matched:
            return None
        try:
            patched = run_mutations(self.env, data, self.variables, self.mutations, obj)
            if self.spec.reinvocation_policy == "IfNeeded" and patched != obj:
                patched = run_mutations(self.env, data, self.variables, self.mutations, patched)
        except MutationError as exc:
            if self.spec.failure_policy == "Ignore":
                return None
            return self._result(
                ctx.subject, "error", f"error applying mutation {exc.index}: {exc.message}", expression=exc.expression
            )
        return patched


def compile_mutating_admission_policy(data: dict[str, Any]) -> CompiledMutatingAdmissionPolicy:
    """Validate and compile one MutatingAdmissionPolicy document (bindings are attached by :func:`load_mutating`)."""
    meta, spec = _parse_policy(data)
    env = environment_for("map")
    compiler = Compiler(env)
    conditions = compile_conditions(compiler, spec.match_conditions, "spec.matchConditions")
    variables = CompiledVariables.compile(compiler, spec.variables, "spec.variables")
    mutations = compile_mutations(compiler, spec.mutations, "spec.mutations")
    if compiler.errors:
        raise PolicyCompileError(meta.name, compiler.errors)
    return CompiledMutatingAdmissionPolicy(meta, spec, env, conditions, variables, mutations)


def _binding(data: dict[str, Any]) -> Binding:
    meta = parse_model(ObjectMeta, data.get("metadata") or {}, "metadata")
    spec = parse_model(MutatingAdmissionPolicyBindingSpec, data.get("spec") or {}, "spec")
    return Binding(meta.name, spec)


def _check_api_version(data: dict[str, Any]) -> None:
    api_version = data.get("apiVersion")
    if api_version not in API_VERSIONS:
        raise LoadError(f"{data.get('kind')} apiVersion {api_version!r} is not one of {', '.join(API_VERSIONS)}")


def load_mutating(documents: Iterable[Document], into: PolicySet) -> None:
    """Load MutatingAdmissionPolicy and MutatingAdmissionPolicyBinding documents into ``into``.

    Bindings attach to the policy they name (in this batch, or a MutatingAdmissionPolicy loaded before); any other
    document is kept as a candidate parameter object. Problems are recorded as issues, one per document.
    """
    from ..loader import LoadIssue

    docs = list(documents)
    compiled: dict[str, CompiledMutatingAdmissionPolicy] = {
        p.name: p for p in into.policies if isinstance(p, CompiledMutatingAdmissionPolicy)
    }
    params = [d.data for d in docs if d.data.get("kind") not in MUTATING_KINDS]
    for doc in docs:
        if doc.data.get("kind") != POLICY_KIND:
            continue
        name = str((doc.data.get("metadata") or {}).get("name") or "")
        try:
            _check_api_version(doc.data)
            policy = compile_mutating_admission_policy(doc.data)
            policy.params = params
            into.policies.append(policy)
            into.sources[policy.name] = doc.data
            compiled[policy.name] = policy
        except EngineError as exc:
            into.issues.append(LoadIssue(doc.origin, f"{POLICY_KIND} {name!r}: {exc}", name, POLICY_KIND))
    for doc in docs:
        if doc.data.get("kind") != BINDING_KIND:
            continue
        name = str((doc.data.get("metadata") or {}).get("name") or "")
        try:
            _check_api_version(doc.data)
            binding = _binding(doc.data)
        except EngineError as exc:
            into.issues.append(LoadIssue(doc.origin, f"{BINDING_KIND} {name!r}: {exc}", name, BINDING_KIND))
            continue
        target = compiled.get(binding.spec.policy_name)
        if target is None:
            message = f"{BINDING_KIND} {name!r}: policy {binding.spec.policy_name!r} is not loaded"
            into.issues.append(LoadIssue(doc.origin, message, name, BINDING_KIND))
            continue
        target.bindings.append(binding)


def attach_params(policies: Iterable[Any], params: Iterable[dict[str, Any]]) -> None:
    """Give the loaded MutatingAdmissionPolicies parameter objects in a known order (a Test's ``paramResources``,
    in file order: a ``paramRef.selector`` lists them in that order, before any provider lookup)."""
    objects = list(params)
    for policy in policies:
        if isinstance(policy, CompiledMutatingAdmissionPolicy):
            policy.params = [*policy.params, *objects]
