"""Toolset ``policies``: the policy catalog (list, describe), explaining a violation, and authoring help
(evaluate a draft policy against manifests, lint it)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from pykyverno.engine.cel import Providers
from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.objects import object_key
from pykyverno.engine.request import admission_request
from pykyverno.engine.results import summarize

from ...core.evaluate import evaluate_policy_text
from ...core.explain import Explained, explain, explain_policy_text, first_result
from ...core.isolation import run_untrusted
from ...core.manifests import yaml_objects
from ...kube import APIResourceInfo, Discovery, KubeClient
from ...kube.errors import KubeError
from ...policysets import describe_document
from ...policysets.describe import describe_matches
from ...redaction import redact, remember_sensitive
from ...scan.runner import SourceResources
from ...scan.sources import ClusterSource
from .. import render
from ..errors import ToolInputError, tool_errors
from ..lint import lint_answer
from ..models import (
    CheckModel,
    EvaluatedResult,
    EvaluateResult,
    Explanation,
    FieldValue,
    LintResult,
    NamedExpression,
    PatchedResource,
    PatchOp,
    PolicyDescription,
    PolicySetList,
    PolicySetModel,
    ResourceRef,
)
from ..state import AppState, resolve_context, state_of
from .common import CLUSTER, LOCAL, add_tool, respond
from .params import ApiVersion, Kind, KubeContext, ObjectName, OperationParam, OptionalNamespace, OptionalYaml, YamlText

MAX_RESULTS = 200


# ----------------------------------------------------------------------------- catalog
@tool_errors("list_policy_sets")
async def list_policy_sets(ctx: Context) -> Annotated[CallToolResult, PolicySetList]:
    """List the policy sets this server can check against (bundled sets such as pod-security-baseline,
    pod-security-restricted, best-practices, rbac-best-practices, and any policies loaded with --policy), with
    their descriptions and policy names. Use it to choose `policy_sets` for a scan or a policy name for
    describe_policy / explain_violation."""
    state = state_of(ctx)
    sets = await anyio.to_thread.run_sync(state.policies.sets)
    answer = PolicySetList(
        sets=[PolicySetModel(name=s.name, description=s.description, source=s.source, experimental=s.experimental,
                             default=s.default, includes=list(s.includes), policies=list(s.policies)) for s in sets],
        default_sets=state.policies.default_sets(),
    )
    return respond(answer, render.policy_sets(answer))


def _description(data: dict[str, Any], problems: list[str]) -> PolicyDescription:
    return PolicyDescription(
        name=data["name"], kind=data["kind"], set=data["set"], title=data["title"], category=data["category"],
        severity=data["severity"], description=data["description"], remediation=data["remediation"],
        matches=data["matches"], autogen=data["autogen"],
        match_conditions=[NamedExpression(**c) for c in data["matchConditions"]],
        variables=[NamedExpression(**v) for v in data["variables"]],
        checks=[CheckModel(message=c["message"], expression=c["expression"]) for c in data["checks"]],
        validation_actions=data["validationActions"], background=data["background"], load_problems=problems,
    )


@tool_errors("describe_policy")
async def describe_policy(
    ctx: Context,
    policy: Annotated[str, Field(description="policy name from list_policy_sets", min_length=1, max_length=253)],
) -> Annotated[CallToolResult, PolicyDescription]:
    """Explain one policy in plain words: its intent, severity, category, which resources and operations it
    matches (including pod controllers added by autogen), each validation with its message and CEL expression,
    and how to fix a violation. Use it when the user asks what a policy checks or why it exists."""
    state = state_of(ctx)
    entry = await anyio.to_thread.run_sync(state.policies.policy, policy)
    data = describe_document(entry.document, entry.set_name, entry.path).to_dict()
    answer = _description(data, list(entry.problems))
    return respond(answer, render.description(answer))


# ----------------------------------------------------------------------------- explain
def find_type(discovery: Discovery, kind: str, api_version: str | None) -> APIResourceInfo:
    """The resource type a user means by ``kind`` (kind, plural, singular or short name)."""
    wanted = kind.strip().lower()
    group = version = None
    if api_version:
        group, _, version = api_version.rpartition("/")
    matches = [r for r in discovery.resources
               if wanted in (r.kind.lower(), r.resource, r.singular, *r.short_names)
               and (group is None or r.group == group) and (version is None or r.version == version)]
    if not matches:
        unknown = f" (discovery of {', '.join(sorted(discovery.failed))} failed: it may be there)" \
            if discovery.failed else ""
        raise ToolInputError(f"kind {kind!r}{f' in {api_version}' if api_version else ''} is not served by this "
                             f"cluster{unknown}; check the spelling (e.g. Deployment, pods) or pass api_version")
    preferred = [r for r in matches if r.preferred] or matches
    groups = sorted({r.api_version for r in preferred})
    if len(groups) > 1 and api_version is None:
        core = [r for r in preferred if r.group in ("", "apps", "batch")]
        if len({r.group for r in core}) == 1:
            return core[0]
        raise ToolInputError(f"kind {kind!r} is served by several APIs ({', '.join(groups)}); pass api_version")
    return preferred[0]


def _fetch(client: KubeClient, kind: str, api_version: str | None, namespace: str | None,
           name: str) -> tuple[dict[str, Any], dict[str, Any] | None, SourceResources]:
    rtype = find_type(client.discover(), kind, api_version)
    if rtype.namespaced and not namespace:
        raise ToolInputError(f"{rtype.kind} is namespaced: pass `namespace`")
    fetched = client.get(rtype.group, rtype.version, rtype.resource, name,
                         namespace=namespace if rtype.namespaced else None)
    fetched.setdefault("apiVersion", rtype.api_version)
    fetched.setdefault("kind", rtype.kind)  # before redaction, which recognises Secrets by kind
    obj = redact(fetched)
    ns_obj = None
    if rtype.namespaced and namespace:
        try:
            ns_obj = redact(client.get("", "v1", "namespaces", namespace))
        except KubeError:
            ns_obj = None
    source = ClusterSource(client)
    return obj, ns_obj, SourceResources(source, source.types())


def _manifest(text: str, name: str | None) -> dict[str, Any]:
    docs = yaml_objects(text, "manifest_yaml")
    if name:
        docs = [d for d in docs if (d.get("metadata") or {}).get("name") == name] or docs
    if not docs:
        raise ToolInputError("manifest_yaml holds no document; pass the resource's YAML")
    if len(docs) > 1:
        raise ToolInputError(f"manifest_yaml holds {len(docs)} documents; pass one, or `name` to choose it")
    if not docs[0].get("kind") or not docs[0].get("apiVersion"):
        raise ToolInputError("the manifest needs apiVersion and kind")
    return redact(docs[0])


def _ref(obj: dict[str, Any]) -> ResourceRef:
    meta = obj.get("metadata") or {}
    return ResourceRef(api_version=str(obj.get("apiVersion") or ""), kind=str(obj.get("kind") or ""),
                       namespace=str(meta.get("namespace") or ""), name=str(meta.get("name") or ""))


def build_explanation(explained: Explained, obj: dict[str, Any], policy_name: str, policy_kind: str,
                      document: dict[str, Any], context: str | None, remediation: str) -> Explanation:
    """The answer of explain_violation from a core explanation."""
    ref = _ref(obj)
    result = explained.result
    if result is None:
        matches = "; ".join(describe_matches(document.get("spec") or {})) or "nothing declared"
        return Explanation(policy=policy_name, policy_kind=policy_kind, resource=ref, context=context,
                           result="not-applicable", remediation=remediation,
                           note=f"The policy does not apply to this {ref.kind} (it matches: {matches}; match "
                                "conditions or exceptions may also exclude it). Pick a resource it matches.")
    return Explanation(
        policy=result.policy, policy_kind=result.policy_kind, resource=ref, context=context, result=result.result,
        severity=result.severity, category=result.category, validation_index=result.validation_index,
        expression=result.expression.strip(), message=result.message, remediation=remediation,
        fields=[FieldValue(path=p, present=present, value=value) for p, present, value in explained.fields],
        patch=[PatchOp(**op) for op in explained.patch], patch_note=explained.patch_note, note=explained.note,
    )


@tool_errors("explain_violation")
async def explain_violation(
    ctx: Context,
    policy: Annotated[str | None, Field(description="policy name (list_policy_sets); with policy_yaml, selects "
                                        "one of its policies", min_length=1, max_length=253)] = None,
    policy_yaml: OptionalYaml = "",
    context: KubeContext = None,
    kind: Kind = None,
    name: ObjectName = None,
    namespace: OptionalNamespace = None,
    api_version: ApiVersion = None,
    manifest_yaml: OptionalYaml = "",
) -> Annotated[CallToolResult, Explanation]:
    """Explain why a resource fails (or passes) a policy and how to fix it: which validation failed, its CEL
    expression and message, the current values of the fields the expression reads, the policy's remediation, and a
    JSON patch when one can be derived (e.g. a securityContext flag that must be false, a missing label). Give the
    resource either by reference in a cluster (kind, name, namespace, optional context) or as manifest_yaml. Use
    it after a scan finding, or to check a manifest before applying it."""
    state = state_of(ctx)
    if not policy and not policy_yaml:
        raise ToolInputError("pass `policy` (a name from list_policy_sets) or `policy_yaml`")
    if not manifest_yaml and not (kind and name):
        raise ToolInputError("pass the resource: kind + name (+ namespace, context) for an object in a cluster, or "
                             "manifest_yaml")
    return await anyio.to_thread.run_sync(_explain, state, policy, policy_yaml, context, kind, name, namespace,
                                          api_version, manifest_yaml, _context_name(ctx, context, manifest_yaml))


def _context_name(ctx: Context, context: str | None, manifest_yaml: str | None) -> str | None:
    return None if manifest_yaml else resolve_context(ctx, context)


def _explain(state: AppState, policy: str | None, policy_yaml: str | None, context: str | None, kind: str | None,
             name: str | None, namespace: str | None, api_version: str | None, manifest_yaml: str | None,
             context_name: str | None) -> CallToolResult:
    resources: SourceResources | None = None
    if manifest_yaml:
        obj = _manifest(manifest_yaml, name)
        ns = str((obj.get("metadata") or {}).get("namespace") or "")
        ns_obj: dict[str, Any] | None = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}} \
            if ns else None
    else:
        assert kind is not None and name is not None and context_name is not None
        client = state.require_registry().client(context_name)
        obj, ns_obj, resources = _fetch(client, kind, api_version, namespace, name)
    if policy_yaml:  # the agent's policy: untrusted code, evaluated isolated
        found = run_untrusted(explain_policy_text, policy_yaml, policy, obj, ns_obj, resources=resources)
        answer = build_explanation(found.explained, obj, found.policy_name, found.policy_kind, found.document,
                                   context_name, found.remediation)
        return respond(answer, render.explanation(answer))
    assert policy is not None
    entry = state.policies.policy(policy)
    if not entry.compiled:
        raise ToolInputError(f"policy {policy!r} does not load: {'; '.join(entry.problems) or 'not supported'}")
    exceptions: list[PolicyException] = state.policies.load([entry.set_name]).exceptions
    request = admission_request(obj, namespace_object=ns_obj)
    result, variant = first_result(list(entry.compiled), exceptions, request, Providers(resource=resources))
    answer = build_explanation(explain(result, variant, obj), obj, entry.name, str(entry.document.get("kind") or ""),
                               entry.document, context_name, describe_document(entry.document).remediation)
    return respond(answer, render.explanation(answer))


# ----------------------------------------------------------------------------- authoring
def _evaluate(policy_yaml: str, resources_yaml: str, old_resources_yaml: str | None, operation: str,
              exceptions_yaml: str | None) -> EvaluateResult:
    resources = yaml_objects(resources_yaml, "resources_yaml")
    if not resources:
        raise ToolInputError("resources_yaml holds no document; pass the manifests to evaluate")
    old = {object_key(o): o for o in yaml_objects(old_resources_yaml or "", "old_resources_yaml")}
    remember_sensitive([*resources, *old.values()])  # evaluated as written; secret values are masked in answers
    # the agent's policy: untrusted code, evaluated isolated
    evaluation = run_untrusted(evaluate_policy_text, policy_yaml, exceptions_yaml, resources, old, operation)
    results, issues = evaluation.results, evaluation.issues
    if operation == "UPDATE" and not old:
        issues.append("operation UPDATE without old_resources_yaml: each resource is its own old version")
    items = [EvaluatedResult(policy=r.policy, policy_kind=r.policy_kind, result=r.result,
                             resource=ResourceRef(api_version=r.resource.api_version, kind=r.resource.kind,
                                                  namespace=r.resource.namespace, name=r.resource.name),
                             message=r.message, validation_index=r.validation_index, expression=r.expression.strip(),
                             severity=r.severity) for r in results[:MAX_RESULTS]]
    if len(results) > MAX_RESULTS:
        issues.append(f"{len(results) - MAX_RESULTS} more results not shown; evaluate fewer resources at once")
    patched = [PatchedResource(policy=r.policy, resource=_ref(r.patched), object=redact(r.patched))
               for r in results if r.patched is not None]
    generated = [redact(g) for r in results for g in r.generated]
    return EvaluateResult(policies=evaluation.policies, summary=summarize(results), results=items, patched=patched,
                          generated=generated, issues=issues)


@tool_errors("evaluate_policy")
async def evaluate_policy(
    ctx: Context,
    policy_yaml: YamlText,
    resources_yaml: YamlText,
    old_resources_yaml: OptionalYaml = "",
    operation: OperationParam = "CREATE",
    exceptions_yaml: OptionalYaml = "",
) -> Annotated[CallToolResult, EvaluateResult]:
    """Run policy YAML (ValidatingPolicy, MutatingPolicy, ValidatingAdmissionPolicy, ClusterPolicy...) against
    resource manifests offline, as Kyverno's admission would: the result per policy and resource (pass, fail, warn,
    error, skip) with messages, the patched resources for mutating policies, and generated resources where the
    engine supports them. Use it while writing or changing a policy, with good and bad sample manifests; add
    old_resources_yaml for UPDATE and exceptions_yaml for PolicyExceptions. Nothing touches a cluster."""
    answer = await anyio.to_thread.run_sync(_evaluate, policy_yaml, resources_yaml, old_resources_yaml, operation,
                                            exceptions_yaml)
    return respond(answer, render.evaluation(answer))


@tool_errors("lint_policy")
async def lint_policy(ctx: Context, policy_yaml: YamlText) -> Annotated[CallToolResult, LintResult]:
    """Check policy YAML without running it: YAML syntax, schema errors and CEL compile errors with field path,
    line and column (and a caret under the error), the estimated cost of each expression against the API server's
    limit, and suggestions (missing severity or remediation annotations, Pod rules that lose autogen, Deny combined
    with Warn, validations without messages). Use it on every draft before evaluate_policy."""
    answer = await anyio.to_thread.run_sync(lint_answer, policy_yaml)
    return respond(answer, render.lint(answer))


def register(server: MCPServer[Any]) -> None:
    """Register the toolset."""
    add_tool(server, list_policy_sets, "List policy sets", LOCAL)
    add_tool(server, describe_policy, "Describe a policy", LOCAL)
    add_tool(server, explain_violation, "Explain a violation", CLUSTER)
    add_tool(server, evaluate_policy, "Evaluate a policy on manifests", LOCAL)
    add_tool(server, lint_policy, "Lint a policy", LOCAL)


__all__ = ["describe_policy", "evaluate_policy", "explain_violation", "find_type", "lint_policy",
           "list_policy_sets", "register"]
