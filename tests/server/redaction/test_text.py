"""Credential patterns in free text: masked wherever text leaves the process, without garbling ordinary output."""

from __future__ import annotations

import json

import pytest
import yaml

from pykyverno.server.redaction import REDACTED, mask_patterns, safe_url

R = REDACTED

MASKED = [
    # URL user info and credential query parameters (the ai-remote-mcp-endpoint message prints the URL)
    ("The MCP endpoint http://bob:hunter2@mcp.example.com/mcp?token=abc123&x=1 must use https",
     f"The MCP endpoint http://{R}@mcp.example.com/mcp?token={R}&x=1 must use https"),
    ("https://ghp_tokenonly@github.com/org/repo", f"https://{R}@github.com/org/repo"),
    ("postgres://app:p@ss@db:5432/app", f"postgres://{R}@db:5432/app"),
    ("https://127.0.0.1:6443/?access_token=TOK&other=1", f"https://127.0.0.1:6443/?access_token={R}&other=1"),
    ("https://b.blob.core.windows.net/c?sv=2020&sig=AbC%2Bd&se=x", f"https://b.blob.core.windows.net/c?sv={R}&sig={R}&se={R}"),
    ("https://s3/x?X-Amz-Signature=abc&X-Amz-Credential=AKIA", f"https://s3/x?X-Amz-Signature={R}&X-Amz-Credential={R}"),
    ("https://maps.example.com/api?key=AIzaSyD", f"https://maps.example.com/api?key={R}"),
    # assignments: env files, flags, properties, YAML and JSON
    ("DB_PASS=xyz DATABASE_URL=postgres://u:p@db/x LOG_LEVEL=debug", f"DB_PASS={R} DATABASE_URL={R} LOG_LEVEL=debug"),
    ("args: --password=s3cr3t --user=bob", f"args: --password={R} --user=bob"),
    ("mysql -u root --password hunter22 db", f"mysql -u root --password {R} db"),
    ("spring.datasource.password=topsecret\nserver.port=8080", f"spring.datasource.password={R}\nserver.port=8080"),
    ("db:\n  password: hunter2\n  host: db\n", f"db:\n  password: {R}\n  host: db\n"),
    ("DB_PASS: hunter2", f"DB_PASS: {R}"),
    ('{"password": "hunter2", "user": "bob"}', f'{{"password": "{R}", "user": "bob"}}'),
    ('"DB_PASSWORD":"abc"', f'"DB_PASSWORD":"{R}"'),
    # authorization values, JWTs, private keys
    ("Authorization: Bearer abcdefghijklmnop", f"Authorization: Bearer {R}"),
    ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", f"curl -H 'Authorization: Basic {R}'"),
    ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghijklmn here", f"token {R} here"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----",
     f"-----BEGIN RSA PRIVATE KEY-----{R}-----END RSA PRIVATE KEY-----"),
]

UNCHANGED = [
    "kind: Secret", "Secret: Opaque", "pykyverno MCP server listening on http://127.0.0.1:1/mcp (auth: bearer token)",
    "Basic authentication is required", "Message: failed expression: false", "spec.containers[0].env[1].value",
    "image: nginx:1.27 url http://svc.ns:8080/mcp", "git@github.com:foo/bar", "pod-security-restricted",
    "pass: 3", '"pass": 0,', "the password is wrong", "PASSWORD_POLICY_URL=https://x/y?a=1",
    "https://example.com/search?q=token&page=2", "contact admin@example.com", "password: true",
    "kubectl.kubernetes.io/last-applied-configuration", "--token-file /var/run/token",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_credentials_in_text_are_masked(text: str, expected: str) -> None:
    assert mask_patterns(text) == expected
    assert mask_patterns(expected) == expected, "masking is idempotent"


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert mask_patterns(text) == text


def test_masked_json_and_yaml_stay_parseable() -> None:
    payload = {"summary": {"pass": 1, "fail": 0}, "password": "x1y2z3", "url": "https://u:pw@h/p?token=t",
               "args": ["--password=abc"], "message": "DB_PASS=hunter2"}
    masked_json = json.loads(mask_patterns(json.dumps(payload, indent=2)))
    masked_yaml = yaml.safe_load(mask_patterns(yaml.safe_dump(payload)))
    for data in (masked_json, masked_yaml):
        assert data["summary"] == {"pass": 1, "fail": 0}
        assert data["password"] == R and data["url"] == f"https://{R}@h/p?token={R}"
        assert data["args"] == [f"--password={R}"] and data["message"] == f"DB_PASS={R}"


def test_safe_url_drops_user_info_and_masks_every_query_value() -> None:
    assert safe_url("https://admin:pw@10.0.0.1:6443/k8s/clusters/c-1?access_token=abc&x=1#frag") == \
        f"https://10.0.0.1:6443/k8s/clusters/c-1?access_token={R}&x={R}"
    assert safe_url("https://[::1]:6443") == "https://[::1]:6443"
    assert safe_url("https://kube.example.com") == "https://kube.example.com"
    assert safe_url("https://host:notaport") == "<invalid URL>"
