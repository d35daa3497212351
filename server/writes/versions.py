"""Which ``policies.kyverno.io`` version to write a policy in, given what a cluster serves.

Our bundled policies are written in ``policies.kyverno.io/v1`` (Kyverno 1.17 and later). Kyverno 1.16 serves
``v1beta1`` and ``v1alpha1``, 1.14 and 1.15 only ``v1alpha1``. The three versions have the same schema in Kyverno's
CRDs, so converting a policy is changing its ``apiVersion``: the object is kept when the cluster serves its own
version, otherwise it is written in the cluster's preferred version of that kind. Writes send
``fieldValidation=Strict``, so a field an older release does not know comes back from the dry run as an ``invalid``
verdict naming the field, instead of being dropped. A cluster that serves the kind in no version is an error that
names the Kyverno release that introduced it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..kube import Discovery

POLICY_GROUP = "policies.kyverno.io"

#: The Kyverno release that first served each policies.kyverno.io kind (shared/spec/kyverno-semantics.md, section 2).
INTRODUCED_IN = {
    "ValidatingPolicy": "1.14",
    "ImageValidatingPolicy": "1.14",
    "PolicyException": "1.14",
    "MutatingPolicy": "1.15",
    "GeneratingPolicy": "1.15",
    "DeletingPolicy": "1.15",
    "NamespacedValidatingPolicy": "1.16",
    "NamespacedImageValidatingPolicy": "1.16",
    "NamespacedDeletingPolicy": "1.16",
    "NamespacedMutatingPolicy": "1.17",
    "NamespacedGeneratingPolicy": "1.17",
}

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


class VersionError(LookupError):
    """The cluster serves no version of a kind we want to write."""


def _priority(version: str) -> tuple[int, int, int]:
    m = _VERSION.match(version)
    if not m:
        return (3, 0, 0)
    return ({None: 0, "beta": 1, "alpha": 2}[m.group(2)], -int(m.group(1)), -int(m.group(3) or 0))


def served_versions(discovery: Discovery, group: str, kind: str) -> list[str]:
    """The versions of ``group`` that serve ``kind``, newest (by Kubernetes version priority) first."""
    versions = {r.version for r in discovery.resources if r.group == group and r.kind == kind}
    return sorted(versions, key=_priority)


def target_version(discovery: Discovery, api_version: str, kind: str, *, context: str = "") -> str:
    """The version to write a ``kind`` object of ``api_version`` in: its own when served, else the newest served.

    :raises VersionError: the cluster serves no version of the kind.
    """
    group, _, version = api_version.rpartition("/")
    served = served_versions(discovery, group, kind)
    if not served:
        where = f"context {context!r}" if context else "the cluster"
        hint = ""
        if group == POLICY_GROUP:
            since = INTRODUCED_IN.get(kind)
            hint = (f"; {kind} is served by Kyverno {since} and later" if since else "") + \
                " (run check_kyverno to see what is installed)"
        raise VersionError(f"{where} serves no version of {group} {kind}{hint}")
    return version if version in served else served[0]


def convert(document: dict[str, Any], version: str) -> dict[str, Any]:
    """A copy of ``document`` in ``version`` of its group (the policies.kyverno.io versions share one schema)."""
    group = str(document.get("apiVersion") or "").rpartition("/")[0]
    out = copy.deepcopy(document)
    out["apiVersion"] = f"{group}/{version}" if group else version
    return out


def for_cluster(discovery: Discovery, document: dict[str, Any], *, context: str = "") -> dict[str, Any]:
    """``document`` in the version the cluster serves (see :func:`target_version`)."""
    version = target_version(discovery, str(document.get("apiVersion") or ""), str(document.get("kind") or ""),
                             context=context)
    return convert(document, version)


__all__ = ["INTRODUCED_IN", "POLICY_GROUP", "VersionError", "convert", "for_cluster", "served_versions",
           "target_version"]
