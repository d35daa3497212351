"""Choosing the policies of a run: bundled sets by name and policy files or folders."""

from __future__ import annotations

from collections.abc import Sequence

from pykyverno.engine.loader import load_policies
from pykyverno.engine.policyset import PolicySet

from ..policysets import default_sets, load_sets


def resolve_policies(set_names: Sequence[str], paths: Sequence[str], *, defaults: bool = True) -> PolicySet:
    """The named bundled sets and policy paths; with ``defaults``, the default sets when neither is given.
    Raises :class:`~pykyverno.server.policysets.PolicySetError` for an unknown set."""
    policies = PolicySet()
    if set_names or (defaults and not paths):
        policies.extend(load_sets(list(set_names) or default_sets()))
    if paths:
        policies.extend(load_policies(paths))
    return policies
