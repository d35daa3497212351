"""Redaction: Secret values, credential-like env literals, managedFields and last-applied annotations never pass."""

from __future__ import annotations

from typing import Any

from pykyverno.server.scan.redact import REDACTED, redact


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
    plain = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"token": "t"}}
    assert redact(plain) is plain
