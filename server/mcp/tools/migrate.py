"""Toolset ``migrate``: ``migrate_policy``, kyverno.io/v1 ClusterPolicies rewritten as CEL policies (read-only:
the converted YAML and, given manifests, where the original and converted verdicts differ; nothing is written)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from ...core.manifests import yaml_documents, yaml_objects
from ...core.migrate import dump_policies, migrate_documents
from ...core.migrate_check import MigrationReport, check_objects
from ..errors import ToolInputError, tool_errors
from ..models import Out
from .common import LOCAL, add_tool, respond
from .params import OptionalYaml, YamlText


class MigratedRule(Out):
    """One rule of a source policy: the ValidatingPolicy it became, or why it was not converted."""

    policy: str
    rule: str
    type: str
    converted_to: str = ""
    reason: str = ""


class VerdictPair(Out):
    """A (resource, rule) pair checked on both policies."""

    policy: str
    rule: str
    resource: str
    original: str
    converted: str


class MigrationResult(Out):
    """Answer of migrate_policy."""

    summary: dict[str, int]
    rules: list[MigratedRule]
    converted_yaml: str
    differences: list[VerdictPair] = Field(default_factory=list)


def migration_answer(policy_yaml: str, resources_yaml: str) -> MigrationResult:
    """Convert the policies of ``policy_yaml``; check them on ``resources_yaml`` when given."""
    documents = [d.data for d in yaml_documents(policy_yaml, "policy_yaml")]
    migration = migrate_documents(documents)
    if not migration.rules:
        raise ToolInputError("policy_yaml holds no kyverno.io/v1 ClusterPolicy or Policy; pass the legacy policy to "
                             "convert.")
    report = MigrationReport(migration)
    if resources_yaml.strip():
        report.check = check_objects(documents, migration, yaml_objects(resources_yaml, "resources_yaml"))
    pairs = report.check.differences if report.check else []
    return MigrationResult(
        summary=report.summary(),
        rules=[MigratedRule(**r.to_dict()) for r in migration.rules],
        converted_yaml=dump_policies(migration.documents),
        differences=[VerdictPair(**{k: v for k, v in p.to_dict().items() if k in VerdictPair.model_fields})
                     for p in pairs],
    )


def _markdown(answer: MigrationResult) -> str:
    s = answer.summary
    lines = [f"**{s['converted']}/{s['rules']} rule(s) converted**"
             + (f", {s['agree']}/{s['pairs']} checked pair(s) agree" if s["pairs"] else "")]
    for rule in answer.rules:
        lines.append(f"- `{rule.policy}/{rule.rule}` -> `{rule.converted_to}`" if rule.converted_to
                     else f"- `{rule.policy}/{rule.rule}` not converted: {rule.reason}")
    lines.extend(f"- differs on {p.resource}: `{p.policy}/{p.rule}` original {p.original}, converted {p.converted}"
                 for p in answer.differences)
    if answer.converted_yaml.strip():
        lines.extend(["", "```yaml", answer.converted_yaml.rstrip(), "```"])
    return "\n".join(lines)


@tool_errors("migrate_policy")
async def migrate_policy(
    ctx: Context, policy_yaml: YamlText, resources_yaml: OptionalYaml = ""
) -> Annotated[CallToolResult, MigrationResult]:
    """Convert kyverno.io/v1 ClusterPolicy/Policy YAML (patterns, anchors, deny conditions, foreach, preconditions,
    JMESPath variables) into CEL policies, one per rule: ValidatingPolicy for validate rules, MutatingPolicy for
    mutate, GeneratingPolicy for generate (and kyverno.io/v2 PolicyExceptions into CEL ones), keeping names,
    annotations, match and autogen. Rules that cannot be converted faithfully are listed with the reason. Given
    resources_yaml, both the original and the converted policies are evaluated on those manifests and every
    (resource, rule) whose verdict differs is listed. Read-only: returns the converted YAML, writes nothing."""
    answer = await anyio.to_thread.run_sync(migration_answer, policy_yaml, resources_yaml)
    return respond(answer, _markdown(answer))


def register(server: MCPServer[Any]) -> None:
    """Register the toolset."""
    add_tool(server, migrate_policy, "Migrate a policy to CEL", LOCAL)


__all__ = ["migrate_policy", "migration_answer", "register"]
