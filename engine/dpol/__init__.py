"""DeletingPolicy and NamespacedDeletingPolicy (policies.kyverno.io): would the next scheduled cleanup run delete
this resource? Matching ignores operations (a cleanup is not admission); ``conditions`` decide.

May import ``engine/common``, ``engine/cel`` and the engine's root modules; never another kind package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..cel import CelProfile, libs, names
from ..common.kind import KindSpec
from ..common.loading import per_document
from . import compiler, model


def condition_checks(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``conditions[]`` as (name, expression) pairs."""
    entries = [c for c in spec.get("conditions") or [] if isinstance(c, Mapping)]
    return [(str(c.get("name") or ""), str(c.get("expression") or "")) for c in entries]


SPEC = KindSpec(
    name="DeletingPolicy", kinds=model.KINDS, api_versions=model.API_VERSIONS, report_source="KyvernoDeletingPolicy",
    loader=per_document(model.DeletingPolicy.from_dict, compiler.compile_deleting_policy),
    cel=CelProfile((*names.POLICY_VARIABLES, names.RESOURCE), (*libs.KUBERNETES, *libs.KYVERNO, libs.X509)),
    checks=condition_checks, schemas=dict.fromkeys(model.KINDS, model.DeletingPolicySpec),
    introduced_in={"DeletingPolicy": "1.15", "NamespacedDeletingPolicy": "1.16"},
)

__all__ = ["SPEC", "condition_checks"]
