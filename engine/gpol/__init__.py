"""GeneratingPolicy and NamespacedGeneratingPolicy (policies.kyverno.io): previews of the resources Kyverno would
generate for a trigger, from ``generator.Apply`` calls and from ``(( ))`` templates (``template``).

May import ``engine/common``, ``engine/cel`` and the engine's root modules; never another kind package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..cel import CelProfile, libs, names
from ..common.kind import KindSpec
from ..common.loading import per_document
from . import compiler, model


def generation_checks(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``generate[]`` as ("generate", expression or template) pairs."""
    entries = [g for g in spec.get("generate") or [] if isinstance(g, Mapping)]
    return [("generate", str(g.get("expression") or g.get("template") or "")) for g in entries]


SPEC = KindSpec(
    name="GeneratingPolicy", kinds=model.KINDS, api_versions=model.API_VERSIONS, generates=True,
    loader=per_document(model.GeneratingPolicy.from_dict, compiler.compile_generating_policy),
    cel=CelProfile(names.POLICY_VARIABLES, (*libs.KUBERNETES, *libs.KYVERNO, libs.X509, libs.GENERATOR)),
    report_source="KyvernoGeneratingPolicy", checks=generation_checks,
    schemas=dict.fromkeys(model.KINDS, model.GeneratingPolicySpec),
    introduced_in={"GeneratingPolicy": "1.15", "NamespacedGeneratingPolicy": "1.17"},
)

__all__ = ["SPEC", "generation_checks"]
