"""Bundled policy sets written for pykyverno (ValidatingPolicies and friends, one policy per YAML file).

The YAML lives in one folder per set next to this package (``pod-security-baseline/``, ...); see
:mod:`.catalog` for the manifests and loading, and :mod:`.describe` for describing a policy in words.
"""

from __future__ import annotations

from .catalog import (
    MANIFEST_NAME,
    SETS_ROOT,
    PolicyLocation,
    PolicySetError,
    PolicySetInfo,
    available_sets,
    find_policy,
    get_set,
    load_set,
    load_sets,
    policy_locations,
    resolve_set,
    resolve_sets,
    set_names,
)
from .describe import Check, PolicyDescription, describe_document, describe_policy, remediation_for

__all__ = [
    "MANIFEST_NAME",
    "SETS_ROOT",
    "Check",
    "PolicyDescription",
    "PolicyLocation",
    "PolicySetError",
    "PolicySetInfo",
    "available_sets",
    "describe_document",
    "describe_policy",
    "find_policy",
    "get_set",
    "load_set",
    "load_sets",
    "policy_locations",
    "remediation_for",
    "resolve_set",
    "resolve_sets",
    "set_names",
]
