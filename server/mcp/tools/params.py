"""Tool parameters defined once: name, description and validation travel together in ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_OPTIONAL_DNS_LABEL = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$"


def _absent_as_empty(value: object) -> object:
    return "" if value is None else value


# Optional names are typed ``str`` with "" for absent, never ``str | None``: the SDK decodes JSON text given to a
# parameter of any other type, so an object, context or namespace named `null` would arrive as None (absent).
KubeContext = Annotated[
    str,
    BeforeValidator(_absent_as_empty),
    Field(description="kubeconfig context (default: the one chosen with switch_context, else the kubeconfig's "
          "current context)", max_length=253),
]
KubeContexts = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=253)]] | None,
    Field(
        description="contexts to scan in one call (each reported separately). Default: the session's context.",
        max_length=20,
    ),
]
NamespaceName = Annotated[
    str,
    Field(description="a Kubernetes namespace name", pattern=_DNS_LABEL, min_length=1, max_length=63),
]
Namespace = Annotated[
    str,
    Field(description="the namespace to scan (must exist in the cluster)", pattern=_DNS_LABEL, min_length=1,
          max_length=63),
]
OptionalNamespace = Annotated[
    str,
    BeforeValidator(_absent_as_empty),
    Field(description="namespace of the object (omit for cluster-scoped kinds)", pattern=_OPTIONAL_DNS_LABEL,
          max_length=63),
]
Namespaces = Annotated[
    list[NamespaceName] | None,
    Field(description="only these namespaces (default: every namespace)", max_length=100),
]
ExcludeNamespaces = Annotated[
    list[NamespaceName] | None,
    Field(description="namespaces to leave out, e.g. [\"kube-system\"]", max_length=100),
]
PolicySets = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]] | None,
    Field(
        description="policy sets to check, e.g. [\"pod-security-restricted\"]. Default: the server's default sets "
        "(list_policy_sets marks them).",
        max_length=20,
    ),
]
Limit = Annotated[
    int | None,
    Field(description="how many findings to return in this answer (default 20). Use a small value to stay within "
          "your context budget and `cursor` to get more.", ge=1, le=500),
]
Cursor = Annotated[
    str,
    BeforeValidator(_absent_as_empty),
    Field(description="nextCursor from a previous answer of the same tool: returns the next page of that scan "
          "without scanning again (the other arguments are ignored).", max_length=200),
]
IncludePassing = Annotated[
    bool,
    Field(description="also list passing and skipped results in the page (default: only fail, warn and error)"),
]
YamlText = Annotated[
    str,
    Field(description="YAML (one or more documents separated by ---) or JSON", min_length=1, max_length=2_000_000),
]
#: Typed ``str`` (never ``str | None``): the MCP SDK decodes JSON text given to a parameter of any other type, so
#: JSON in an optional YAML parameter would arrive as a dict and fail validation. An omitted or null value is "".
OptionalYaml = Annotated[
    str,
    BeforeValidator(_absent_as_empty),
    Field(description="YAML (one or more documents separated by ---) or JSON", max_length=2_000_000),
]
OperationParam = Annotated[
    Literal["CREATE", "UPDATE", "DELETE"],
    Field(description="admission operation to simulate (UPDATE uses old_resources_yaml as the old objects)"),
]
Kind = Annotated[
    str,
    BeforeValidator(_absent_as_empty),
    Field(description="kind of the object, e.g. Deployment (or a plural such as deployments)", max_length=100),
]
ApiVersion = Annotated[
    str,
    BeforeValidator(_absent_as_empty),
    Field(description="apiVersion to disambiguate the kind, e.g. apps/v1", max_length=200),
]
ObjectName = Annotated[
    str,
    BeforeValidator(_absent_as_empty),
    Field(description="name of the object", max_length=253),
]
PolicyName = Annotated[
    str,
    BeforeValidator(_absent_as_empty),
    Field(description="policy name (list_policy_sets)", max_length=253),
]
ResultFilter = Annotated[
    list[Literal["pass", "fail", "warn", "error", "skip"]] | None,
    Field(description="which report results to return (default: fail, warn, error)"),
]
