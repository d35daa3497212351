"""``check_kyverno``: is Kyverno installed in a cluster, is it healthy, and which of our policy sets run there.

Read-only. It looks at discovery (which Kyverno API groups and versions are served: CRDs installed), the controllers'
Deployments (images, so the version, and readiness), the webhook configurations Kyverno registers (failure
policies), and the policies pykyverno installed (by label). A part it cannot read (403, unreachable) is reported as
a problem, never taken as "absent". When Kyverno is absent it gives the exact install commands.

Pinned release: Kyverno **v1.19.0**, Helm chart **3.9.0**. Our bundled policies are ``policies.kyverno.io/v1``,
served since Kyverno 1.17; 1.19.0 is the newest release we have evidence of (the published Python models of
Kyverno's 1.19.0 CRDs, which serve ``policies.kyverno.io/v1`` for every kind we install), and Kyverno's chart
versions follow the application's minor release (chart 3.N.x ships Kyverno 1.(N+10).x since chart 3.0 / 1.10).
The manifest install uses ``kubectl create`` because Kyverno's CRDs are too large for client-side ``apply``'s
annotation (Kyverno's own instructions; ``kubectl apply --server-side`` works too).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from pykyverno.engine.reader import load_yaml_all

from ..kube import KubeClient
from ..kube.errors import ClusterError
from ..output import text_table
from ..policysets import available_sets
from .model import MANAGED_BY, MANAGED_BY_LABEL
from .policysets import SET_LABEL, SOURCE_HASH, installed_policies, modes_of, source_hash
from .versions import POLICY_GROUP, served_versions

KYVERNO_VERSION = "v1.19.0"
KYVERNO_CHART_VERSION = "3.9.0"
KYVERNO_NAMESPACE = "kyverno"
#: The API groups Kyverno serves through its CRDs (reports included).
KYVERNO_GROUPS = ("policies.kyverno.io", "kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io", "openreports.io")
PART_OF_SELECTOR = "app.kubernetes.io/part-of=kyverno"
WEBHOOK_LABEL = "webhook.kyverno.io/managed-by"


@dataclass(frozen=True)
class ServedKind:
    """A Kyverno kind and the versions the cluster serves it in (newest first)."""

    group: str
    kind: str
    resource: str
    namespaced: bool
    versions: list[str]


@dataclass(frozen=True)
class Controller:
    """A Kyverno controller Deployment."""

    namespace: str
    name: str
    component: str
    images: list[str]
    replicas: int
    ready: int

    @property
    def healthy(self) -> bool:
        """All desired replicas ready (and at least one)."""
        return self.replicas > 0 and self.ready >= self.replicas


@dataclass(frozen=True)
class Webhook:
    """One webhook of a Kyverno webhook configuration."""

    configuration: str
    type: str  # Validating or Mutating
    name: str
    failure_policy: str
    timeout_seconds: int | None


@dataclass
class SetStatus:
    """A bundled set as installed by pykyverno."""

    name: str
    installed: int
    total: int
    modes: dict[str, int]
    missing: list[str]
    outdated: list[str]

    @property
    def complete(self) -> bool:
        """Every policy of the set (without included sets) is installed."""
        return not self.missing


@dataclass(frozen=True)
class InstallCommands:
    """How to install Kyverno: Helm, or the release manifest."""

    version: str
    chart_version: str
    helm: list[str]
    manifest: list[str]


@dataclass
class KyvernoStatus:
    """What ``check_kyverno`` found. ``installed`` is None when it could not tell (a part was unreadable)."""

    context: str
    installed: bool | None
    version: str = ""
    served: list[ServedKind] = field(default_factory=list)
    controllers: list[Controller] = field(default_factory=list)
    webhooks: list[Webhook] = field(default_factory=list)
    policy_sets: list[SetStatus] = field(default_factory=list)
    report_apis: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    install: InstallCommands | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["controllers"] = [{**asdict(c), "healthy": c.healthy} for c in self.controllers]
        out["policy_sets"] = [{**asdict(s), "complete": s.complete} for s in self.policy_sets]
        return out

    def render(self) -> str:
        """Text for humans."""
        state = {True: "installed", False: "NOT installed", None: "UNKNOWN (see problems)"}[self.installed]
        parts = [f"Kyverno in context {self.context!r}: {state}" + (f", version {self.version}" if self.version
                                                                    else "")]
        if self.served:
            parts.append(text_table(("GROUP", "KIND", "VERSIONS"),
                                    [(s.group, s.kind, ", ".join(s.versions)) for s in self.served]))
        if self.controllers:
            parts.append(text_table(("CONTROLLER", "READY", "IMAGES"), [
                (f"{c.namespace}/{c.name}", f"{c.ready}/{c.replicas}", ", ".join(c.images))
                for c in self.controllers]))
        if self.webhooks:
            parts.append(text_table(("WEBHOOK CONFIGURATION", "WEBHOOK", "FAILURE POLICY"), [
                (f"{w.type}/{w.configuration}", w.name, w.failure_policy) for w in self.webhooks]))
        if self.policy_sets:
            parts.append(text_table(("POLICY SET", "INSTALLED", "MODES", "OUTDATED"), [
                (s.name, f"{s.installed}/{s.total}", ", ".join(f"{m}:{n}" for m, n in sorted(s.modes.items())) or "-",
                 str(len(s.outdated))) for s in self.policy_sets]))
        parts += [f"warning: {w}" for w in self.warnings]
        parts += [f"problem: {p}" for p in self.problems]
        if self.install is not None:
            parts.append("Install with Helm:\n  " + "\n  ".join(self.install.helm))
            parts.append("or with the release manifest:\n  " + "\n  ".join(self.install.manifest))
        return "\n\n".join(parts)


def install_commands(context: str | None = None) -> InstallCommands:
    """The commands that install the pinned Kyverno release (``--kube-context``/``--context`` when given)."""
    helm_ctx = f" --kube-context {context}" if context else ""
    kubectl_ctx = f" --context {context}" if context else ""
    return InstallCommands(
        version=KYVERNO_VERSION,
        chart_version=KYVERNO_CHART_VERSION,
        helm=["helm repo add kyverno https://kyverno.github.io/kyverno/",
              "helm repo update kyverno",
              f"helm install kyverno kyverno/kyverno{helm_ctx} --namespace {KYVERNO_NAMESPACE} --create-namespace "
              f"--version {KYVERNO_CHART_VERSION}"],
        manifest=[f"kubectl{kubectl_ctx} create -f https://github.com/kyverno/kyverno/releases/download/"
                  f"{KYVERNO_VERSION}/install.yaml"],
    )


def served_kinds(client: KubeClient) -> list[ServedKind]:
    """Every kind of Kyverno's API groups the cluster serves, with its versions."""
    discovery = client.discover()
    by_kind: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in discovery.resources:
        if r.group in KYVERNO_GROUPS:
            by_kind[(r.group, r.kind)].append(r)
    out = []
    for (group, kind), resources in sorted(by_kind.items()):
        first = resources[0]
        out.append(ServedKind(group, kind, first.resource, first.namespaced, served_versions(discovery, group, kind)))
    return out


def _controllers(client: KubeClient, problems: list[str]) -> list[Controller] | None:
    deployments: list[dict[str, Any]] = []
    try:
        deployments = list(client.list("apps", "v1", "deployments", label_selector=PART_OF_SELECTOR))
    except ClusterError as exc:
        first_error: ClusterError | None = exc
    else:
        first_error = None
    if not deployments:  # not labelled as the chart labels them, or no cluster-wide read: try Kyverno's namespace
        try:
            deployments = list(client.list("apps", "v1", "deployments", namespace=KYVERNO_NAMESPACE))
        except ClusterError as exc:
            problems.append(f"cannot list Deployments to find Kyverno's controllers: {(first_error or exc).message}")
            return None
    out = []
    for d in deployments:
        meta = d.get("metadata") or {}
        labels = meta.get("labels") or {}
        name = str(meta.get("name") or "")
        if labels.get("app.kubernetes.io/part-of") != "kyverno" and not name.startswith("kyverno"):
            continue
        containers = (((d.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
        replicas = int((d.get("spec") or {}).get("replicas", 1) or 0)
        ready = int((d.get("status") or {}).get("readyReplicas") or 0)
        out.append(Controller(str(meta.get("namespace") or ""), name,
                              str(labels.get("app.kubernetes.io/component") or name),
                              [str(c.get("image") or "") for c in containers], replicas, ready))
    return sorted(out, key=lambda c: (c.namespace, c.name))


def _webhooks(client: KubeClient, problems: list[str]) -> list[Webhook]:
    out = []
    for kind, resource in (("Validating", "validatingwebhookconfigurations"),
                           ("Mutating", "mutatingwebhookconfigurations")):
        try:
            configurations = list(client.list("admissionregistration.k8s.io", "v1", resource))
        except ClusterError as exc:
            problems.append(f"cannot read {kind}WebhookConfigurations: {exc.message}")
            continue
        for cfg in configurations:
            meta = cfg.get("metadata") or {}
            name = str(meta.get("name") or "")
            if (meta.get("labels") or {}).get(WEBHOOK_LABEL) != "kyverno" and not name.startswith("kyverno-"):
                continue
            for hook in cfg.get("webhooks") or []:
                timeout = hook.get("timeoutSeconds")
                out.append(Webhook(name, kind, str(hook.get("name") or ""), str(hook.get("failurePolicy") or "Fail"),
                                   int(timeout) if timeout is not None else None))
    return out


def _image_version(controllers: Iterable[Controller]) -> str:
    for c in sorted(controllers, key=lambda c: c.component != "admission-controller"):
        for image in c.images:
            repository, _, tag = image.rpartition(":")
            if "/" in tag or not repository:
                continue
            if "kyverno" in repository:
                return tag.split("@")[0]
    return ""


def _policy_sets(client: KubeClient, problems: list[str]) -> list[SetStatus]:
    try:
        present = installed_policies(client, f"{MANAGED_BY_LABEL}={MANAGED_BY}")
    except ClusterError as exc:
        problems.append(f"cannot list the policies pykyverno installed: {exc.message}")
        return []
    by_set: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in present:
        by_set[str(((p.get("metadata") or {}).get("labels") or {}).get(SET_LABEL) or "")].append(p)
    out = []
    sets = available_sets()
    for name in sorted(by_set):
        policies = by_set[name]
        installed = {str((p.get("metadata") or {}).get("name")): p for p in policies}
        info = sets.get(name)
        bundled: dict[str, dict[str, Any]] = {}
        for path in info.own_files() if info else []:
            for doc in load_yaml_all(path.read_text(encoding="utf-8"), str(path)):
                if isinstance(doc, dict):
                    bundled[str((doc.get("metadata") or {}).get("name"))] = doc
        outdated = sorted(n for n, p in installed.items() if n in bundled and
                          ((p.get("metadata") or {}).get("annotations") or {}).get(SOURCE_HASH)
                          != source_hash(bundled[n]))
        out.append(SetStatus(name or "(no set label)", len(installed), len(bundled) or len(installed),
                             modes_of(policies), sorted(set(bundled) - set(installed)), outdated))
    return out


def check_kyverno(client: KubeClient) -> KyvernoStatus:
    """Analyse Kyverno's installation in the cluster of ``client`` (read-only)."""
    status = KyvernoStatus(client.context, None)
    status.served = served_kinds(client)
    served_groups = {s.group for s in status.served}
    status.report_apis = sorted(g for g in served_groups if g in ("wgpolicyk8s.io", "openreports.io"))
    controllers = _controllers(client, status.problems)
    status.webhooks = _webhooks(client, status.problems)
    if controllers is not None:
        status.controllers = controllers
        admission = [c for c in controllers if "admission" in c.component or c.name.endswith("admission-controller")]
        status.installed = bool(admission)
        if not admission and served_groups & {POLICY_GROUP, "kyverno.io"}:
            status.warnings.append("Kyverno's CRDs are installed but no admission controller was found: policies "
                                   "are neither enforced nor reported.")
        status.version = _image_version(controllers)
        for c in controllers:
            if not c.healthy:
                status.warnings.append(f"{c.namespace}/{c.name}: {c.ready}/{c.replicas} replicas ready.")
        fail_hooks = [w for w in status.webhooks if w.failure_policy == "Fail"]
        if admission and fail_hooks:
            if not all(c.healthy for c in admission):
                status.warnings.append("The admission controller is not ready while webhooks with failurePolicy "
                                       "Fail are registered: API requests those webhooks match are rejected.")
            elif all(c.replicas < 2 for c in admission):
                status.warnings.append("The admission controller runs a single replica and webhooks use "
                                       "failurePolicy Fail: while it restarts, matching API requests are rejected "
                                       "(Kyverno recommends 3 replicas for high availability).")
    if status.installed is False:
        status.install = install_commands(client.context)
    if POLICY_GROUP in served_groups and not any(s.group == POLICY_GROUP and "v1" in s.versions
                                                 for s in status.served):
        status.warnings.append("policies.kyverno.io/v1 is not served (Kyverno older than 1.17): install_policy_set "
                               "converts the bundled policies to the version served.")
    if status.installed and not status.report_apis:
        status.warnings.append("No report API (wgpolicyk8s.io or openreports.io) is served: publish_reports cannot "
                               "write reports.")
    status.policy_sets = _policy_sets(client, status.problems) if POLICY_GROUP in served_groups else []
    return status


__all__ = ["KYVERNO_CHART_VERSION", "KYVERNO_GROUPS", "KYVERNO_VERSION", "Controller", "InstallCommands",
           "KyvernoStatus", "ServedKind", "SetStatus", "Webhook", "check_kyverno", "install_commands",
           "served_kinds"]
