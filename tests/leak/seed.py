"""A fake cluster seeded with marker values wherever credentials hide: Secrets (data, stringData, docker config,
TLS key, last-applied annotation), ConfigMaps (credential keys, properties, YAML, env and JSON files), env values, args
and shell commands, annotations, URLs (a RemoteMCPServer, a PolicyReport message) and the kubeconfig (tokens, a
basic-auth password, a server URL with user info and ``?access_token=``, an exec plugin's env and stderr).

Every marker is distinct, so that a failure names the place that leaked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fakeapi import ContextSpec, FakeCluster, write_kubeconfig

PLACES = [
    "secret_data", "secret_json", "secret_string", "secret_last_applied", "docker_auth", "tls_key",
    "cm_password", "cm_api_key", "cm_properties", "cm_yaml", "cm_env", "cm_json", "cm_annotation",
    "env_db_pass", "env_database_url", "env_upstream", "env_api_key",
    "args_password", "args_token", "cmd_bearer", "cmd_url", "cmd_mysql", "pod_annotation",
    "mcp_password", "mcp_token", "report_url", "report_token",
    "kube_token", "url_password", "url_query", "basic_password", "exec_env", "exec_stderr",
]


def _marker(place: str) -> str:
    return f"lkm-{place.replace('_', '-')}-{hashlib.sha256(place.encode()).hexdigest()[:10]}"


MARKERS = {place: _marker(place) for place in PLACES}
M = MARKERS


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def leaks(text: str) -> list[str]:
    """The places whose marker (whole, by its unique id, or base64-encoded) appears in ``text``."""
    found = []
    for place, marker in MARKERS.items():
        unique = marker.rsplit("-", 1)[1]
        if marker in text or unique in text or b64(marker) in text or b64(marker)[:16] in text:
            found.append(place)
    return found


def crd(plural: str, kind: str, group: str, version: str, scope: str = "Namespaced") -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope,
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
                     "versions": [{"name": version, "served": True, "storage": True}]}}


def _last_applied(obj: dict[str, Any]) -> str:
    return json.dumps(obj)


def _container() -> dict[str, Any]:
    return {
        "name": "main", "image": "nginx:latest",
        "env": [{"name": "DB_PASS", "value": M["env_db_pass"]},
                {"name": "DATABASE_URL", "value": f"postgres://app:{M['env_database_url']}@db:5432/app"},
                {"name": "UPSTREAM", "value": f"https://svc:{M['env_upstream']}@up.example.com/x"},
                {"name": "OPENAI_API_KEY", "value": M["env_api_key"]},
                {"name": "LOG_LEVEL", "value": "debug"}],
        "args": [f"--password={M['args_password']}", "--token", M["args_token"], "--verbose"],
        "command": ["sh", "-c", f"curl -H 'Authorization: Bearer {M['cmd_bearer']}' "
                                f"https://u:{M['cmd_url']}@api.example.com && mysql --password {M['cmd_mysql']} db"],
    }


def objects() -> list[dict[str, Any]]:
    """The seeded objects."""
    secret_data = {"password": b64(M["secret_data"]), "config.json": b64(json.dumps({"token": M["secret_json"]}))}
    pod_meta = {"name": "agent", "namespace": "shop",
                "labels": {"app": "agent", "pykyverno.io/ai-workload": "agent"},
                "annotations": {"example.com/db-password": M["pod_annotation"], "example.com/owner": "team-a"}}
    return [
        crd("remotemcpservers", "RemoteMCPServer", "kagent.dev", "v1alpha2"),
        crd("policyreports", "PolicyReport", "wgpolicyk8s.io", "v1alpha2"),
        # Kyverno's policy kinds, for the write tools' plans (install, exceptions)
        crd("validatingpolicies", "ValidatingPolicy", "policies.kyverno.io", "v1", scope="Cluster"),
        crd("policyexceptions", "PolicyException", "policies.kyverno.io", "v1"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "web"}}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kagent"}},
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "data": secret_data,
         "stringData": {"extra": M["secret_string"]},
         "metadata": {"name": "db", "namespace": "shop", "annotations": {
             "kubectl.kubernetes.io/last-applied-configuration": _last_applied(
                 {"kind": "Secret", "stringData": {"password": M["secret_last_applied"]}})}}},
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
         "metadata": {"name": "registry", "namespace": "shop"},
         "data": {".dockerconfigjson": b64(json.dumps(
             {"auths": {"registry.example.com": {"auth": b64(f"robot:{M['docker_auth']}")}}}))}},
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
         "metadata": {"name": "tls", "namespace": "shop"},
         "data": {"tls.crt": b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
                  "tls.key": b64(f"-----BEGIN PRIVATE KEY-----\n{M['tls_key']}\n-----END PRIVATE KEY-----\n")}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "app", "namespace": "shop", "annotations": {"example.com/api-token": M["cm_annotation"]}},
         "data": {"DB_PASSWORD": M["cm_password"], "api_key": M["cm_api_key"],
                  "application.properties": f"spring.datasource.password={M['cm_properties']}\nserver.port=8080\n",
                  "config.yaml": f"db:\n  host: db\n  password: {M['cm_yaml']}\n",
                  ".env": f"DB_PASS={M['cm_env']}\nLOG_LEVEL=info\n", "LOG_LEVEL": "info",
                  # a JSON file: its quotes are escaped in every JSON output, twice where CEL marshals the object
                  "settings.json": json.dumps({"db": {"password": M["cm_json"], "note": 'say "hi"'}})}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": {"containers": [_container()]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web", "pykyverno.io/ai-workload": "agent"}},
                               "spec": {"containers": [_container()]}}}},
        {"apiVersion": "kagent.dev/v1alpha2", "kind": "RemoteMCPServer",
         "metadata": {"name": "remote", "namespace": "kagent"},
         "spec": {"description": "tools",
                  "url": f"https://agent:{M['mcp_password']}@mcp.example.com/mcp?token={M['mcp_token']}"}},
        {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
         "metadata": {"name": "pol-shop", "namespace": "shop"},
         "summary": {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0},
         "results": [{"policy": "db-check", "rule": "reach", "result": "fail", "severity": "high",
                      "message": f"cannot reach postgres://u:{M['report_url']}@db:5432 (token={M['report_token']})",
                      "resources": [{"apiVersion": "v1", "kind": "Pod", "namespace": "shop", "name": "agent"}]}]},
    ]


def exec_plugin(folder: Path) -> Path:
    """A credential plugin that fails, printing a marker on stderr."""
    script = folder / "credential-plugin"
    script.write_text(f"#!{sys.executable}\nimport sys\n"
                      f"sys.stderr.write('login failed for token {M['exec_stderr']}\\n')\nsys.exit(1)\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@dataclass
class Seeded:
    """The seeded cluster, its kubeconfig, and files a user would hand to the offline commands."""

    cluster: FakeCluster
    kubeconfig: Path
    dump: Path  # every object as the cluster serves it (kubectl get -o yaml), Secret data included
    folder: Path


def seed(cluster: FakeCluster, folder: Path) -> Seeded:
    """Write the kubeconfig (four contexts) and the dump for ``cluster`` (already started, seeded with
    :func:`objects`)."""
    cluster.tokens[M["kube_token"]] = "alice"
    port = cluster.url.rsplit(":", 1)[1]
    contexts = {
        "alpha": ContextSpec(cluster.url, token=M["kube_token"], ca=cluster.ca, cluster_name="alpha",
                             user_name="alice"),
        "url-creds": ContextSpec(f"https://admin:{M['url_password']}@127.0.0.1:{port}/?access_token={M['url_query']}",
                                 token=M["kube_token"], ca=cluster.ca, cluster_name="url-creds", user_name="alice"),
        "basic": ContextSpec(cluster.url, ca=cluster.ca, cluster_name="alpha", user_name="basic",
                             user_extra={"username": "admin", "password": M["basic_password"]}),
        "exec": ContextSpec(cluster.url, ca=cluster.ca, cluster_name="alpha", user_name="exec", user_extra={"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": str(exec_plugin(folder)),
            "interactiveMode": "Never", "env": [{"name": "PLUGIN_TOKEN", "value": M["exec_env"]}]}}),
    }
    kubeconfig = write_kubeconfig(folder / "kubeconfig", contexts, current_context="alpha")
    dump = folder / "dump.yaml"
    served = [o for o in objects() if o["kind"] != "CustomResourceDefinition"]
    dump.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": served}, sort_keys=False))
    return Seeded(cluster, kubeconfig, dump, folder)


HOSTILE_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: leak-everything
  annotations: {policies.kyverno.io/severity: high}
spec:
  validationActions: [Audit]
  evaluation: {background: {enabled: true}}
  matchConstraints:
    resourceRules:
    - {apiGroups: ["", apps, kagent.dev, wgpolicyk8s.io], apiVersions: ["*"], operations: [CREATE, UPDATE],
       resources: [pods, secrets, configmaps, deployments, remotemcpservers, policyreports]}
  validations:
  - expression: "false"
    messageExpression: "json.marshal(object)"
  - expression: "ip(object.?data.?password.orValue(object.metadata.name)).family() == 4"
    message: the error text of this expression shows its input
  - expression: "false"
    messageExpression: >-
      json.marshal(resource.List('v1', 'secrets', object.metadata.?namespace.orValue('shop'))) +
      json.marshal(resource.Get('v1', 'secrets', 'shop', 'db')) +
      json.marshal(resource.List('v1', 'configmaps', 'shop'))
  - expression: "false"
    messageExpression: "json.marshal(resource.Get('v1', 'secrets', 'shop', '.'))"
"""

#: A kyverno.io/v1 policy whose message would print the objects it reads (``pykyverno migrate``, ``migrate_policy``).
LEGACY_POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: legacy-leak}
spec:
  rules:
  - name: print-everything
    match: {any: [{resources: {kinds: [Secret, ConfigMap, Pod]}}]}
    validate:
      message: "{{ request.object }}"
      deny:
        conditions:
          any:
          - {key: "{{ request.object.metadata.name }}", operator: NotEquals, value: ""}
"""

MUTATING_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: MutatingPolicy
metadata: {name: label-everything}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: ["", apps], apiVersions: ["*"], operations: [CREATE], resources: [pods, secrets, configmaps,
       deployments]}
  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: >-
        [JSONPatch{op: "add", path: "/metadata/labels", value: {"checked": "yes"}}]
"""
