"""Pydantic models of every tool's structured output (they become the tools' ``outputSchema``).

Field names are snake_case in Python and camelCase on the wire.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Out(BaseModel):
    """Base of every output model: camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


# ----------------------------------------------------------------------------- contexts
class ContextModel(Out):
    """A kubeconfig context (never its credentials)."""

    name: str
    cluster: str
    server: str
    user: str
    namespace: str
    current: bool = Field(description="the kubeconfig's current-context")
    selected: bool = Field(description="the context this session uses by default")
    source: str = Field(description="kubeconfig or in-cluster")


class ContextList(Out):
    """Answer of list_contexts."""

    contexts: list[ContextModel]
    selected: str | None = Field(description="the session's default context")
    current: str | None = Field(description="the kubeconfig's current-context")
    session_scoped: bool = Field(description="whether switch_context is remembered by this connection")


class SwitchResult(Out):
    """Answer of switch_context."""

    context: str
    previous: str | None
    server: str
    remembered: bool = Field(description="false on stateless connections: pass `context` to each tool instead")
    note: str = ""


# ----------------------------------------------------------------------------- policies
class PolicySetModel(Out):
    """A policy set."""

    name: str
    description: str
    source: str = Field(description="bundled, or paths (the server's --policy paths)")
    experimental: bool
    default: bool = Field(description="scanned when no policy_sets are given")
    includes: list[str]
    policies: list[str]


class PolicySetList(Out):
    """Answer of list_policy_sets."""

    sets: list[PolicySetModel]
    default_sets: list[str]


class NamedExpression(Out):
    """A named CEL expression (match condition or variable)."""

    name: str
    expression: str


class CheckModel(Out):
    """One validation: the message shown when it fails and the expression that decides."""

    message: str
    expression: str


class PolicyDescription(Out):
    """Answer of describe_policy: a policy in plain words."""

    name: str
    kind: str
    set: str
    title: str
    category: str
    severity: str
    description: str
    remediation: str
    matches: list[str] = Field(description="resource kinds and operations it applies to")
    autogen: list[str] = Field(description="pod controller kinds autogen adds to a Pod policy")
    match_conditions: list[NamedExpression]
    variables: list[NamedExpression]
    checks: list[CheckModel]
    validation_actions: list[str]
    background: bool = Field(description="evaluated by background scans (and by scan_namespace/scan_cluster)")
    load_problems: list[str] = Field(default_factory=list)


# ----------------------------------------------------------------------------- scans
class ResourceRef(Out):
    """The object a result is about."""

    api_version: str
    kind: str
    namespace: str = ""
    name: str


class Finding(Out):
    """One policy result on one object."""

    context: str
    policy: str
    result: str
    severity: str = ""
    category: str = ""
    resource: ResourceRef
    message: str = ""
    validation_index: int | None = None


class NamespaceRow(Out):
    """Counts per namespace of one context ("" = cluster-scoped objects)."""

    context: str
    namespace: str
    counts: dict[str, int]
    fail_by_severity: dict[str, int]


class PolicyRow(Out):
    """Counts per policy over the whole scan."""

    policy: str
    severity: str
    category: str
    counts: dict[str, int]


class NotScanned(Out):
    """A resource type (or a whole context) that could not be read."""

    context: str
    resource: str
    namespace: str
    reason: str
    message: str


class ClusterRow(Out):
    """One scanned context."""

    context: str
    server: str
    objects: int
    counts: dict[str, int]
    error: str = ""


class ScanResult(Out):
    """Answer of scan_namespace and scan_cluster: totals, tables and one page of results."""

    scan_id: str
    policy_sets: list[str]
    policies: int
    totals: dict[str, int]
    clusters: list[ClusterRow]
    namespaces: list[NamespaceRow]
    by_policy: list[PolicyRow]
    not_scanned: list[NotScanned]
    results: list[Finding] = Field(description="this page of results, most severe first")
    offset: int
    total_results: int = Field(description="results matching the page filter over the whole scan")
    next_cursor: str | None = Field(description="pass as `cursor` to get the next page; null when done")
    cancelled: bool = False
    policy_issues: list[str] = Field(default_factory=list)
    incomplete: bool = Field(default=False, description="true when something was not scanned (see notScanned: a "
                             "context, a resource type, a group version whose discovery failed, or what the scan "
                             "deadline cut off): the counts cover only what was scanned")


# ----------------------------------------------------------------------------- explain
class FieldValue(Out):
    """A field the failed expression reads, with its value in the object."""

    path: str
    present: bool
    value: Any = None


class PatchOp(Out):
    """One RFC 6902 JSON patch operation."""

    op: str
    path: str
    value: Any = None


class Explanation(Out):
    """Answer of explain_violation."""

    policy: str
    policy_kind: str
    resource: ResourceRef
    context: str | None = None
    result: str = Field(description="pass, fail, warn, error, skip, or not-applicable")
    severity: str = ""
    category: str = ""
    validation_index: int | None = None
    expression: str = ""
    message: str = ""
    fields: list[FieldValue] = Field(default_factory=list)
    remediation: str = ""
    patch: list[PatchOp] = Field(default_factory=list, description="suggested JSON patch (RFC 6902), if derivable")
    patch_note: str = ""
    note: str = ""


# ----------------------------------------------------------------------------- evaluate / lint
class EvaluatedResult(Out):
    """One result of evaluate_policy."""

    policy: str
    policy_kind: str
    result: str
    resource: ResourceRef
    message: str = ""
    validation_index: int | None = None
    expression: str = ""
    severity: str = ""


class PatchedResource(Out):
    """A resource as a MutatingPolicy leaves it."""

    policy: str
    resource: ResourceRef
    object: dict[str, Any]


class EvaluateResult(Out):
    """Answer of evaluate_policy."""

    policies: list[str]
    summary: dict[str, int]
    results: list[EvaluatedResult]
    patched: list[PatchedResource] = Field(default_factory=list)
    generated: list[dict[str, Any]] = Field(default_factory=list)
    issues: list[str] = Field(default_factory=list, description="documents that could not be used, and why")


class LintDiagnostic(Out):
    """A problem lint found, located in the YAML text."""

    severity: str = Field(default="error", description="error, warning or info")
    document: int = Field(description="1-based index of the YAML document")
    policy: str
    kind: str
    path: str = Field(description="field path, e.g. spec.validations[0].expression")
    line: int | None = Field(default=None, description="1-based line in the YAML text")
    column: int | None = Field(default=None, description="1-based column in the YAML text")
    expression_line: int | None = Field(default=None, description="for CEL: 1-based line within the expression")
    expression_column: int | None = Field(default=None, description="for CEL: 1-based column within the expression")
    message: str
    snippet: str = Field(default="", description="the expression line with a caret under the error")


class CostEstimate(Out):
    """The estimated cost of one expression (the CEL front end's static estimate when it can parse it)."""

    path: str
    cost: int | None = Field(default=None, description="estimated worst-case cost units (null: not estimated)")
    limit: int | None = Field(default=None, description="the per-expression limit the API server would enforce")
    level: str = Field(description="low, medium or high (share of the limit, or a heuristic)")
    reason: str


class LintResult(Out):
    """Answer of lint_policy."""

    valid: bool
    policies: list[str]
    errors: list[LintDiagnostic]
    warnings: list[LintDiagnostic] = Field(default_factory=list)
    costs: list[CostEstimate]
    suggestions: list[str]


# ----------------------------------------------------------------------------- reports
class ReportResult(Out):
    """One result of an in-cluster PolicyReport."""

    report: str
    namespace: str
    policy: str
    rule: str = ""
    result: str
    severity: str = ""
    category: str = ""
    message: str = ""
    resources: list[ResourceRef] = Field(default_factory=list)
    timestamp: str = ""


class PolicyReportsResult(Out):
    """Answer of get_policy_reports."""

    context: str
    available: bool = Field(description="false when the cluster serves no PolicyReports (wgpolicyk8s.io or "
                            "openreports.io)")
    api_version: str = ""
    reports: int = 0
    summary: dict[str, int] = Field(default_factory=dict)
    results: list[ReportResult] = Field(default_factory=list)
    total_results: int = 0
    truncated: bool = False
    note: str = ""
