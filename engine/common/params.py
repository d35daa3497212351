"""Parameter resources of admission policies: ``paramKind`` + ``paramRef`` resolved through the resource provider.

The objects come from the ``resource`` provider of the evaluation in progress (the CLI fills it with a Test's
``paramResources`` and Context resources; the server with the cluster). Kubernetes' rules: a namespaced
``paramKind`` is looked up in ``paramRef.namespace``, else in the namespace of the object under admission; a
cluster-scoped one must not name a namespace. ``paramRef.name`` selects one object, ``paramRef.selector`` a list.
MutatingAdmissionPolicies also read parameter objects loaded with them (a Test's ``paramResources``, in file order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from ..cel.providers import current_providers
from ..errors import EvaluationError
from ..resources import is_namespaced, plural_for
from .labels import selector_matches
from .model import LabelSelector, Model


class ParamKind(Model):
    """``paramKind``: the apiVersion and kind of parameter objects."""

    api_version: str = ""
    kind: str = ""


class ParamRef(Model):
    """``paramRef``: which parameter objects a binding (or validate.cel rule) uses."""

    name: str = ""
    namespace: str = ""
    selector: LabelSelector | None = None
    parameter_not_found_action: str = Field(default="Deny")


class ParamError(EvaluationError):
    """The parameters cannot be resolved (the message says why)."""


def _in_scope(obj: dict[str, Any], kind: ParamKind, namespace: str) -> bool:
    obj_namespace = str((obj.get("metadata") or {}).get("namespace") or "default")
    return (
        obj.get("apiVersion") == kind.api_version
        and obj.get("kind") == kind.kind
        and (not namespace or obj_namespace == namespace)
    )


def _from_provider(kind: ParamKind, ref: ParamRef, namespace: str) -> list[dict[str, Any]]:
    provider = current_providers().resource
    if provider is None:
        raise ParamError(f"no resource provider to read {kind.kind} parameters from (give paramResources)")
    plural = plural_for(kind.api_version, kind.kind)
    if ref.name:
        try:
            return [provider.get(kind.api_version, plural, namespace, ref.name)]
        except LookupError:
            return []
    try:
        listed = provider.list(kind.api_version, plural, namespace)
    except LookupError as exc:
        raise ParamError(f"cannot list {kind.kind} parameters: {exc.args[0] if exc.args else exc}") from None
    return [item for item in listed.get("items") or [] if isinstance(item, dict)]


def resolve_params(
    kind: ParamKind, ref: ParamRef, object_namespace: str, local: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The parameter objects for one evaluation (possibly none): from ``local`` objects loaded with the policy when
    any is of the kind and namespace, else from the resource provider. Raise :class:`ParamError` on a lookup problem.

    An empty result is returned as is; whether it denies (``parameterNotFoundAction: Deny``) is the caller's call.
    """
    namespaced = is_namespaced(kind.api_version, kind.kind)
    if namespaced is False and ref.namespace:
        raise ParamError("paramRef.namespace must not be provided for a cluster-scoped `paramKind`")
    namespace = (ref.namespace or object_namespace) if namespaced is not False else ""
    candidates = [obj for obj in local if _in_scope(obj, kind, namespace)] or _from_provider(kind, ref, namespace)
    if ref.name:
        return [obj for obj in candidates if (obj.get("metadata") or {}).get("name") == ref.name][:1]
    if ref.selector is None:
        return candidates
    selector = ref.selector.as_dict()
    return [obj for obj in candidates if selector_matches(selector, (obj.get("metadata") or {}).get("labels") or {})]
