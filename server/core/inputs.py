"""The side inputs of an evaluation (a Test, ``apply``, ``evaluate_policy``): Values, UserInfo, Context, mocked API
calls and global context, and the one place that turns an object into an admission request with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pykyverno.engine.cel import Providers
from pykyverno.engine.cel.offline import offline_providers
from pykyverno.engine.cpol.values import values_of
from pykyverno.engine.documents import expand_lists, read_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.request import AdmissionContext, admission_request


def _first_document(path: Path) -> dict[str, Any]:
    documents = read_documents(path)
    if not documents:
        raise LoadError("file holds no document", source=str(path))
    return documents[0].data


@dataclass
class EvaluationInputs:
    """Everything besides policies and resources that shapes an evaluation."""

    providers: Providers
    user_info: dict[str, Any] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    cluster_roles: tuple[str, ...] = ()
    namespaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    global_values: dict[str, Any] = field(default_factory=dict)
    #: (policy, resource name) -> values such as ``request.operation``.
    resource_values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: Subresource kinds (e.g. ``Binding``) -> (parent plural, subresource), from Values ``subresources``.
    subresources: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Problems met while reading the inputs (the run goes on without the broken part).
    issues: list[str] = field(default_factory=list)

    def namespace_object(self, name: str) -> dict[str, Any]:
        """The Namespace object of ``name`` (a bare one when the inputs do not describe it)."""
        return self.namespaces.get(name) or {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}

    def request(
        self, obj: dict[str, Any], operation: str = "CREATE", old_object: dict[str, Any] | None = None
    ) -> AdmissionContext:
        """The admission request for ``obj`` (see :func:`~pykyverno.engine.request.admission_request` for what each
        operation carries), with the inputs' user, roles, namespace object and subresource."""
        namespace = str((obj.get("metadata") or {}).get("namespace") or "")
        plural, subresource = self.subresources.get(str(obj.get("kind") or ""), ("", ""))
        return admission_request(
            obj,
            operation,
            old_object=old_object,
            user_info=self.user_info,
            roles=self.roles,
            cluster_roles=self.cluster_roles,
            namespace_object=self.namespace_object(namespace) if namespace else None,
            plural=plural,
            subresource=subresource,
        )

    def operation_for(self, policy: str, obj: dict[str, Any], default: str) -> str:
        """The operation to evaluate with: per-resource values win over global values and the row's."""
        name = str((obj.get("metadata") or {}).get("name") or "")
        values = self.resource_values.get((policy, name), {})
        operation = values.get("request.operation") or self.global_values.get("request.operation")
        if default != "CREATE" or not operation:
            return default
        return str(operation).upper()


def parse_values(data: dict[str, Any], inputs: EvaluationInputs) -> None:
    """Apply a ``Values`` document (namespaces, namespaceSelector, globalValues, per-resource values)."""
    for ns in data.get("namespaces") or []:
        name = str((ns.get("metadata") or {}).get("name") or "")
        if name:
            inputs.namespaces[name] = ns
    for selector in data.get("namespaceSelector") or []:
        name = str(selector.get("name") or "")
        if not name:
            continue
        ns = inputs.namespaces.setdefault(name, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        ns.setdefault("metadata", {}).setdefault("labels", {}).update(selector.get("labels") or {})
    inputs.global_values.update(data.get("globalValues") or {})
    values_of(inputs.providers).add_document(data)
    for entry in data.get("subresources") or []:
        parent = entry.get("parentResource") or {}
        sub = entry.get("subresource") or {}
        parent_plural, _, name = str(sub.get("name") or "").partition("/")
        if sub.get("kind") and name:
            inputs.subresources[str(sub["kind"])] = (str(parent.get("name") or parent_plural), name)
    for policy in data.get("policies") or []:
        for resource in policy.get("resources") or []:
            key = (str(policy.get("name") or ""), str(resource.get("name") or ""))
            inputs.resource_values[key] = dict(resource.get("values") or {})


def _resolve_entry(entry: dict[str, Any], base_path: Path, issues: list[str]) -> dict[str, Any]:
    """Inline the ``resourceFiles`` of a globalContextEntries item (paths relative to the test)."""
    files = entry.get("resourceFiles") or []
    if not files:
        return entry
    resolved = dict(entry)
    objects = list(resolved.get("resources") or [])
    for name in files:
        try:
            objects.extend(d.data for d in expand_lists(read_documents(base_path / str(name))))
        except LoadError as exc:
            issues.append(f"globalContextEntries {entry.get('name')!r}: {exc}")
    resolved["resources"] = objects
    resolved.pop("resourceFiles", None)
    return resolved


def read_inputs(
    *,
    resources: list[dict[str, Any]],
    base_path: Path,
    context_path: Path | None = None,
    values_paths: list[Path] | None = None,
    inline_values: dict[str, Any] | None = None,
    userinfo_path: Path | None = None,
    api_call_responses: list[dict[str, Any]] | None = None,
    global_context_entries: list[dict[str, Any]] | None = None,
) -> EvaluationInputs:
    """Read evaluation inputs from explicit files (``apply``, Tests) or none (``evaluate_policy``)."""
    context = _first_document(context_path) if context_path else None
    issues: list[str] = []
    entries = [_resolve_entry(entry, base_path, issues) for entry in global_context_entries or []]
    try:
        providers = offline_providers(
            context, api_call_responses=api_call_responses or [], global_context_entries=entries
        )
    except ValueError as exc:
        raise LoadError(f"invalid test inputs: {exc}", source=str(base_path)) from None
    inputs = EvaluationInputs(providers=providers, issues=issues)
    context_objects = ((context or {}).get("spec") or {}).get("resources") or []
    for obj in [*context_objects, *resources]:
        if isinstance(obj, dict) and obj.get("kind") == "Namespace":
            name = str((obj.get("metadata") or {}).get("name") or "")
            inputs.namespaces.setdefault(name, obj)
    for path in values_paths or []:
        parse_values(_first_document(path), inputs)
    if inline_values:
        parse_values(inline_values, inputs)
    if userinfo_path:
        info = _first_document(userinfo_path)
        inputs.user_info = dict(info.get("userInfo") or {})
        inputs.roles = tuple(str(r) for r in info.get("roles") or ())
        inputs.cluster_roles = tuple(str(r) for r in info.get("clusterRoles") or ())
    return inputs
