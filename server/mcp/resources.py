"""MCP resources: the policy sets and each policy as YAML.

- ``pykyverno://policysets``: the sets (name, description, policy names) as YAML;
- ``pykyverno://policysets/{name}``: every policy of a set, multi-document YAML;
- ``pykyverno://policies/{name}``: one policy's YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from ..policysets import PolicyCatalog, PolicySetError

YAML = "application/yaml"


def _found(read: Callable[[str], str], name: str) -> str:
    """``read(name)``, an unknown set or policy being a resource that is not found."""
    try:
        return read(name)
    except PolicySetError as exc:
        raise ResourceNotFoundError(str(exc.args[0] if exc.args else exc)) from None


def register(server: MCPServer[Any], catalog: PolicyCatalog) -> None:
    """Register the resources on ``server``."""

    @server.resource("pykyverno://policysets", name="policy-sets", title="Policy sets", mime_type=YAML,
                     description="The policy sets this server checks against, with their policy names.")
    def policy_sets() -> str:
        sets = catalog.sets()
        return yaml.safe_dump([{"name": s.name, "description": s.description, "source": s.source,
                                "default": s.default, "policies": list(s.policies)} for s in sets], sort_keys=False)

    @server.resource("pykyverno://policysets/{name}", name="policy-set", title="Policies of a set", mime_type=YAML,
                     description="Every policy of one set as multi-document YAML.")
    def policy_set(name: str) -> str:
        return _found(catalog.set_yaml, name)

    @server.resource("pykyverno://policies/{name}", name="policy", title="One policy", mime_type=YAML,
                     description="One policy's YAML (names from list_policy_sets).")
    def policy(name: str) -> str:
        return _found(catalog.policy_yaml, name)
