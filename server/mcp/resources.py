"""MCP resources: the policy sets and each policy as YAML, and the HTML report of each kept scan.

- ``pykyverno://policysets``: the sets (name, description, policy names) as YAML;
- ``pykyverno://policysets/{name}``: every policy of a set, multi-document YAML;
- ``pykyverno://policies/{name}``: one policy's YAML;
- ``pykyverno://reports/{scan_id}``: the self-contained HTML posture report of a scan the server keeps for paging
  (the ``reportUri`` and resource link of every scan answer).

The ``ui://`` view of the MCP App is registered by :mod:`.apps`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from ..policysets import PolicyCatalog, PolicySetError
from ..redaction import mask_data
from ..report.html import render_html
from .state import state_of

YAML = "application/yaml"
HTML = "text/html"


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

    @server.resource("pykyverno://reports/{scan_id}", name="scan-report", title="Posture report of a scan",
                     mime_type=HTML, description="Self-contained HTML posture report of a recent scan (its reportUri).")
    def scan_report(scan_id: str, ctx: Context) -> str:
        report = state_of(ctx).scans.report(scan_id)
        if report is None:
            raise ResourceNotFoundError(f"no kept scan {scan_id!r}: the server keeps only recent scans; run the scan "
                                        "again and read the reportUri of its answer")
        return render_html(mask_data(report.to_dict()))
