"""A compiled ValidatingPolicy: the shared pipeline with validations as its body.

Order: matchConstraints, exceptions, matchConditions, variables (lazily), validations (stopping at the first false).
One policy gives one result with an empty rule name; a failure or error carries ``cel.validationIndex``. In JSON,
HTTP and Envoy modes the object is a payload: no matchConstraints, no request; in HTTP and Envoy modes validations
return authorization responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cel import Activation, CelEvalError
from ..cel.frontend.fields import ReadFields, prune
from ..cel.libs.kyverno_authz import is_response
from ..cel.names import EXCEPTIONS, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, REQUEST, VARIABLES
from ..common.expressions import Scope
from ..common.options import EvaluationOptions
from ..common.pipeline import Admitted
from ..common.validations import ValidatingPipeline
from ..request import AdmissionContext
from ..results import RuleResult
from .model import ValidatingPolicy


@dataclass(kw_only=True)
class CompiledValidatingPolicy(ValidatingPipeline[ValidatingPolicy]):
    """A ValidatingPolicy (or one of its autogen variants) ready to evaluate many resources."""

    #: ``evaluation.mode`` JSON, HTTP or Envoy: the object is a payload, not a Kubernetes resource.
    payload: bool = False
    #: HTTP and Envoy modes: validations return authorization responses (or null to defer).
    authorization: bool = False

    def applies_to(self, ctx: AdmissionContext) -> bool:
        """Payloads always apply; resources when matchConstraints (and the policy namespace) select them."""
        return self.payload or super().applies_to(ctx)

    def data(self, ctx: AdmissionContext) -> dict[str, Any]:
        """The CEL variables for a request (``variables`` is added by the scope)."""
        if self.payload:
            return {OBJECT: ctx.object, OLD_OBJECT: None, REQUEST: None, NAMESPACE_OBJECT: None, EXCEPTIONS: {}}
        return super().data(ctx)

    def scope(self, ctx: AdmissionContext, data: dict[str, Any]) -> Scope:
        """A scope on one activation per request and environment, shared by every policy without its own
        variables: cel-cpp converts the object lazily per activation, which costs more than most evaluations."""
        return Scope(self.env, data, self.variables, self.shared_activation(ctx, data))

    def shared_activation(
        self, ctx: AdmissionContext, data: dict[str, Any] | None = None, fields: ReadFields | None = None
    ) -> Activation:
        """The activation every policy of this environment shares for the request (``data``: :meth:`data`).

        ``fields``: what every expression evaluated on the request can read of ``object`` and ``oldObject`` (see
        ``cel/frontend/fields.py``); the first caller of a request passes it when it holds for all of them, and the
        activation then holds copies without the rest (cel-cpp converts a variable whole on its first read)."""
        key = f"activation:{id(self.env)}:{self.payload}"
        activation: Activation | None = ctx.cache.get(key)
        if activation is None:
            bound = {**(self.data(ctx) if data is None else data), VARIABLES: {}}
            if fields is not None:
                for name, tree in fields.items():
                    if name in bound:
                        bound[name] = prune(bound[name], tree)
            activation = self.env.activation(bound)
            ctx.cache[key] = activation
        return activation

    def batch_blocker(self) -> str:
        """Why the policy cannot join a batch beyond the shared rule (``engine/common/batch.py``): payload modes
        have no admission request, authorization modes return responses, not verdicts."""
        if self.payload:
            return "it evaluates JSON/HTTP/Envoy payloads"
        if self.authorization:
            return "its validations return authorization responses"
        return ""

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult:
        """The validations (authorization responses in HTTP and Envoy modes)."""
        if self.authorization:
            return self._authorize(ctx, admitted.scope)
        return self.validate(ctx, admitted.scope, options)

    def _authorize(self, ctx: AdmissionContext, scope: Scope) -> RuleResult:
        """The first validation returning a response decides; Allowed passes, Denied fails."""
        for validation in self.validations:
            where: dict[str, Any] = {"validation_index": validation.index, "expression": validation.program.source}
            try:
                verdict = scope.evaluate(validation.program)
            except CelEvalError as exc:
                return self.make_result(
                    ctx, "error", f"error evaluating validation {validation.index}: {exc.message}", **where
                )
            if verdict is None:
                continue
            if not is_response(verdict):
                message = f"validation {validation.index} must return a response or null"
                return self.make_result(ctx, "error", message, **where)
            if verdict["allowed"]:
                return self.make_result(ctx, "pass", "")
            message = verdict.get("reason") or f"denied with status {verdict.get('status')}"
            return self.make_result(ctx, "fail", str(message), **where)
        return self.make_result(ctx, "pass", "no validation returned a response")
