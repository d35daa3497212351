"""Parameter resources of admission policies: ``paramKind`` + ``paramRef`` resolved through the resource provider.

The objects come from the ``resource`` provider of the evaluation in progress (the CLI fills it with a Test's
``paramResources`` and Context resources; the server with the cluster). Kubernetes' rules: a namespaced
``paramKind`` is looked up in ``paramRef.namespace``, else in the namespace of the object under admission; a
cluster-scoped one must not name a namespace. ``paramRef.name`` selects one object, ``paramRef.selector`` a list.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..cel.providers import current_providers
from ..common.labels import selector_matches
from ..common.model import LabelSelector, Model
from ..resources import is_namespaced, plural_for


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


class ParamError(Exception):
    """The parameters cannot be resolved (the message says why)."""


def resolve_params(kind: ParamKind, ref: ParamRef, object_namespace: str) -> list[dict[str, Any]]:
    """The parameter objects for one evaluation (possibly none); raise :class:`ParamError` on a lookup problem.

    An empty result is returned as is; whether it denies (``parameterNotFoundAction: Deny``) is the caller's call.
    """
    provider = current_providers().resource
    if provider is None:
        raise ParamError(f"no resource provider to read {kind.kind} parameters from (give paramResources)")
    namespaced = is_namespaced(kind.api_version, kind.kind)
    if namespaced is False and ref.namespace:
        raise ParamError("paramRef.namespace must not be provided for a cluster-scoped `paramKind`")
    namespace = ""
    if namespaced is not False:
        namespace = ref.namespace or object_namespace
    plural = plural_for(kind.api_version, kind.kind)
    if ref.name:
        try:
            return [provider.get(kind.api_version, plural, namespace, ref.name)]
        except LookupError:
            return []
    listed = provider.list(kind.api_version, plural, namespace)
    items = [item for item in listed.get("items") or [] if isinstance(item, dict)]
    if ref.selector is None:
        return items
    selector = ref.selector.as_dict()
    return [item for item in items if selector_matches(selector, (item.get("metadata") or {}).get("labels") or {})]
