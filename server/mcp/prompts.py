"""MCP prompts for the common workflows: audit a namespace, harden a workload, write and test a policy."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field


def audit_namespace(
    namespace: Annotated[str, Field(description="namespace to audit")],
    context: Annotated[str, Field(description="kubeconfig context (empty: the session's)")] = "",
) -> str:
    """Audit one namespace against the default policy sets and propose fixes."""
    where = f" in context `{context}`" if context else ""
    ctx_arg = f', context="{context}"' if context else ""
    return f"""Audit the Kubernetes namespace `{namespace}`{where} for policy compliance.

1. Call `scan_namespace` with namespace="{namespace}"{ctx_arg}. If there are many findings, page with `cursor`.
2. Summarise the compliance table: which policies fail most, by severity (critical and high first).
3. For the three most severe findings, call `explain_violation` (policy, kind, name, namespace="{namespace}"{ctx_arg})
   and show the failing fields and the suggested patch.
4. Finish with a prioritised remediation plan (what to change in which workload manifest). Do not apply changes:
   every pykyverno tool is read-only."""


def harden_workload(
    kind: Annotated[str, Field(description="kind of the workload, e.g. Deployment")],
    name: Annotated[str, Field(description="name of the workload")],
    namespace: Annotated[str, Field(description="its namespace")],
    context: Annotated[str, Field(description="kubeconfig context (empty: the session's)")] = "",
) -> str:
    """Harden one workload: check it against the restricted pod security and best-practice sets, explain each
    failure and assemble one patch."""
    ctx_arg = f', context="{context}"' if context else ""
    return f"""Harden the {kind} `{namespace}/{name}`.

1. Call `list_policy_sets` and pick pod-security-restricted and best-practices.
2. Call `scan_namespace` (namespace="{namespace}"{ctx_arg}, policy_sets=["pod-security-restricted",
   "best-practices"], include_passing=false) and keep the findings about {kind}/{namespace}/{name}.
3. For each failing policy, call `explain_violation` (policy, kind="{kind}", name="{name}",
   namespace="{namespace}"{ctx_arg}).
4. Merge the suggested JSON patches into one hardened manifest (replace <value> placeholders with real values),
   then verify it offline with `evaluate_policy` by passing the policies (pykyverno://policies/<name> resources)
   and the hardened manifest. Report what changed and anything that still fails."""


def write_policy(
    requirement: Annotated[str, Field(description="what the policy must enforce, in plain words")],
    kind: Annotated[str, Field(description="resource kind it applies to, e.g. Pod")] = "Pod",
) -> str:
    """Write a Kyverno ValidatingPolicy for a requirement and test it with good and bad manifests."""
    return f"""Write a Kyverno ValidatingPolicy (apiVersion policies.kyverno.io/v1) that enforces: {requirement}
It applies to {kind} resources.

1. Read an example such as pykyverno://policies/disallow-privilege-escalation for the conventions: annotations
   policies.kyverno.io/title, category, severity, description and pykyverno.io/remediation;
   validationActions [Audit]; matchConstraints.resourceRules; variables; validations with messageExpression.
2. Call `lint_policy` on your draft and fix every error and suggestion.
3. Write at least one manifest that must pass and one that must fail, and call `evaluate_policy` with both
   (resources_yaml holds them as separate YAML documents). Iterate until the results are exactly as intended.
4. Show the final policy YAML and the test results."""


def register(server: MCPServer[Any]) -> None:
    """Register the prompts on ``server``."""
    server.prompt(title="Audit a namespace")(audit_namespace)
    server.prompt(title="Harden a workload")(harden_workload)
    server.prompt(title="Write and test a policy")(write_policy)
