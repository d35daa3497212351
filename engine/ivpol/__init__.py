"""ImageValidatingPolicy and NamespacedImageValidatingPolicy (policies.kyverno.io), evaluated offline: the images of
an object are extracted (``images``) and selected (``matchImageReferences``), then validated; checks that need a
registry (``imageverify``, the kind's own CEL library) report an error instead of passing.

May import ``engine/common``, ``engine/cel`` and the engine's root modules; never another kind package.
"""

from __future__ import annotations

from ..cel import CelProfile, libs, names
from ..common import advice, autogen
from ..common.kind import KindSpec
from ..common.loading import per_document
from . import compiler, imageverify, model

SPEC = KindSpec(
    name="ImageValidatingPolicy", kinds=model.KINDS, api_versions=model.API_VERSIONS,
    report_source="KyvernoImageValidatingPolicy", scanned=True,
    loader=per_document(model.ImageValidatingPolicy.from_dict, compiler.compile_image_validating_policy),
    cel=CelProfile(names.IMAGE_POLICY_VARIABLES, (*libs.KUBERNETES, *libs.KYVERNO, libs.USER, imageverify.LIBRARY)),
    lint=advice.VALIDATING_POLICY_ADVICE, autogen=autogen.controller_kinds,
    schemas=dict.fromkeys(model.KINDS, model.ImageValidatingPolicySpec),
    validation_actions=True,
    introduced_in={"ImageValidatingPolicy": "1.14", "NamespacedImageValidatingPolicy": "1.16"},
)

__all__ = ["SPEC"]
