"""One kyverno.io/v1 mutate patch applied to one resource, with Kyverno's statuses and messages.

A rule (or a foreach element) carries exactly one of ``patchStrategicMerge`` and ``patchesJson6902``, already
variable-substituted by the caller. The patched resource is returned with ``pass`` when it differs from the input
(``mutated <Kind>/<name>[ in namespace <ns>]``), ``skip`` with ``no patches applied`` when nothing changed, and
``error`` when the patch cannot apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .json6902 import JsonPatchError, apply_json6902, json_equal
from .outcome import ERROR, PASS, SKIP, Substitute
from .strategic_merge import PatchError, patch_strategic_merge


@dataclass(frozen=True)
class MutationOutcome:
    """``status`` (pass, skip, error), Kyverno's ``message`` and the resource after the patch."""

    status: str
    message: str
    resource: Mapping[str, Any]


def mutated_message(resource: Mapping[str, Any]) -> str:
    """``mutated <Kind>/<name>`` (`` in namespace <ns>`` for namespaced resources)."""
    metadata = resource.get("metadata") if isinstance(resource.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    text = f"mutated {resource.get('kind', '')}/{metadata.get('name', '')}"
    namespace = metadata.get("namespace")
    return f"{text} in namespace {namespace}" if namespace else text


def apply_patch(
    resource: Mapping[str, Any],
    *,
    patch_strategic_merge_overlay: Any = None,
    patches_json6902: Any = None,
    substitute: Substitute | None = None,
) -> MutationOutcome:
    """Apply one patch (strategic merge overlay or RFC 6902 operations) to ``resource``.

    ``substitute`` (Kyverno's variable substitution, given by the caller) is applied to the patch first; callers
    that substitute the whole rule beforehand leave it out."""
    if (patch_strategic_merge_overlay is None) == (patches_json6902 is None):
        return MutationOutcome(ERROR, "empty mutate rule" if patches_json6902 is None else
                               "a mutation has both patchStrategicMerge and patchesJson6902", resource)
    if substitute is not None:
        try:
            if patch_strategic_merge_overlay is not None:
                patch_strategic_merge_overlay = substitute(patch_strategic_merge_overlay)
            else:
                patches_json6902 = substitute(patches_json6902)
        except Exception as exc:  # the caller's substitution raises its own error types; each becomes a rule error
            return MutationOutcome(ERROR, f"variable substitution failed: {exc}", resource)
    try:
        if patch_strategic_merge_overlay is not None:
            patched = patch_strategic_merge(resource, patch_strategic_merge_overlay)
        else:
            patched = apply_json6902(resource, patches_json6902)
    except (PatchError, JsonPatchError) as exc:
        return MutationOutcome(ERROR, f"failed to patch resource: {exc}", resource)
    if not isinstance(patched, Mapping):
        return MutationOutcome(ERROR, "failed to patch resource: the patch did not produce an object", resource)
    if json_equal(patched, resource):
        return MutationOutcome(SKIP, "no patches applied", resource)
    return MutationOutcome(PASS, mutated_message(patched), patched)
