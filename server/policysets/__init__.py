"""The policy-set catalogue: the bundled sets written for pykyverno (ValidatingPolicies and friends, one policy per
YAML file, in one folder per set next to this package) and configured policy paths; describing a policy in words.

:mod:`.catalog` holds the manifests, loading and the :class:`PolicyCatalog` both the CLI and the MCP server use;
:mod:`.describe` describes a policy. May import ``pykyverno.engine``; never ``server/commands`` or ``server/mcp``.
"""

from __future__ import annotations

from .catalog import (
    CONFIGURED_SET,
    MANIFEST_NAME,
    SETS_ROOT,
    PolicyCatalog,
    PolicyEntry,
    PolicyLocation,
    PolicySetError,
    PolicySetInfo,
    SetEntry,
    available_sets,
    default_sets,
    find_policy,
    get_set,
    load_set,
    load_sets,
    policy_document,
    policy_locations,
    resolve_set,
    resolve_sets,
    set_names,
)
from .describe import Check, PolicyDescription, describe_document, describe_policy, remediation_for

__all__ = [
    "CONFIGURED_SET",
    "MANIFEST_NAME",
    "SETS_ROOT",
    "Check",
    "PolicyCatalog",
    "PolicyDescription",
    "PolicyEntry",
    "PolicyLocation",
    "PolicySetError",
    "PolicySetInfo",
    "SetEntry",
    "available_sets",
    "default_sets",
    "describe_document",
    "describe_policy",
    "find_policy",
    "get_set",
    "load_set",
    "load_sets",
    "policy_document",
    "policy_locations",
    "remediation_for",
    "resolve_set",
    "resolve_sets",
    "set_names",
]
