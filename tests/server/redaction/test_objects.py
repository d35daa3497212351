"""Entry redaction: Secret values (by kind and by endpoint, single or list), credential-like env literals, ConfigMap
entries, annotations and flags, managedFields and last-applied annotations never pass; what is removed is
remembered for the request."""

from __future__ import annotations

import base64
from typing import Any

from pykyverno.server.redaction import REDACTED, redact, redact_body, secret_scope


def pod(env: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "managedFields": [{"manager": "kubectl"}]},
        "spec": {"containers": [{"name": "c", "env": env}], "initContainers": [{"name": "i", "env": env}]},
    }


def test_credential_like_env_values_are_masked_everywhere() -> None:
    env = [
        {"name": "OPENAI_API_KEY", "value": "sk-live-123"},
        {"name": "DB_PASSWORD", "value": "hunter2"},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "TOKEN_FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]
    original = pod(env)
    out = redact(original)
    for container in (*out["spec"]["containers"], *out["spec"]["initContainers"]):
        values = {e["name"]: e.get("value") for e in container["env"]}
        assert values == {
            "OPENAI_API_KEY": REDACTED,
            "DB_PASSWORD": REDACTED,
            "LOG_LEVEL": "debug",
            "TOKEN_FROM_SECRET": None,
        }
    assert "managedFields" not in out["metadata"]
    assert original["spec"]["containers"][0]["env"][0]["value"] == "sk-live-123", "the input is not modified"


def test_deployment_template_env_is_masked() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "template": {"spec": {"containers": [{"name": "c", "env": [{"name": "GITHUB_TOKEN", "value": "ghp_abc"}]}]}}
        },
    }
    out = redact(deployment)
    assert out["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == REDACTED


def test_secret_keeps_keys_and_objects_without_secrets_are_returned_as_is() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"a": "eA=="},
        "stringData": {"b": "y"},
    }
    assert redact(secret)["data"] == {"a": REDACTED} and redact(secret)["stringData"] == {"b": REDACTED}
    plain = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"level": "debug"}}
    assert redact(plain) is plain


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


SECRET_ITEM = {"metadata": {"name": "db", "namespace": "shop"}, "type": "Opaque",
               "data": {"password": b64("hunter2-hunter2")}, "extra": {"copy": "hunter2-hunter2"}}


def test_a_list_from_the_secrets_endpoint_is_redacted_whatever_its_kind_says() -> None:
    """Regression (issue 11, item 1): ``secrets/.`` became a LIST whose kind, SecretList, redaction did not know."""
    for kind in ("SecretList", "List", "PodList", None):
        body = {"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": "1"}, "items": [dict(SECRET_ITEM)]}
        out = redact_body(body, secrets=True)
        assert out["items"][0]["data"] == {"password": REDACTED}
        assert out["items"][0]["extra"] == REDACTED, "unknown fields of a Secret are replaced"
        assert out["items"][0]["metadata"]["name"] == "db" and out["items"][0]["type"] == "Opaque"
    by_kind = redact_body({"apiVersion": "v1", "kind": "SecretList", "items": [dict(SECRET_ITEM)]})
    assert by_kind["items"][0]["data"] == {"password": REDACTED}, "a SecretList from any path"
    single = redact_body({"apiVersion": "v1", "kind": "Anything", **SECRET_ITEM}, secrets=True)
    assert single["data"] == {"password": REDACTED} and single["kind"] == "Anything"


def test_configmap_entries_annotations_and_flags_with_credential_names() -> None:
    """Regression (issue 11, item 6): values under DB_PASSWORD/api_key, annotations and --password flags showed."""
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "app", "annotations": {"example.com/api-token": "tok-123456",
                                                             "example.com/owner": "team-a"}},
                 "data": {"DB_PASSWORD": "pw-123456", "api_key": "key-123456", "LOG_LEVEL": "info"}}
    out = redact(configmap)
    assert out["data"] == {"DB_PASSWORD": REDACTED, "api_key": REDACTED, "LOG_LEVEL": "info"}
    assert out["metadata"]["annotations"] == {"example.com/api-token": REDACTED, "example.com/owner": "team-a"}
    items = redact_body({"kind": "ConfigMapList", "items": [{k: v for k, v in configmap.items() if k != "kind"}]})
    assert items["items"][0]["data"]["DB_PASSWORD"] == REDACTED, "list items without a kind take the list's"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "command": ["server", "--password=pw-123456", "--port=80"],
                                    "args": ["--token", "tok-123456", "--verbose", "--api-key", "-x"]}]}}
    container = redact(pod)["spec"]["containers"][0]
    assert container["command"] == ["server", f"--password={REDACTED}", "--port=80"]
    assert container["args"] == ["--token", REDACTED, "--verbose", "--api-key", "-x"]
    assert pod["spec"]["containers"][0]["args"][1] == "tok-123456", "the input is not modified"


def test_last_applied_configuration_is_dropped() -> None:
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"password":"aHVudGVyMg=="}}'}}}
    assert redact(obj)["metadata"]["annotations"] == {}


def test_removed_values_are_remembered_for_the_request() -> None:
    with secret_scope() as ledger:
        redact_body({"kind": "SecretList", "items": [dict(SECRET_ITEM)]})
        redact({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "env": [{"name": "DB_PASS", "value": "env-secret-1"}]}]}})
        masked = ledger.mask(f"a {b64('hunter2-hunter2')} b hunter2-hunter2 c env-secret-1 d")
    assert masked == f"a {REDACTED} b {REDACTED} c {REDACTED} d"

