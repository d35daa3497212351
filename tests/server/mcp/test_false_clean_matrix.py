"""Issue 13's matrix for the MCP server: every path that could answer "clean" about something it could not look at,
driven through a real MCP client over every transport and both protocol eras. Each cell either shows the planted
violation or is an ``isError`` whose text names what is wrong; a cell that answers clean fails.

Transports: in memory (modern per-request path and the legacy handshake), stdio (a ``pykyverno serve`` process),
streamable HTTP with a session (legacy handshake, ``Mcp-Session-Id``) and stateless (protocol 2026-07-28).
The MCP Inspector CLI (a third-party client) runs the stdio cells it can in ``test_inspector.py``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from pykyverno.server.mcp import ServerSettings, build_server

from .conftest import Clusters
from .test_tools import text
from .test_transports import TOKEN, HttpServer, child_env

pytestmark = pytest.mark.anyio

TRANSPORTS = ["memory-modern", "memory-legacy", "stdio", "http-session", "http-stateless"]
#: Transports that keep a per-client selection for switch_context.
WITH_SESSION = {"memory-modern", "memory-legacy", "stdio", "http-session"}


@dataclass
class Cell:
    """One call and what its answer must say: ``error`` cells must be isError containing every ``says``; others
    must succeed, contain every ``says`` in their text and pass ``check`` on the structured content."""

    name: str
    tool: str
    args: dict[str, Any]
    says: tuple[str, ...]
    error: bool = True
    check: Callable[[dict[str, Any]], bool] = field(default=lambda data: True)


UNKNOWN_NAMES = [
    Cell("namespace typo in scan_namespace", "scan_namespace", {"namespace": "shopp"},
         ("namespace 'shopp' does not exist in context 'alpha'", "did you mean 'shop'")),
    Cell("namespace typo in scan_cluster", "scan_cluster", {"namespaces": ["shopp"]},
         ("namespace 'shopp' does not exist", "'shop'")),
    Cell("unknown namespace in scan_cluster", "scan_cluster", {"namespaces": ["nosuch"]},
         ("namespace 'nosuch' does not exist in context 'alpha'",)),
    Cell("namespace typo in get_policy_reports", "get_policy_reports", {"namespace": "shopp"},
         ("namespace 'shopp' does not exist", "'shop'")),
    Cell("policy typo in get_policy_reports", "get_policy_reports", {"policy": "require-label"},
         ("policy 'require-label' does not exist in any PolicyReport", "'require-labels'")),
    Cell("namespace typo in explain_violation", "explain_violation",
         {"policy": "disallow-privilege-escalation", "kind": "Pod", "name": "bad", "namespace": "shopp"},
         ("namespace 'shopp' does not exist", "'shop'")),
    Cell("object name typo in explain_violation", "explain_violation",
         {"policy": "disallow-privilege-escalation", "kind": "Pod", "name": "bda", "namespace": "shop"},
         ("Pod 'bda' does not exist in namespace 'shop'", "'bad'")),
    Cell("context typo in scan_namespace", "scan_namespace", {"namespace": "shop", "context": "alpah"},
         ("context 'alpah' does not exist", "'alpha'", "list_contexts")),
    Cell("context typo in scan_cluster", "scan_cluster", {"contexts": ["alpha", "bta"]},
         ("context 'bta' does not exist", "'beta'")),
    Cell("context typo in switch_context", "switch_context", {"context": "alpah"},
         ("context 'alpah' does not exist", "'alpha'")),
    Cell("context typo in explain_violation", "explain_violation",
         {"policy": "require-labels", "kind": "Pod", "name": "bad", "namespace": "shop", "context": "alpah"},
         ("context 'alpah' does not exist",)),
    Cell("context typo in get_policy_reports", "get_policy_reports", {"context": "alpah"},
         ("context 'alpah' does not exist",)),
    Cell("policy set typo", "scan_namespace", {"namespace": "shop", "policy_sets": ["best-practice"]},
         ("policy set 'best-practice' does not exist", "'best-practices'")),
    Cell("policy typo in explain_violation", "explain_violation",
         {"policy": "disallow-privilege-escalaton", "kind": "Pod", "name": "bad", "namespace": "shop"},
         ("policy 'disallow-privilege-escalaton' does not exist", "'disallow-privilege-escalation'")),
    Cell("policy typo in describe_policy", "describe_policy", {"policy": "require-label"},
         ("policy 'require-label' does not exist", "'require-labels'")),
]
VIOLATIONS = [
    Cell("planted violation in scan_namespace", "scan_namespace", {"namespace": "shop", "limit": 1},
         ("Scanned context `alpha`", "namespace `shop`", "more finding(s) left out", "cursor="), error=False,
         check=lambda d: d["totals"]["fail"] > 0 and d["leftOut"] == d["totalResults"] - 1 and bool(d["nextCursor"])),
    Cell("planted violation in another context", "scan_namespace", {"namespace": "team-b", "context": "beta"},
         ("Scanned context `beta`; namespace `team-b`",), error=False,
         check=lambda d: any(f["resource"]["name"] == "legacy" and f["result"] == "fail" for f in d["results"])),
    Cell("planted violation in scan_cluster", "scan_cluster", {"namespaces": ["shop"], "include_cluster_scoped": False},
         ("namespace `shop`",), error=False, check=lambda d: d["totals"]["fail"] > 0),
    Cell("a namespace in some contexts only is a note", "scan_cluster",
         {"contexts": ["alpha", "beta"], "namespaces": ["team-b"], "all_contexts": False},
         ("Note: namespace `team-b` does not exist in context(s) `alpha`",), error=False,
         check=lambda d: d["totals"]["fail"] > 0 and len(d["notes"]) == 1),
    Cell("an unknown excluded namespace is a note", "scan_cluster",
         {"namespaces": ["shop"], "exclude_namespaces": ["nosuch"], "include_cluster_scoped": False},
         ("Note: excluded namespace `nosuch` does not exist in the scanned context(s)",), error=False,
         check=lambda d: d["totals"]["fail"] > 0 and len(d["notes"]) == 1),
    Cell("planted violation in explain_violation", "explain_violation",
         {"policy": "disallow-privilege-escalation", "kind": "Pod", "name": "bad", "namespace": "shop"},
         ("Explained on context `alpha`", "**FAIL**", "How to fix"), error=False,
         check=lambda d: d["result"] == "fail"),
    Cell("passing object has no fix", "explain_violation",
         {"policy": "disallow-privilege-escalation", "kind": "Pod", "name": "good", "namespace": "shop"},
         ("**PASS**",), error=False, check=lambda d: d["result"] == "pass" and d["remediation"] == ""),
    Cell("planted report result", "get_policy_reports", {"namespace": "shop"},
         ("context `alpha`", "namespace `shop`"), error=False, check=lambda d: d["summary"]["fail"] == 1),
]


@asynccontextmanager
async def connect(transport: str, settings: ServerSettings, kubeconfig: Path,
                  tmp_path: Path) -> AsyncIterator[Client]:
    """A connected client over ``transport``, serving every toolset (and the settings' ``--policy`` paths)."""
    extra = [arg for path in settings.policy_paths for arg in ("--policy", path)]
    if transport.startswith("memory"):
        async with Client(build_server(settings), mode="legacy" if transport == "memory-legacy" else "auto") as c:
            yield c
    elif transport == "stdio":
        params = StdioServerParameters(command=sys.executable,
                                       args=["-m", "pykyverno.server.cli", "serve", "--toolsets", "all", *extra],
                                       env={"KUBECONFIG": str(kubeconfig)})
        async with Client(params) as c:
            yield c
    else:
        token_file = tmp_path / "token"
        token_file.write_text(TOKEN)
        server = HttpServer(["--token-file", str(token_file), "--toolsets", "all", *extra],
                            child_env(KUBECONFIG=str(kubeconfig)))
        try:
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
            mode = "legacy" if transport == "http-session" else "auto"
            async with http, Client(streamable_http_client(server.url, http_client=http), mode=mode) as c:
                yield c
        finally:
            server.stop()


def verdict(cell: Cell, result: CallToolResult) -> str:
    """"" when the cell holds, else what went wrong."""
    said = text(result)
    if cell.error != bool(result.is_error):
        return f"{cell.name}: isError={result.is_error}: {said[:300]}"
    missing = [s for s in cell.says if s not in said]
    if missing:
        return f"{cell.name}: missing {missing} in: {said[:400]}"
    if not cell.error and not cell.check(result.structured_content or {}):
        return f"{cell.name}: structured content does not show it: {said[:300]}"
    return ""


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_no_false_clean(transport: str, clusters: Clusters, settings: ServerSettings, tmp_path: Path) -> None:
    failures = []
    async with connect(transport, settings, clusters.kubeconfig, tmp_path) as client:
        for cell in [*UNKNOWN_NAMES, *VIOLATIONS]:
            failures.append(verdict(cell, await client.call_tool(cell.tool, cell.args)))
        # paging keeps the limit and page 2 does not repeat page 1
        first = (await client.call_tool("scan_namespace", {"namespace": "shop", "limit": 2})).structured_content
        assert first is not None
        second = (await client.call_tool("scan_namespace", {"namespace": "shop", "cursor": first["nextCursor"]}))
        data = second.structured_content or {}
        if not (data.get("limit") == 2 and len(data.get("results", [])) == 2 and data.get("offset") == 2
                and data.get("byPolicy") == [] and "### Failing policies" not in text(second)):
            failures.append(f"page 2: {text(second)[:300]}")
        # the selection of a cluster: kept per session, refused without one
        switched = await client.call_tool("switch_context", {"context": "beta"})
        after = await client.call_tool("scan_namespace", {"namespace": "team-b"})
        if transport in WITH_SESSION:
            failures.append(verdict(Cell("switch_context with a session", "", {}, ("now this session's default",),
                                         error=False), switched))
            failures.append(verdict(Cell("scan after switch_context", "", {},
                                         ("Scanned context `beta` (selected with switch_context)",), error=False,
                                         check=lambda d: d["clusters"][0]["context"] == "beta"), after))
        else:
            failures.append(verdict(Cell("switch_context without a session", "", {},
                                         ("cannot remember 'beta'", 'context="beta"')), switched))
            failures.append(verdict(Cell("scan without a session names the context it used", "", {},
                                         ("namespace 'team-b' does not exist in context 'alpha'",)), after))
            named = await client.call_tool("scan_namespace", {"namespace": "shop"})
            failures.append(verdict(Cell("scan without context states it", "", {},
                                         ("Scanned context `alpha` (the kubeconfig's current context: no `context` "
                                          "was given and this connection keeps no session",), error=False), named))
    failures = [f for f in failures if f]
    assert failures == [], f"{transport}:\n" + "\n".join(failures)


POLICIES = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: require-team-label}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
    message: pods need a team label
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: broken-cel}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "object.spec.containers.all(c, c.image ==)"
    message: never loads
"""
UNREADABLE = [
    Cell("a policy that does not load marks the scan incomplete", "scan_namespace", {"namespace": "team-b",
                                                                                     "context": "beta"},
         ("**INCOMPLETE**", "1 policy problem(s)", "broken-cel"), error=False,
         check=lambda d: d["incomplete"] is True and any("broken-cel" in i for i in d["policyIssues"])
         and d["totals"]["fail"] > 0),
    Cell("a type the credentials may not list marks the scan incomplete", "scan_namespace", {"namespace": "shop"},
         ("**INCOMPLETE**", "some resources were not scanned", "### Not scanned", "pods"), error=False,
         check=lambda d: d["incomplete"] is True and any(n["resource"].startswith("pods") or "pods" in n["resource"]
                                                         for n in d["notScanned"])),
    Cell("a manifests scan with a broken policy is incomplete too", "scan_manifests",
         {"manifests_yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n"
                            "spec: {containers: [{name: c, image: nginx}]}\n"},
         ("**INCOMPLETE**", "broken-cel", "require-team-label"), error=False,
         check=lambda d: d["incomplete"] is True and d["totals"]["fail"] == 1),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_what_could_not_be_read_is_never_clean(transport: str, clusters: Clusters, tmp_path: Path) -> None:
    """A policy that does not load and a resource type the credentials may not list: the answer still shows what
    was found, and its first line says INCOMPLETE and why."""
    policy_file = tmp_path / "policies.yaml"
    policy_file.write_text(POLICIES)
    settings = ServerSettings(kubeconfig=str(clusters.kubeconfig), timeout=3.0, toolsets=("all",),
                              policy_paths=(str(policy_file),))
    clusters.alpha.deny(resource="pods")
    failures = []
    async with connect(transport, settings, clusters.kubeconfig, tmp_path) as client:
        for cell in UNREADABLE:
            result = await client.call_tool(cell.tool, cell.args)
            failures.append(verdict(cell, result))
            if not result.is_error and not text(result).splitlines()[0].startswith("Scanned "):
                failures.append(f"{cell.name}: the first line does not say what was scanned")
            if not result.is_error and "**INCOMPLETE**" not in text(result).splitlines()[0]:
                failures.append(f"{cell.name}: INCOMPLETE is not on the first line")
    failures = [f for f in failures if f]
    assert failures == [], f"{transport}:\n" + "\n".join(failures)
