"""The one evaluation pipeline every policy kind runs, in Kyverno's order.

::

    matchConstraints (and the policy's namespace for Namespaced kinds)  -> no match: None
    PolicyExceptions that refer to the policy and match the request       -> skip/pass, or expose allowed values
    matchConditions                                                        -> false: None; error: failurePolicy
    variables (lazily, on first use)
    the kind's body (validations, mutations, generations, deletions...)    -> the result

A kind's compiled policy subclasses :class:`PolicyPipeline` and writes only what differs: its CEL data
(:meth:`~PolicyPipeline.data`), its :meth:`~PolicyPipeline.body`, and where its settings live (failure policy,
validation actions, background). Results are made by :meth:`~PolicyPipeline.make_result`, which adds severity and
category from the policy's annotations and the report source of its kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypedDict, TypeVar

from ..cel import CelEnvironment
from ..cel.names import EXCEPTIONS, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, REQUEST
from ..cel.providers import begin_unanswered, end_unanswered
from ..request import AdmissionContext
from ..results import ResourceRef, RuleResult
from .annotation_keys import CATEGORY, SCORED, SEVERITY
from .expressions import CompiledVariables, Compiler, Conditions, Scope, compile_conditions, evaluate_conditions
from .labels import MalformedLabels
from .match import RulesCache, index_keys, matches
from .model import MatchedSpec, MatchResources, NamedExpression, ObjectMeta
from .options import EvaluationOptions
from .policy_exception import PolicyException, matching_exceptions

if TYPE_CHECKING:
    from .kind import KindSpec

DEFAULT_OPTIONS = EvaluationOptions()



class LoadedPolicy(Protocol):
    """A validated policy document: its kind, metadata and naming."""

    @property
    def kind(self) -> str: ...

    @property
    def metadata(self) -> ObjectMeta: ...

    @property
    def namespaced(self) -> bool: ...

    @property
    def qualified_name(self) -> str: ...


PolicyT = TypeVar("PolicyT", bound=LoadedPolicy)


def admission_data(ctx: AdmissionContext) -> dict[str, Any]:
    """The CEL variables every Kyverno policy kind binds for a request (``variables`` is added by the scope):
    the object, its old version, the request, the namespace, and no exceptions yet."""
    return {
        OBJECT: ctx.object,
        OLD_OBJECT: ctx.old_object,
        REQUEST: ctx.request(),
        NAMESPACE_OBJECT: ctx.namespace_object,
        EXCEPTIONS: {"allowedValues": [], "allowedImages": []},
    }


def reference(ctx: AdmissionContext) -> ResourceRef:
    """The reference to the request's subject (built once per request)."""
    cached: ResourceRef | None = ctx.cache.get("reference")
    if cached is None:
        cached = ResourceRef.of(ctx.subject)
        ctx.cache["reference"] = cached
    return cached


class PipelineParts(TypedDict):
    """The compiled parts every pipeline has (keyword arguments of a compiled policy)."""

    spec: KindSpec
    env: CelEnvironment
    match_constraints: MatchResources | None
    match_conditions: Conditions
    variables: CompiledVariables


def compile_parts(
    kind: KindSpec,
    compiler: Compiler,
    spec: MatchedSpec,
    match_conditions: Sequence[NamedExpression] = (),
    *,
    bind: bool = False,
) -> PipelineParts:
    """Compile the variables and match conditions of a spec (``bind``: conditions bind the variables they read
    inline, see :meth:`Compiler.compile_bound`)."""
    variables = CompiledVariables.compile(compiler, spec.variables, "spec.variables")
    bound = variables if bind else None
    conditions = compile_conditions(compiler, match_conditions, "spec.matchConditions", bound)
    return PipelineParts(
        spec=kind,
        env=compiler.env,
        match_constraints=spec.match_constraints,
        match_conditions=conditions,
        variables=variables,
    )


@dataclass
class Admitted:
    """A request that passed matching, exceptions and match conditions: its CEL data and evaluation scope."""

    data: dict[str, Any]
    scope: Scope
    #: The PolicyExceptions of the evaluation (kinds with exceptions of their own, such as ClusterPolicy, read them).
    exceptions: list[PolicyException] = field(default_factory=list)


@dataclass(kw_only=True)
class PolicyPipeline(Generic[PolicyT]):
    """A compiled policy of any kind: the shared steps of :func:`evaluate`; kinds implement :meth:`body`."""

    #: Whether PolicyExceptions (policies.kyverno.io) apply to the kind (not to Kubernetes' admission policies).
    exceptions_apply: ClassVar[bool] = True

    spec: KindSpec
    policy: PolicyT
    env: CelEnvironment
    match_constraints: MatchResources | None
    match_conditions: Conditions = ()
    variables: CompiledVariables = field(default_factory=lambda: CompiledVariables((), {}))
    #: The policy's settings, read from wherever its kind keeps them: ``Fail`` or ``Ignore`` (what a match
    #: condition or body error means), the validation actions its results carry, and whether background scans run it.
    failure_policy: str = "Fail"
    actions: tuple[str, ...] = ()
    background: bool = True
    #: The autogen variant this object is (``defaults``, ``cronjobs``...), ``""`` for the policy as written.
    autogen: str = ""
    #: Resource-rule verdicts per type (see :func:`~.match.matches`); a copy of the policy starts a new one.
    _rules_cache: RulesCache = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The name reports use (``ns/name`` for the Namespaced kinds)."""
        return self.policy.qualified_name

    @property
    def kind(self) -> str:
        """The policy's document kind."""
        return self.policy.kind

    @property
    def rule_name(self) -> str:
        """The ``rule`` its results carry (Kyverno's CEL kinds give one result per policy, with no rule name)."""
        return ""

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys this policy can match."""
        return index_keys(self.match_constraints)

    def handles(self, ctx: AdmissionContext) -> bool:
        """Whether the kind evaluates this request at all (mutations need an object, for example)."""
        return True

    def applies_to(self, ctx: AdmissionContext) -> bool:
        """For Namespaced kinds the request is in the policy's namespace, and :meth:`selects` it."""
        if self.policy.namespaced and ctx.resource().namespace != self.policy.metadata.namespace:
            return False
        return self.selects(ctx)

    def selects(self, ctx: AdmissionContext) -> bool:
        """The policy's matchConstraints select the request."""
        return matches(self.match_constraints, ctx, rules_cache=self._rules_cache)

    def evaluating(self) -> AbstractContextManager[Any] | None:
        """The context an evaluation runs in, when the kind needs one (to record what its expressions produce)."""
        return None

    # ------------------------------------------------------------------ the pipeline
    def data(self, ctx: AdmissionContext) -> dict[str, Any]:
        """The CEL variables for a request (``variables`` is added by the scope)."""
        return admission_data(ctx)

    def scope(self, ctx: AdmissionContext, data: dict[str, Any]) -> Scope:
        """The evaluation scope of a request (kinds may share activations across policies)."""
        return Scope(self.env, data, self.variables)

    def admit(
        self, ctx: AdmissionContext, exceptions: list[PolicyException] | None, options: EvaluationOptions
    ) -> Admitted | RuleResult | None:
        """Exceptions then match conditions: the scope to go on with, a result they decided, or ``None``."""
        data = self.data(ctx)
        scope = self.scope(ctx, data)
        if exceptions and self.exceptions_apply:
            name = self.policy.metadata.name
            outcome = matching_exceptions(exceptions, name, self.kind, self.env, scope, options.now)
            if outcome.decides:
                properties = {"exceptions": outcome.names}
                return self.make_result(ctx, outcome.result, outcome.message(), properties=properties)
            if outcome.matched:
                data[EXCEPTIONS] = outcome.variable()
                scope = Scope(self.env, data, self.variables)
        conditions = evaluate_conditions(scope, self.match_conditions)
        if conditions.error:
            return None if self.failure_policy == "Ignore" else self.make_result(ctx, "error", conditions.error)
        if not conditions.matched:
            return None
        return Admitted(data, scope, list(exceptions or ()))

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate one request; ``None`` when the policy does not apply to it."""
        options = options or DEFAULT_OPTIONS
        try:
            if not self.handles(ctx) or not self.applies_to(ctx):
                return None
        except MalformedLabels as problem:  # no selector can be decided: neither a match nor a miss
            return self.make_result(ctx, "error", f"cannot match the policy's selectors: {problem}")
        context = self.evaluating()
        outer = begin_unanswered()
        try:
            if context is None:
                result = self._admit_and_run(ctx, exceptions, options)
            else:
                with context:
                    result = self._admit_and_run(ctx, exceptions, options)
        finally:
            unanswered = end_unanswered(outer)
        if unanswered:
            return self._unanswered(ctx, result, tuple(unanswered), options)
        return result

    def _unanswered(
        self, ctx: AdmissionContext, result: RuleResult | None, reasons: tuple[str, ...], options: EvaluationOptions
    ) -> RuleResult | None:
        """A result reached while some lookup could not be answered carries the reasons; no result at all (an
        error absorbed by ``failurePolicy: Ignore``) becomes an ``error`` when ``options.report_unanswered``."""
        if result is None:
            if not options.report_unanswered:
                return None
            message = f"a lookup the source cannot answer: {'; '.join(reasons)}"
            result = self.make_result(ctx, "error", message)
        result.unanswered = reasons
        return result

    def _admit_and_run(
        self, ctx: AdmissionContext, exceptions: list[PolicyException] | None, options: EvaluationOptions
    ) -> RuleResult | None:
        admitted = self.admit(ctx, exceptions, options)
        if not isinstance(admitted, Admitted):
            return admitted
        return self.body(ctx, admitted, options)

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult | None:
        """The kind's own step on an admitted request."""
        raise NotImplementedError

    # ------------------------------------------------------------------ results
    def make_result(
        self,
        ctx: AdmissionContext | None,
        result: str,
        message: str = "",
        *,
        subject: dict[str, Any] | None = None,
        **extra: Any,
    ) -> RuleResult:
        """A result of this policy for the request's subject (or ``subject``), with severity and category from the
        policy's annotations; ``policies.kyverno.io/scored: "false"`` turns a failure into a warning, as in reports."""
        meta = self.policy.metadata.annotations
        scored = meta.get(SCORED, "true") != "false"
        if result == "fail" and not scored:
            result = "warn"
        if subject is not None:
            resource = ResourceRef.of(subject)
        elif ctx is not None:
            resource = reference(ctx)
        else:
            raise ValueError("make_result needs a request context or a subject")
        extra.setdefault("severity", meta.get(SEVERITY, ""))
        extra.setdefault("category", meta.get(CATEGORY, ""))
        extra.setdefault("actions", self.actions)
        extra.setdefault("rule", self.rule_name)
        return RuleResult(
            policy=self.name,
            policy_kind=self.kind,
            source=self.spec.report_source,
            result=result,
            resource=resource,
            message=message,
            scored=scored,
            **extra,
        )
