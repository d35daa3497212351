"""The kustomize base and overlays in manifests/: rendered by our renderer (and compared with kubectl kustomize when
kubectl is installed), valid objects whose names and references agree, a Deployment that the ``pykyverno serve``
command line accepts and that answers where the Service, the probes and Kagent expect it, and no failures when
pykyverno scans its own manifests (dogfooding)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from pykyverno.server.cli import build_parser
from pykyverno.server.cli import main as cli_main
from tests.manifests.kustomize import (
    CLUSTER_SCOPED_KINDS,
    Obj,
    UnsupportedKustomization,
    object_key,
    render,
    split_image,
)
from tests.server.writes.catalog import tools_with_writes
from tests.skills.servertools import server_catalog

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"
BASE = MANIFESTS / "base"
KAGENT = MANIFESTS / "overlays" / "kagent"
SAFEGUARDS = MANIFESTS / "overlays" / "kyverno-safeguards"
SAFEGUARD_POLICIES = MANIFESTS / "policies" / "ai-agent-safeguards"
SAFEGUARDS_SOURCE = REPO / "server" / "policysets" / "ai-agent-safeguards"
KUSTOMIZATIONS = [BASE, KAGENT, SAFEGUARDS, SAFEGUARD_POLICIES]
README = REPO / "README.md"

#: The Secrets the user creates (README "Running in a cluster" and "Kagent"): (namespace, name, key).
TOKEN_SECRET = ("pykyverno", "pykyverno-mcp-token", "token")
KAGENT_AUTH_SECRET = ("kagent", "pykyverno-mcp-auth", "authorization")

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")


def _rendered(directory: Path) -> list[Obj]:
    return render(directory)


def _one(objects: list[Obj], kind: str, name: str | None = None) -> Obj:
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pod_template(objects: list[Obj]) -> Obj:
    template: Obj = _one(objects, "Deployment", "pykyverno")["spec"]["template"]
    return template


def _container(objects: list[Obj]) -> Obj:
    [container] = _pod_template(objects)["spec"]["containers"]
    return dict(container)


def _arg_values(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == flag]


def _host_allowed(host: str, patterns: list[str]) -> bool:
    """The MCP SDK's Host check: an exact match, or ``name:*`` for any port."""
    return host in patterns or any(p.endswith(":*") and host.startswith(p[:-1]) for p in patterns)


# ----------------------------------------------------------------------------- rendering
@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(MANIFESTS)))
def test_renderer_matches_kubectl_kustomize(directory: Path) -> None:
    ours = sorted(_rendered(directory), key=object_key)
    assert ours, "nothing rendered"
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the renderer's output is checked by the other tests only")
    out = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    theirs = sorted((d for d in yaml.safe_load_all(out) if d), key=object_key)
    assert ours == theirs


def test_renderer_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nconfigMapGenerator: []\n", encoding="utf-8")
    with pytest.raises(UnsupportedKustomization, match="configMapGenerator"):
        render(tmp_path)
    (tmp_path / "kustomization.yaml").write_text("resources: [../outside.yaml]\n", encoding="utf-8")
    (tmp_path.parent / "outside.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
                                                  encoding="utf-8")
    with pytest.raises(UnsupportedKustomization, match="not in or below"):
        render(tmp_path)
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [x.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n", encoding="utf-8")
    with pytest.raises(UnsupportedKustomization, match="plain pairs"):
        render(tmp_path)


def test_image_references_split_like_kustomize() -> None:
    assert split_image("pykyverno") == ("pykyverno", "", "")
    assert split_image("localhost:5000/a/b:1.0@sha256:ab") == ("localhost:5000/a/b", "1.0", "sha256:ab")
    assert split_image("ghcr.io/org/app@sha256:ab") == ("ghcr.io/org/app", "", "sha256:ab")


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(MANIFESTS)))
def test_rendered_objects_are_valid_kubernetes_objects(directory: Path) -> None:
    objects = _rendered(directory)
    keys = [object_key(o) for o in objects]
    assert len(keys) == len(set(keys)), "duplicate objects"
    for obj in objects:
        meta = obj["metadata"]
        assert re.fullmatch(r"([a-z0-9.-]+/)?v\d+((alpha|beta)\d+)?", obj["apiVersion"]), obj["apiVersion"]
        assert re.fullmatch(r"[A-Z][A-Za-z]+", obj["kind"])
        assert _DNS_SUBDOMAIN.fullmatch(meta["name"]) and len(meta["name"]) <= 253, meta["name"]
        assert set(meta) <= {"name", "namespace", "labels", "annotations"}, meta
        if obj["kind"] in CLUSTER_SCOPED_KINDS or obj["apiVersion"].startswith("policies.kyverno.io/"):
            assert "namespace" not in meta, f"{obj['kind']}/{meta['name']} is cluster-scoped"
        else:
            assert _DNS_LABEL.fullmatch(meta.get("namespace", "")), f"{obj['kind']}/{meta['name']} needs a namespace"
        for key, value in meta.get("labels", {}).items():
            assert isinstance(value, str) and len(value) <= 63 and _LABEL_VALUE.fullmatch(value), (key, value)
        assert all(isinstance(v, str) for v in meta.get("annotations", {}).values())
        assert meta.get("labels", {}).get("app.kubernetes.io/part-of") == "pykyverno"


# ----------------------------------------------------------------------------- the base
def test_base_has_the_expected_objects() -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in _rendered(BASE))
    assert kinds == [("ClusterRole", "pykyverno-reader"), ("ClusterRoleBinding", "pykyverno-reader"),
                     ("Deployment", "pykyverno"), ("Namespace", "pykyverno"), ("NetworkPolicy", "pykyverno"),
                     ("Service", "pykyverno"), ("ServiceAccount", "pykyverno")]
    assert all(o["metadata"].get("namespace", "pykyverno") == "pykyverno" for o in _rendered(BASE))


def test_service_selects_the_deployment_pods_on_the_http_port() -> None:
    objects = _rendered(BASE)
    deployment = _one(objects, "Deployment")
    service = _one(objects, "Service")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _selects(deployment["spec"]["selector"]["matchLabels"], pod_labels)
    assert _selects(service["spec"]["selector"], pod_labels)
    assert service["spec"]["type"] == "ClusterIP"
    [port] = service["spec"]["ports"]
    [container_port] = _container(objects)["ports"]
    assert port["targetPort"] == container_port["name"] and port["port"] == container_port["containerPort"] == 8080


def test_rbac_is_read_only_and_bound_to_the_pods_service_account() -> None:
    objects = _rendered(BASE)
    account = _one(objects, "ServiceAccount")
    role = _one(objects, "ClusterRole")
    binding = _one(objects, "ClusterRoleBinding")
    assert _pod_template(objects)["spec"]["serviceAccountName"] == account["metadata"]["name"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": role["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": account["metadata"]["namespace"]}]
    granted: dict[str, set[str]] = {}
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}
        assert rule["verbs"] == ["get", "list", "watch"]
        assert "*" not in rule["apiGroups"] and "*" not in rule["resources"]
        for group in rule["apiGroups"]:
            granted.setdefault(group, set()).update(rule["resources"])
    assert "secrets" not in granted.get("", set())
    needed = {"": {"pods", "namespaces", "services", "serviceaccounts"}, "apps": {"deployments", "daemonsets",
              "statefulsets", "replicasets"}, "batch": {"jobs", "cronjobs"}, "networking.k8s.io": {"networkpolicies",
              "ingresses"}, "rbac.authorization.k8s.io": {"roles", "rolebindings", "clusterroles",
              "clusterrolebindings"}, "policy": {"poddisruptionbudgets"}, "policies.kyverno.io": {"validatingpolicies",
              "policyexceptions"}, "kyverno.io": {"clusterpolicies"}, "wgpolicyk8s.io": {"policyreports",
              "clusterpolicyreports"}, "kagent.dev": {"agents", "remotemcpservers", "mcpservers"}}
    for group, resources in needed.items():
        assert resources <= granted.get(group, set()), (group, resources - granted.get(group, set()))


def test_deployment_is_hardened() -> None:
    objects = _rendered(BASE)
    account = _one(objects, "ServiceAccount")
    template = _pod_template(objects)
    pod = template["spec"]
    container = _container(objects)
    assert account["automountServiceAccountToken"] is False
    assert pod["automountServiceAccountToken"] is True
    assert template["metadata"]["annotations"]["pykyverno.io/needs-kubernetes-api"] == "true"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]} and context["seccompProfile"] == {"type": "RuntimeDefault"}
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert "env" not in container or all("valueFrom" not in e for e in container["env"])
    assert template["metadata"]["labels"]["pykyverno.io/ai-workload"] == "mcp-server"
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts, "a read-only root filesystem needs a writable /tmp"


def test_image_is_the_release_tag_and_matches_the_version() -> None:
    image = _container(_rendered(BASE))["image"]
    name, tag, digest = split_image(image)
    assert (name, digest) == ("ghcr.io/pykyverno/pykyverno", "")
    from importlib.metadata import version

    assert tag == version("pykyverno") and tag != "latest"


def test_token_comes_from_the_documented_secret_as_a_file() -> None:
    objects = _rendered(BASE)
    container = _container(objects)
    volumes = {v["name"]: v for v in _pod_template(objects)["spec"]["volumes"]}
    args = container["args"]
    [token_file] = _arg_values(args, "--token-file")
    [mount] = [m for m in container["volumeMounts"] if token_file.startswith(m["mountPath"].rstrip("/") + "/")]
    secret = volumes[mount["name"]]["secret"]
    namespace, name, key = TOKEN_SECRET
    assert _one(objects, "Deployment")["metadata"]["namespace"] == namespace and secret["secretName"] == name
    assert secret["items"] == [{"key": key, "path": token_file.rsplit("/", 1)[1]}]
    assert mount["readOnly"] is True


def test_deployment_command_line_is_accepted_by_pykyverno_serve() -> None:
    args = _container(_rendered(BASE))["args"]
    parsed = build_parser().parse_args(args)
    assert parsed.command == "serve" and parsed.transport == "http"
    assert (parsed.host, parsed.port) == ("0.0.0.0", 8080)
    assert parsed.token_file and parsed.allowed_host


def test_network_policy_admits_the_service_port_and_allows_egress_to_the_api() -> None:
    objects = _rendered(BASE)
    policy = _one(objects, "NetworkPolicy", "pykyverno")
    pod_labels = _pod_template(objects)["metadata"]["labels"]
    assert _selects(policy["spec"]["podSelector"]["matchLabels"], pod_labels)
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    [ingress] = policy["spec"]["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 8080}]
    egress_ports = {(p["protocol"], p["port"]) for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 6443)} == egress_ports


# ----------------------------------------------------------------------------- the Kagent overlay
def test_kagent_overlay_contains_the_base() -> None:
    base = {object_key(o) for o in _rendered(BASE)}
    assert base <= {object_key(o) for o in _rendered(KAGENT)}


def test_remote_mcp_server_reaches_the_service_port_and_mcp_path() -> None:
    objects = _rendered(KAGENT)
    remote = _one(objects, "RemoteMCPServer")
    service = _one(objects, "Service", "pykyverno")
    assert remote["apiVersion"] == "kagent.dev/v1alpha2"
    spec = remote["spec"]
    assert spec["protocol"] == "STREAMABLE_HTTP" and spec["description"]
    url = urlsplit(spec["url"])
    assert url.scheme == "http" and url.path == "/mcp"
    svc_name, svc_namespace, *rest = (url.hostname or "").split(".")
    assert (svc_name, svc_namespace) == (service["metadata"]["name"], service["metadata"]["namespace"])
    assert rest in ([], ["svc"], ["svc", "cluster", "local"])
    assert url.port == service["spec"]["ports"][0]["port"]
    allowed = _arg_values(_container(objects)["args"], "--allowed-host")
    assert _host_allowed(url.netloc, allowed), f"the server would refuse Host {url.netloc}"


def test_remote_mcp_server_sends_the_documented_authorization_secret() -> None:
    remote = _one(_rendered(KAGENT), "RemoteMCPServer")
    namespace, name, key = KAGENT_AUTH_SECRET
    assert remote["metadata"]["namespace"] == namespace
    assert remote["spec"]["headersFrom"] == [
        {"name": "Authorization", "valueFrom": {"type": "Secret", "name": name, "key": key}}]


def test_agent_uses_real_tools_and_every_skill() -> None:
    objects = _rendered(KAGENT)
    remote = _one(objects, "RemoteMCPServer")
    agent = _one(objects, "Agent")
    assert agent["apiVersion"] == "kagent.dev/v1alpha2" and agent["spec"]["type"] == "Declarative"
    assert agent["metadata"]["namespace"] == remote["metadata"]["namespace"]
    [tool] = agent["spec"]["declarative"]["tools"]
    server = tool["mcpServer"]
    assert tool["type"] == "McpServer"
    assert (server["apiGroup"], server["kind"], server["name"]) == ("kagent.dev", "RemoteMCPServer",
                                                                   remote["metadata"]["name"])
    tool_names = server["toolNames"]
    assert len(tool_names) == len(set(tool_names)) <= 50
    # every tool of a server with writes enabled (absent ones are ignored by a read-only server); every tool that
    # writes needs the user's approval in Kagent
    assert set(server_catalog().tools) <= set(tool_names) == set(tools_with_writes())
    assert set(server["requireApproval"]) == {name for name, writes in tools_with_writes().items() if writes}
    skill_folders = sorted(p.name for p in (REPO / "skills").iterdir() if (p / "SKILL.md").is_file())
    refs = agent["spec"]["skills"]["gitRefs"]
    assert sorted(r["name"] for r in refs) == skill_folders
    for ref in refs:
        assert ref["path"] == f"skills/{ref['name']}" and (REPO / ref["path"] / "SKILL.md").is_file()
        assert ref["url"].startswith("https://") and ref["ref"] == f"v{_container(objects)['image'].split(':')[-1]}"
    limits = agent["spec"]["declarative"]["deployment"]["resources"]["limits"]
    assert {"cpu", "memory"} <= set(limits)


def test_kagent_namespace_may_reach_the_server() -> None:
    objects = _rendered(KAGENT)
    remote = _one(objects, "RemoteMCPServer")
    policy = _one(objects, "NetworkPolicy", "pykyverno-allow-kagent")
    assert _selects(policy["spec"]["podSelector"]["matchLabels"], _pod_template(objects)["metadata"]["labels"])
    [rule] = policy["spec"]["ingress"]
    [source] = rule["from"]
    assert source["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name":
                                                          remote["metadata"]["namespace"]}
    assert rule["ports"] == [{"protocol": "TCP", "port": urlsplit(remote["spec"]["url"]).port}]


# ----------------------------------------------------------------------------- the safeguards overlay
def test_safeguard_policies_are_an_exact_copy_of_the_bundled_set() -> None:
    source = {p.name: p.read_bytes() for p in SAFEGUARDS_SOURCE.glob("*.yaml") if p.name != "set.yaml"}
    copy = {p.name: p.read_bytes() for p in SAFEGUARD_POLICIES.glob("*.yaml") if p.name != "kustomization.yaml"}
    assert source, "the bundled ai-agent-safeguards set is empty"
    assert copy == source, ("manifests/policies/ai-agent-safeguards is out of date; refresh it with the command "
                            "in its kustomization.yaml")
    listed = yaml.safe_load((SAFEGUARD_POLICIES / "kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    assert sorted(listed) == sorted(source)


def test_safeguards_overlay_installs_the_base_and_every_policy() -> None:
    objects = _rendered(SAFEGUARDS)
    assert {object_key(o) for o in _rendered(BASE)} <= {object_key(o) for o in objects}
    policies = {o["metadata"]["name"]: o for o in objects if o["apiVersion"].startswith("policies.kyverno.io/")}
    for path in SAFEGUARDS_SOURCE.glob("*.yaml"):
        if path.name == "set.yaml":
            continue
        original = yaml.safe_load(path.read_text(encoding="utf-8"))
        installed = policies.pop(original["metadata"]["name"])
        installed["metadata"]["labels"].pop("app.kubernetes.io/part-of")
        if not installed["metadata"]["labels"]:
            del installed["metadata"]["labels"]
        assert installed == original
    assert policies == {}


# ----------------------------------------------------------------------------- README
def test_readme_documents_the_secrets_and_the_steps() -> None:
    text = README.read_text(encoding="utf-8")
    assert "## Running in a cluster" in text and "## Kagent" in text
    section = text[text.index("## Running in a cluster"):]
    for namespace, name, key in (TOKEN_SECRET, KAGENT_AUTH_SECRET):
        assert re.search(rf"-n {namespace} create secret generic {name} .*--from-literal={key}=", section), name
    assert "kubectl apply -k manifests/base" in section and "kubectl apply -k manifests/overlays/kagent" in section
    assert "port-forward" in section and "inspector" in section.lower()


# ----------------------------------------------------------------------------- dogfooding
def _scan(objects: list[Obj], sets: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
          ) -> tuple[int, dict[str, Any]]:
    snapshot = tmp_path / "rendered.yaml"
    snapshot.write_text(yaml.safe_dump_all(objects, sort_keys=False), encoding="utf-8")
    capsys.readouterr()
    code = cli_main(["scan", "--snapshot", str(snapshot), *[a for s in sets for a in ("--policy-set", s)],
                     "-o", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, report


def _failing(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["policy"], f"{r['resources'][0]['kind']}/{r['resources'][0]['name']}", r["message"])
            for c in report["clusters"] for r in c["results"] if r["result"] in ("fail", "error")]


def _pod_policies(set_name: str) -> set[str]:
    names = set()
    for path in (REPO / "server" / "policysets" / set_name).glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.name == "set.yaml":
            continue
        if any("pods" in r["resources"] for r in doc["spec"]["matchConstraints"]["resourceRules"]):
            names.add(doc["metadata"]["name"])
    return names


#: The dogfooding sets (pod-security-restricted includes pod-security-baseline; the test checks that the baseline
#: policies did run on the Deployment).
DOGFOOD_SETS = ["pod-security-restricted", "best-practices", "rbac-best-practices"]


@pytest.mark.parametrize("directory", [BASE, KAGENT, SAFEGUARDS], ids=lambda p: str(p.relative_to(MANIFESTS)))
def test_pykyverno_finds_no_failure_in_its_own_manifests(directory: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _scan(_rendered(directory), DOGFOOD_SETS, tmp_path, capsys)
    assert _failing(report) == []
    assert code == 0
    assert report["policyIssues"] == [], "a policy did not load"
    checked = {r["policy"] for c in report["clusters"] for r in c["results"]
               if r["resources"][0]["kind"] == "Deployment" and r["result"] == "pass"}
    expected = set().union(*(_pod_policies(s) for s in ("pod-security-restricted", "pod-security-baseline")))
    expected |= {"disallow-latest-tag", "require-pod-probes", "require-requests-limits", "require-ro-rootfs",
                 "restrict-image-registries", "require-labels", "restrict-automount-sa-token"}
    assert expected <= checked, f"not evaluated on the Deployment: {sorted(expected - checked)}"


def test_ai_agent_safeguards_only_ask_for_the_image_digest(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _scan(_rendered(KAGENT), ["ai-agent-safeguards"], tmp_path, capsys)
    assert code == 1
    assert [(p, r) for p, r, _ in _failing(report)] == [("ai-agent-image-provenance", "Deployment/pykyverno")]
    assert "pinned by digest" in _failing(report)[0][2]
    # Pinning the published image by digest (kustomize edit set image ...@sha256:...) is all that is missing.
    pinned = _rendered(KAGENT)
    for obj in pinned:
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            container["image"] += "@sha256:" + "0" * 64
    code, report = _scan(pinned, ["ai-agent-safeguards"], tmp_path, capsys)
    assert _failing(report) == [] and code == 0
    passed = {r["policy"] for c in report["clusters"] for r in c["results"] if r["result"] == "pass"}
    assert passed == {p.stem for p in SAFEGUARDS_SOURCE.glob("*.yaml") if p.name != "set.yaml"}


# ----------------------------------------------------------------------------- the Deployment's server, for real
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _post(url: str, host: str, token: str | None) -> int:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}).encode()
    headers = {"Host": host, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def deployment_server(tmp_path: Path) -> Iterator[tuple[int, str, str]]:
    """``pykyverno serve`` started with the Deployment's arguments (token file and port moved to the test's)."""
    objects = _rendered(KAGENT)
    args = list(_container(objects)["args"])
    token = "t" * 40
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n", encoding="utf-8")
    port = _free_port()
    args[args.index("--token-file") + 1] = str(token_file)
    args[args.index("--port") + 1] = str(port)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "PYKYVERNO"))}
    env["KUBECONFIG"] = str(tmp_path / "no-kubeconfig")
    process = subprocess.Popen([sys.executable, "-m", "pykyverno.server.cli", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"pykyverno serve exited: {process.stderr.read().decode() if process.stderr else ''}")
                time.sleep(0.2)
        else:
            pytest.fail("pykyverno serve did not answer /healthz")
        yield port, token, urlsplit(_one(objects, "RemoteMCPServer")["spec"]["url"]).netloc
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.stderr:
            process.stderr.close()


def test_deployment_arguments_serve_kagent_and_refuse_the_rest(deployment_server: tuple[int, str, str]) -> None:
    port, token, service_host = deployment_server
    url = f"http://127.0.0.1:{port}/mcp"
    assert _post(url, service_host, token) == 200, "Kagent's request through the Service must be served"
    assert _post(url, f"localhost:{port}", token) == 200, "kubectl port-forward must work"
    assert _post(url, service_host, None) == 401
    assert _post(url, service_host, "x" * 40) == 401
    assert _post(url, "evil.example:8080", token) in (400, 403, 421)
