"""The PolicyException resource (policies.kyverno.io): which exceptions apply to a policy and a request, and
their effect. (Python exceptions live in ``engine/errors.py``.)

An exception's ``matchConditions`` are compiled when it is loaded (:meth:`PolicyException.check`), so that one that
does not compile is reported then, instead of silently never matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from ..cel import CelEnvironment, CelError, CelEvalError, CelProfile, environment_for, libs, names
from ..diagnostics import Diagnostic
from ..errors import PolicyValidationError
from .expressions import Scope
from .model import Model, NamedExpression, SpecDocument

PRIORITY_LABEL = "polex.kyverno.io/priority"
#: The environment exceptions are checked in when loaded (at evaluation they compile in the policy's environment).
CEL = CelProfile(names.POLICY_VARIABLES, (*libs.KUBERNETES, *libs.KYVERNO))


class PolicyRef(Model):
    name: str
    kind: str = ""


class PolicyExceptionSpec(Model):
    policy_refs: list[PolicyRef] = Field(default_factory=list)
    match_conditions: list[NamedExpression] = Field(default_factory=list)
    images: list[str] = Field(default_factory=list)
    allowed_values: list[str] = Field(default_factory=list)
    report_result: str = "skip"
    expires_at: str = ""
    properties: dict[str, str] = Field(default_factory=dict)
    #: kyverno.io/v2 exceptions (for ClusterPolicy/Policy rules): policy and rule names, match, conditions.
    exceptions: list[dict[str, Any]] = Field(default_factory=list)
    match: dict[str, Any] | None = None
    conditions: Any = None
    pod_security: list[dict[str, Any]] = Field(default_factory=list)


def _report_result(spec: PolicyExceptionSpec) -> None:
    if spec.report_result not in ("skip", "pass"):
        raise PolicyValidationError(f"must be skip or pass, not {spec.report_result!r}", path="spec.reportResult")


@dataclass(frozen=True)
class PolicyException(SpecDocument[PolicyExceptionSpec]):
    """A loaded PolicyException."""

    spec_model = PolicyExceptionSpec
    checks = (_report_result,)

    @property
    def qualified_name(self) -> str:
        """``namespace/name`` as Kyverno reports it."""
        return f"{self.metadata.namespace}/{self.metadata.name}" if self.metadata.namespace else self.metadata.name

    @property
    def priority(self) -> int:
        """Value of the priority label (0 when absent or not a number)."""
        try:
            return int(self.metadata.labels.get(PRIORITY_LABEL, "0"))
        except ValueError:
            return 0

    def refers_to(self, policy_name: str, policy_kind: str) -> bool:
        """Whether ``policyRefs`` names this policy (kind compared when given)."""
        return any(
            ref.name == policy_name and (not ref.kind or ref.kind == policy_kind) for ref in self.spec.policy_refs
        )

    def expired(self, now: datetime) -> bool:
        """Whether ``expiresAt`` has passed."""
        if not self.spec.expires_at:
            return False
        try:
            when = datetime.fromisoformat(self.spec.expires_at.replace("Z", "+00:00"))
        except ValueError:
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return now >= when

    def check(self) -> list[Diagnostic]:
        """The compile errors of the match conditions, with their field paths (empty when they all compile)."""
        env = environment_for(CEL)
        found: list[Diagnostic] = []
        for i, cond in enumerate(self.spec.match_conditions):
            try:
                env.compile(cond.expression, f"spec.matchConditions[{i}].expression")
            except CelError as exc:
                found.extend(exc.diagnostics())
        return found

    def matches(self, env: CelEnvironment, scope: Scope) -> bool:
        """All match conditions true (an exception without conditions matches everything it refers to)."""
        for i, cond in enumerate(self.spec.match_conditions):
            try:
                program = env.compile(cond.expression, f"spec.matchConditions[{i}].expression")
                if scope.evaluate(program) is not True:
                    return False
            except (CelError, CelEvalError):
                return False
        return True


@dataclass(frozen=True)
class ExceptionOutcome:
    """Exceptions that matched: either they decide the result, or they expose values to validations."""

    matched: tuple[PolicyException, ...]

    @property
    def decides(self) -> bool:
        """Exceptions without allowed values or images skip (or pass) the policy outright."""
        return bool(self.matched) and not any(e.spec.allowed_values or e.spec.images for e in self.matched)

    @property
    def result(self) -> str:
        """``skip`` or ``pass`` from the winning (highest-priority) exception."""
        return self.matched[0].spec.report_result if self.matched else "skip"

    @property
    def names(self) -> str:
        """Comma-separated qualified names, as Kyverno reports them."""
        return ",".join(e.qualified_name for e in self.matched)

    def message(self) -> str:
        """Kyverno's message for a result decided by exceptions."""
        verb = "passed" if self.result == "pass" else "skipped"
        return f"rule is {verb} due to policy exception: {self.names}"

    def variable(self) -> dict[str, list[str]]:
        """The ``exceptions`` CEL variable."""
        values: list[str] = []
        images: list[str] = []
        for exc in self.matched:
            values.extend(exc.spec.allowed_values)
            images.extend(exc.spec.images)
        return {"allowedValues": values, "allowedImages": images}


def matching_exceptions(
    exceptions: list[PolicyException],
    policy_name: str,
    policy_kind: str,
    env: CelEnvironment,
    scope: Scope,
    now: datetime | None = None,
) -> ExceptionOutcome:
    """The exceptions that refer to the policy, have not expired and match the request, by priority."""
    moment = now or datetime.now(UTC)
    found = [
        e
        for e in exceptions
        if e.refers_to(policy_name, policy_kind) and not e.expired(moment) and e.matches(env, scope)
    ]
    found.sort(key=lambda e: -e.priority)
    return ExceptionOutcome(tuple(found))
