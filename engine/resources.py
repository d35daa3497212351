"""Kubernetes resource types: kind <-> plural resource name, scope, and API group/version.

A built-in table covers the core Kubernetes API groups (plus Kyverno's and the policy-report kinds). A
:class:`ResourceCatalog` can be extended with CustomResourceDefinition documents. Lookups by ``apiVersion`` try the
exact group/version first and then any version of the same group, so ``apps/v1beta2`` Deployments still resolve.
Kinds that are known nowhere get Kubernetes' conventional plural (``guess_plural``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ResourceType:
    """One served resource: ``group``/``version``, its ``kind``, plural ``resource`` name and scope."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, ``group/version`` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        """The lower-case singular name (``deployment``)."""
        return self.kind.lower()


# group, versions, kind, plural, scope (N namespaced / C cluster), short names
_BUILTIN_TABLE = """
| v1 | Binding | bindings | N |
| v1 | ComponentStatus | componentstatuses | C | cs
| v1 | ConfigMap | configmaps | N | cm
| v1 | Endpoints | endpoints | N | ep
| v1 | Event | events | N | ev
| v1 | LimitRange | limitranges | N | limits
| v1 | Namespace | namespaces | C | ns
| v1 | Node | nodes | C | no
| v1 | PersistentVolumeClaim | persistentvolumeclaims | N | pvc
| v1 | PersistentVolume | persistentvolumes | C | pv
| v1 | Pod | pods | N | po
| v1 | PodTemplate | podtemplates | N |
| v1 | ReplicationController | replicationcontrollers | N | rc
| v1 | ResourceQuota | resourcequotas | N | quota
| v1 | Secret | secrets | N |
| v1 | ServiceAccount | serviceaccounts | N | sa
| v1 | Service | services | N | svc
admissionregistration.k8s.io|v1,v1beta1|MutatingWebhookConfiguration|mutatingwebhookconfigurations|C |
admissionregistration.k8s.io|v1,v1beta1|ValidatingWebhookConfiguration|validatingwebhookconfigurations|C |
admissionregistration.k8s.io|v1,v1beta1,v1alpha1|ValidatingAdmissionPolicy|validatingadmissionpolicies|C |
admissionregistration.k8s.io|v1,v1beta1,v1alpha1|ValidatingAdmissionPolicyBinding|validatingadmissionpolicybindings|C |
admissionregistration.k8s.io|v1beta1,v1alpha1,v1|MutatingAdmissionPolicy|mutatingadmissionpolicies|C |
admissionregistration.k8s.io|v1beta1,v1alpha1,v1|MutatingAdmissionPolicyBinding|mutatingadmissionpolicybindings|C |
apiextensions.k8s.io | v1,v1beta1 | CustomResourceDefinition | customresourcedefinitions | C | crd,crds
apiregistration.k8s.io | v1 | APIService | apiservices | C |
apps | v1,v1beta2,v1beta1 | ControllerRevision | controllerrevisions | N |
apps | v1,v1beta2 | DaemonSet | daemonsets | N | ds
apps | v1,v1beta2,v1beta1 | Deployment | deployments | N | deploy
apps | v1,v1beta2 | ReplicaSet | replicasets | N | rs
apps | v1,v1beta2,v1beta1 | StatefulSet | statefulsets | N | sts
authentication.k8s.io | v1 | TokenReview | tokenreviews | C |
authentication.k8s.io | v1 | SelfSubjectReview | selfsubjectreviews | C |
authorization.k8s.io | v1 | LocalSubjectAccessReview | localsubjectaccessreviews | N |
authorization.k8s.io | v1 | SelfSubjectAccessReview | selfsubjectaccessreviews | C |
authorization.k8s.io | v1 | SelfSubjectRulesReview | selfsubjectrulesreviews | C |
authorization.k8s.io | v1 | SubjectAccessReview | subjectaccessreviews | C |
autoscaling | v2,v1,v2beta2,v2beta1 | HorizontalPodAutoscaler | horizontalpodautoscalers | N | hpa
batch | v1,v1beta1 | CronJob | cronjobs | N | cj
batch | v1 | Job | jobs | N |
certificates.k8s.io | v1,v1beta1 | CertificateSigningRequest | certificatesigningrequests | C | csr
certificates.k8s.io | v1beta1,v1alpha1 | ClusterTrustBundle | clustertrustbundles | C |
coordination.k8s.io | v1,v1beta1 | Lease | leases | N |
coordination.k8s.io | v1beta1,v1alpha2 | LeaseCandidate | leasecandidates | N |
discovery.k8s.io | v1,v1beta1 | EndpointSlice | endpointslices | N |
events.k8s.io | v1,v1beta1 | Event | events | N | ev
flowcontrol.apiserver.k8s.io | v1,v1beta3 | FlowSchema | flowschemas | C |
flowcontrol.apiserver.k8s.io | v1,v1beta3 | PriorityLevelConfiguration | prioritylevelconfigurations | C |
networking.k8s.io | v1 | IngressClass | ingressclasses | C |
networking.k8s.io | v1,v1beta1 | Ingress | ingresses | N | ing
networking.k8s.io | v1 | NetworkPolicy | networkpolicies | N | netpol
networking.k8s.io | v1,v1beta1 | IPAddress | ipaddresses | C | ip
networking.k8s.io | v1,v1beta1 | ServiceCIDR | servicecidrs | C |
node.k8s.io | v1,v1beta1 | RuntimeClass | runtimeclasses | C |
policy | v1,v1beta1 | PodDisruptionBudget | poddisruptionbudgets | N | pdb
policy | v1beta1 | PodSecurityPolicy | podsecuritypolicies | C | psp
rbac.authorization.k8s.io | v1 | ClusterRoleBinding | clusterrolebindings | C |
rbac.authorization.k8s.io | v1 | ClusterRole | clusterroles | C |
rbac.authorization.k8s.io | v1 | RoleBinding | rolebindings | N |
rbac.authorization.k8s.io | v1 | Role | roles | N |
resource.k8s.io | v1,v1beta2,v1beta1 | DeviceClass | deviceclasses | C |
resource.k8s.io | v1,v1beta2,v1beta1 | ResourceClaim | resourceclaims | N |
resource.k8s.io | v1,v1beta2,v1beta1 | ResourceClaimTemplate | resourceclaimtemplates | N |
resource.k8s.io | v1,v1beta2,v1beta1 | ResourceSlice | resourceslices | C |
scheduling.k8s.io | v1 | PriorityClass | priorityclasses | C | pc
storage.k8s.io | v1 | CSIDriver | csidrivers | C |
storage.k8s.io | v1 | CSINode | csinodes | C |
storage.k8s.io | v1 | CSIStorageCapacity | csistoragecapacities | N |
storage.k8s.io | v1 | StorageClass | storageclasses | C | sc
storage.k8s.io | v1 | VolumeAttachment | volumeattachments | C |
storage.k8s.io | v1,v1beta1 | VolumeAttributesClass | volumeattributesclasses | C | vac
metrics.k8s.io | v1beta1 | PodMetrics | pods | N |
metrics.k8s.io | v1beta1 | NodeMetrics | nodes | C |
kyverno.io | v1 | ClusterPolicy | clusterpolicies | C | cpol
kyverno.io | v1 | Policy | policies | N | pol
kyverno.io | v2,v2beta1 | PolicyException | policyexceptions | N | polex
kyverno.io | v2,v2beta1 | CleanupPolicy | cleanuppolicies | N | cleanpol
kyverno.io | v2,v2beta1 | ClusterCleanupPolicy | clustercleanuppolicies | C | ccleanpol
kyverno.io | v2,v1beta1 | UpdateRequest | updaterequests | N | ur
kyverno.io | v2alpha1 | GlobalContextEntry | globalcontextentries | C | gctxentry
policies.kyverno.io | v1,v1beta1,v1alpha1 | ValidatingPolicy | validatingpolicies | C | vpol
policies.kyverno.io | v1,v1beta1 | NamespacedValidatingPolicy | namespacedvalidatingpolicies | N | nvpol
policies.kyverno.io | v1,v1beta1,v1alpha1 | MutatingPolicy | mutatingpolicies | C | mpol
policies.kyverno.io | v1 | NamespacedMutatingPolicy | namespacedmutatingpolicies | N | nmpol
policies.kyverno.io | v1,v1beta1,v1alpha1 | GeneratingPolicy | generatingpolicies | C | gpol
policies.kyverno.io | v1 | NamespacedGeneratingPolicy | namespacedgeneratingpolicies | N | ngpol
policies.kyverno.io | v1,v1beta1,v1alpha1 | DeletingPolicy | deletingpolicies | C | dpol
policies.kyverno.io | v1,v1beta1 | NamespacedDeletingPolicy | namespaceddeletingpolicies | N | ndpol
policies.kyverno.io | v1,v1beta1,v1alpha1 | ImageValidatingPolicy | imagevalidatingpolicies | C | ivpol
policies.kyverno.io | v1,v1beta1 | NamespacedImageValidatingPolicy | namespacedimagevalidatingpolicies | N | nivpol
policies.kyverno.io | v1,v1beta1,v1alpha1 | PolicyException | policyexceptions | N |
wgpolicyk8s.io | v1alpha2 | PolicyReport | policyreports | N | polr
wgpolicyk8s.io | v1alpha2 | ClusterPolicyReport | clusterpolicyreports | C | cpolr
openreports.io | v1alpha1 | Report | reports | N | rep
openreports.io | v1alpha1 | ClusterReport | clusterreports | C | crep
"""


def _parse_table(table: str) -> tuple[ResourceType, ...]:
    types: list[ResourceType] = []
    for line in table.strip().splitlines():
        group, versions, kind, plural, scope, shorts = (cell.strip() for cell in line.split("|"))
        for version in versions.split(","):
            types.append(
                ResourceType(group, version, kind, plural, scope == "N", tuple(s for s in shorts.split(",") if s))
            )
    return tuple(types)


BUILTIN_TYPES: tuple[ResourceType, ...] = _parse_table(_BUILTIN_TABLE)


def split_api_version(api_version: str) -> tuple[str, str]:
    """``"apps/v1"`` -> ``("apps", "v1")``; ``"v1"`` -> ``("", "v1")``."""
    group, slash, version = api_version.strip().rpartition("/")
    return (group, version) if slash else ("", api_version.strip())


def guess_plural(kind: str) -> str:
    """Kubernetes' conventional plural of a kind, lower-cased (what CRD generators and the RESTMapper guess).

    ``Policy`` -> ``policies``, ``Ingress`` -> ``ingresses``, ``ComputeClass`` -> ``computeclasses``,
    ``Endpoints`` -> ``endpoints``.
    """
    singular = kind.lower()
    if not singular:
        return singular
    if singular.endswith("endpoints"):
        return singular
    if singular.endswith(("s", "x", "z", "ch", "sh")):
        return singular + "es"
    if singular.endswith("y") and len(singular) > 1 and singular[-2] not in "aeiou":
        return singular[:-1] + "ies"
    return singular + "s"


class ResourceCatalog:
    """A lookup table of resource types: the built-in ones plus any CRDs added with :meth:`add_crd`."""

    def __init__(self, types: Iterable[ResourceType] = BUILTIN_TYPES) -> None:
        self._by_kind: dict[tuple[str, str, str], ResourceType] = {}
        self._by_plural: dict[tuple[str, str, str], ResourceType] = {}
        self._group_kind: dict[tuple[str, str], ResourceType] = {}
        self._group_plural: dict[tuple[str, str], ResourceType] = {}
        for resource_type in types:
            self.add(resource_type)

    def add(self, resource_type: ResourceType) -> None:
        """Register one resource type (the first version registered for a group wins version-less lookups)."""
        t = resource_type
        self._by_kind[(t.group, t.version, t.kind)] = t
        self._by_plural[(t.group, t.version, t.plural)] = t
        self._group_kind.setdefault((t.group, t.kind), t)
        self._group_plural.setdefault((t.group, t.plural), t)

    def add_crd(self, crd: Mapping[str, Any]) -> list[ResourceType]:
        """Register the types a ``CustomResourceDefinition`` document serves; return them."""
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        group = str(spec.get("group") or "")
        kind = str(names.get("kind") or "")
        if not kind:
            raise ValueError("CustomResourceDefinition without spec.names.kind")
        plural = str(names.get("plural") or guess_plural(kind))
        namespaced = spec.get("scope", "Namespaced") != "Cluster"
        shorts = tuple(str(s) for s in names.get("shortNames") or ())
        versions = [str(v.get("name")) for v in spec.get("versions") or () if v.get("name")]
        if not versions and spec.get("version"):
            versions = [str(spec["version"])]
        added = [ResourceType(group, version, kind, plural, namespaced, shorts) for version in versions]
        for resource_type in added:
            self._by_kind[(group, resource_type.version, kind)] = resource_type
            self._by_plural[(group, resource_type.version, plural)] = resource_type
            self._group_kind[(group, kind)] = resource_type
            self._group_plural[(group, plural)] = resource_type
        return added

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type of ``kind`` in ``api_version`` (falling back to any version of the group), or ``None``."""
        group, version = split_api_version(api_version)
        found = self._by_kind.get((group, version, kind)) or self._group_kind.get((group, kind))
        return found

    def by_plural(self, api_version: str, plural: str) -> ResourceType | None:
        """The type served as ``plural`` in ``api_version`` (any version of the group as fallback), or ``None``."""
        group, version = split_api_version(api_version)
        plural = plural.lower().partition("/")[0]
        return self._by_plural.get((group, version, plural)) or self._group_plural.get((group, plural))

    def plural_for(self, api_version: str, kind: str) -> str:
        """The plural resource name of ``kind`` (a conventional guess when the kind is unknown)."""
        found = self.by_kind(api_version, kind)
        return found.plural if found else guess_plural(kind)

    def kind_for(self, api_version: str, plural: str) -> str | None:
        """The kind served as ``plural`` in ``api_version``, or ``None`` when unknown."""
        found = self.by_plural(api_version, plural)
        return found.kind if found else None

    def is_namespaced(self, api_version: str, kind: str) -> bool | None:
        """Whether ``kind`` is namespaced; ``None`` when the kind is unknown."""
        found = self.by_kind(api_version, kind)
        return found.namespaced if found else None

    def types(self) -> list[ResourceType]:
        """All registered types."""
        return list(self._by_kind.values())


DEFAULT_CATALOG = ResourceCatalog()


def plural_for(api_version: str, kind: str) -> str:
    """The plural resource name of ``kind`` in the built-in table (e.g. ``("apps/v1", "Deployment")`` ->
    ``"deployments"``); Kubernetes' conventional plural for unknown kinds."""
    return DEFAULT_CATALOG.plural_for(api_version, kind)


def kind_for(api_version: str, plural: str) -> str | None:
    """The kind served as ``plural`` in the built-in table (``("v1", "pods")`` -> ``"Pod"``), or ``None``."""
    return DEFAULT_CATALOG.kind_for(api_version, plural)


def is_namespaced(api_version: str, kind: str) -> bool | None:
    """Whether a built-in ``kind`` is namespaced; ``None`` when unknown."""
    return DEFAULT_CATALOG.is_namespaced(api_version, kind)
