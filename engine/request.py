"""The admission request an evaluation sees: the object, its old version, the operation and who asks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .resources import plural_for

OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT")


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return group, version
    return "", api_version


@dataclass(frozen=True)
class Resource:
    """Identity of a Kubernetes object under evaluation."""

    group: str
    version: str
    kind: str
    plural: str
    namespace: str
    name: str

    @property
    def api_version(self) -> str:
        """The ``apiVersion`` string."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @classmethod
    def of(cls, obj: dict[str, Any], plural: str | None = None) -> Resource:
        """Identity of a plain object; the plural comes from the built-in table unless given."""
        api_version = str(obj.get("apiVersion") or "")
        kind = str(obj.get("kind") or "")
        group, version = split_api_version(api_version)
        metadata = obj.get("metadata") or {}
        name = str(metadata.get("name") or metadata.get("generateName") or "")
        return cls(
            group, version, kind, plural or plural_for(api_version, kind), str(metadata.get("namespace") or ""), name
        )


@dataclass
class AdmissionContext:
    """What an evaluation knows besides the policy: operation, objects, user and namespace."""

    operation: str = "CREATE"
    object: dict[str, Any] | None = None
    old_object: dict[str, Any] | None = None
    user_info: dict[str, Any] = field(default_factory=dict)
    #: The requester's Roles (``namespace:name``) and ClusterRoles, for ClusterPolicy ``roles``/``clusterRoles``.
    roles: tuple[str, ...] = ()
    cluster_roles: tuple[str, ...] = ()
    namespace_object: dict[str, Any] | None = None
    subresource: str = ""
    dry_run: bool = False
    #: The resource's plural name when the caller knows it (from discovery); otherwise it is looked up.
    plural: str = ""
    #: Per-request caches (the request dict, shared activations), filled on first use.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def subject(self) -> dict[str, Any]:
        """The object the policy is about: ``object``, or ``oldObject`` for DELETE."""
        return self.object if self.object is not None else (self.old_object or {})

    def resource(self) -> Resource:
        """Identity of :attr:`subject` (computed once per context)."""
        cached = self.cache.get("resource")
        if cached is None:
            cached = Resource.of(self.subject, self.plural or None)
            self.cache["resource"] = cached
        return cached

    def request(self) -> dict[str, Any]:
        """The ``request`` variable, shaped like an AdmissionRequest (built once per context)."""
        cached: dict[str, Any] | None = self.cache.get("request")
        if cached is not None:
            return cached
        built = self._build_request()
        self.cache["request"] = built
        return built

    def _build_request(self) -> dict[str, Any]:
        res = self.resource()
        gvk = {"group": res.group, "version": res.version, "kind": res.kind}
        gvr = {"group": res.group, "version": res.version, "resource": res.plural}
        user = {"username": "", "groups": [], **self.user_info}
        return {
            "uid": "",
            "kind": gvk,
            "resource": gvr,
            "subResource": self.subresource,
            "requestKind": gvk,
            "requestResource": gvr,
            "requestSubResource": self.subresource,
            "name": res.name,
            "namespace": res.namespace,
            "operation": self.operation,
            "userInfo": user,
            "object": self.object,
            "oldObject": self.old_object,
            "dryRun": self.dry_run,
            "options": None,
        }


def admission_request(
    obj: dict[str, Any],
    operation: str = "CREATE",
    *,
    old_object: dict[str, Any] | None = None,
    user_info: dict[str, Any] | None = None,
    roles: tuple[str, ...] = (),
    cluster_roles: tuple[str, ...] = (),
    namespace_object: dict[str, Any] | None = None,
    plural: str = "",
    subresource: str = "",
) -> AdmissionContext:
    """The admission request for ``obj`` under ``operation``, with one semantics for every runner (``apply``,
    ``test``, scans, ``evaluate_policy``, ``explain_violation``):

    - CREATE (and CONNECT): ``object`` is ``obj``, no old object;
    - UPDATE: ``object`` is ``obj`` and ``oldObject`` its old version, or ``obj`` itself when no old version is
      known (as ``kyverno test`` does: an update that changes nothing);
    - DELETE: ``oldObject`` is ``obj`` and there is no ``object``.
    """
    ctx = AdmissionContext(
        operation=operation,
        user_info=dict(user_info or {}),
        roles=roles,
        cluster_roles=cluster_roles,
        namespace_object=namespace_object,
        plural=plural,
        subresource=subresource,
    )
    if operation == "DELETE":
        ctx.old_object = obj
    else:
        ctx.object = obj
        if operation == "UPDATE":
            ctx.old_object = old_object if old_object is not None else obj
    return ctx
