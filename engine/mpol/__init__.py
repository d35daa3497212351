"""MutatingPolicy and NamespacedMutatingPolicy (policies.kyverno.io): mutations of the object under admission, or
of existing targets (mutate-existing), with pod-controller autogen. The mutations themselves (ApplyConfiguration,
JSONPatch) are shared with MutatingAdmissionPolicy in ``engine/common/mutation.py``.

May import ``engine/common``, ``engine/cel`` and the engine's root modules; never another kind package.
"""

from __future__ import annotations

from ..cel import CelProfile, libs, names
from ..common.autogen import controller_kinds
from ..common.kind import KindSpec
from ..common.loading import per_document
from ..common.mutation import mutation_checks
from . import compiler, model

SPEC = KindSpec(
    name="MutatingPolicy", kinds=model.KINDS, api_versions=model.API_VERSIONS, report_source="KyvernoMutatingPolicy",
    loader=per_document(model.MutatingPolicy.from_dict, compiler.compile_mutating_policy),
    cel=CelProfile(names.POLICY_VARIABLES, (*libs.KUBERNETES, *libs.KYVERNO, libs.X509, libs.USER)),
    mutates=True, checks=mutation_checks, autogen=controller_kinds,
    schemas=dict.fromkeys(model.KINDS, model.MutatingPolicySpec),
    introduced_in={"MutatingPolicy": "1.15", "NamespacedMutatingPolicy": "1.17"},
)

__all__ = ["SPEC"]
