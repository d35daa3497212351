"""What every compiled policy kind shares: its names, its index keys, matching, and building its results."""

from __future__ import annotations

from typing import Any

from ..cel.names import EXCEPTIONS, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, REQUEST
from ..request import AdmissionContext
from ..results import ResourceRef, RuleResult
from .match import index_keys, matches
from .model import MatchResources

SEVERITY_ANNOTATION = "policies.kyverno.io/severity"
CATEGORY_ANNOTATION = "policies.kyverno.io/category"
SCORED_ANNOTATION = "policies.kyverno.io/scored"


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


class CompiledPolicyBase:
    """Mixin for compiled policies holding ``policy`` (a loaded policy with ``kind``, ``metadata``, ``namespaced``,
    ``qualified_name``) and ``match_constraints``."""

    policy: Any
    match_constraints: MatchResources | None

    @property
    def name(self) -> str:
        """The name reports use (``ns/name`` for the Namespaced kinds)."""
        return str(self.policy.qualified_name)

    @property
    def kind(self) -> str:
        """The policy kind."""
        return str(self.policy.kind)

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys this policy can match."""
        return index_keys(self.match_constraints)

    def applies_to(self, ctx: AdmissionContext) -> bool:
        """matchConstraints (and, for Namespaced kinds, the policy's namespace) select the request."""
        res = ctx.resource()
        if self.policy.namespaced and res.namespace != self.policy.metadata.namespace:
            return False
        return matches(self.match_constraints, ctx, res)

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
        annotations = self.policy.metadata.annotations
        scored = annotations.get(SCORED_ANNOTATION, "true") != "false"
        if result == "fail" and not scored:
            result = "warn"
        if subject is not None:
            resource = ResourceRef.of(subject)
        elif ctx is not None:
            resource = reference(ctx)
        else:
            raise ValueError("make_result needs a request context or a subject")
        extra.setdefault("severity", annotations.get(SEVERITY_ANNOTATION, ""))
        extra.setdefault("category", annotations.get(CATEGORY_ANNOTATION, ""))
        return RuleResult(
            policy=self.name,
            policy_kind=self.kind,
            result=result,
            resource=resource,
            message=message,
            scored=scored,
            **extra,
        )
