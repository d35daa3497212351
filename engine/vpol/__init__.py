"""ValidatingPolicy and NamespacedValidatingPolicy (policies.kyverno.io): validations over admission requests and
over JSON, HTTP and Envoy payloads, with pod-controller autogen. ``model`` holds the spec, ``compiler`` turns it into
compiled policies (one per autogen variant), ``policy`` is the body the shared pipeline runs.

May import ``engine/common``, ``engine/cel`` and the engine's root modules; never another kind package.
"""

from __future__ import annotations

from ..cel import CelProfile, libs, names
from ..common import advice, autogen
from ..common.kind import KindSpec
from ..common.loading import per_document
from . import compiler, model

SPEC = KindSpec(
    name="ValidatingPolicy", kinds=model.KINDS, api_versions=model.API_VERSIONS,
    report_source="KyvernoValidatingPolicy", scanned=True,
    loader=per_document(model.ValidatingPolicy.from_dict, compiler.compile_validating_policy),
    cel=CelProfile(names.POLICY_VARIABLES, (*libs.KUBERNETES, *libs.KYVERNO, libs.X509, libs.USER, libs.AUTHZ)),
    autogen=autogen.controller_kinds, lint=advice.VALIDATING_POLICY_ADVICE,
    schemas=dict.fromkeys(model.KINDS, model.ValidatingPolicySpec),
    validation_actions=True,
    batches=True,
    introduced_in={"ValidatingPolicy": "1.14", "NamespacedValidatingPolicy": "1.16"},
)

__all__ = ["SPEC"]
