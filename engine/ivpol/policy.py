"""A compiled ImageValidatingPolicy: the shared pipeline, then images, then validations.

Order: matchConstraints, exceptions, matchConditions, image extraction (``images[]`` extractors, or the pod
containers by default), ``matchImageReferences`` (no matching image: the policy does not apply), then variables and
validations as in a ValidatingPolicy (stop at the first false). Functions that would contact a registry (signature
and attestation checks) make the result an ``error`` saying so; they never pass silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cel import CelEnvironment, CelEvalError, Program
from ..cel.names import ATTESTATIONS, ATTESTORS, IMAGES, REF
from ..common.expressions import BoundProgram, Scope
from ..common.options import EvaluationOptions
from ..common.pipeline import Admitted
from ..common.validations import ValidatingPipeline
from ..request import AdmissionContext
from ..results import RuleResult
from .images import default_images, filter_images
from .imageverify import REGISTRY_NEEDED, recording_registry_calls
from .model import ImageValidatingPolicy


@dataclass(kw_only=True)
class CompiledImageValidatingPolicy(ValidatingPipeline[ImageValidatingPolicy]):
    """An ImageValidatingPolicy (or autogen variant) ready to evaluate."""

    match_env: CelEnvironment
    extractors: tuple[tuple[str, Program | BoundProgram], ...] = ()
    reference_globs: tuple[str, ...] = ()
    reference_programs: tuple[Program, ...] = ()

    def data(self, ctx: AdmissionContext) -> dict[str, Any]:
        """The request's variables plus ``images`` (filled once extracted), ``attestors`` and ``attestations``."""
        return {
            **super().data(ctx),
            IMAGES: {},
            ATTESTORS: {str(a["name"]): a for a in self.policy.spec.attestors},
            ATTESTATIONS: {str(a["name"]): a for a in self.policy.spec.attestations},
        }

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult | None:
        """Extract and select the images, then validate them."""
        data = admitted.data
        try:
            images = self._images(ctx, Scope(self.env, data, self.variables))
        except CelEvalError as exc:
            return self.make_result(ctx, "error", f"error extracting images: {exc.message}")
        selector = self._reference_matches if self.reference_programs else None
        images = filter_images(images, list(self.reference_globs), selector)
        if (self.reference_globs or self.reference_programs) and not any(images.values()):
            return None
        data[IMAGES] = images
        with recording_registry_calls() as calls:
            result = self.validate(ctx, Scope(self.env, data, self.variables), options)
        if calls:
            return self.make_result(ctx, "error", f"{REGISTRY_NEEDED} (called {', '.join(sorted(set(calls)))})")
        return result

    def _reference_matches(self, image: str) -> bool:
        for program in self.reference_programs:
            try:
                if program.evaluate(self.match_env.activation({REF: image})) is True:
                    return True
            except CelEvalError:
                continue
        return False

    def _images(self, ctx: AdmissionContext, scope: Scope) -> dict[str, list[str]]:
        if not self.extractors:
            return default_images(ctx.subject)
        out: dict[str, list[str]] = {}
        for name, program in self.extractors:
            value = scope.evaluate(program)
            items = value if isinstance(value, list) else [value]
            out[name] = [str(item) for item in items if item is not None]
        return out
