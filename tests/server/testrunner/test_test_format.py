"""The rest of the Test format (issue 14, class 5): apiCallResponses, payload files, deprecated and unknown fields,
cloneSourceResource. Each Test is written to a folder and run as ``pykyverno test`` runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from pykyverno.server import testrunner
from pykyverno.server.testrunner import CaseOutcome, parse_test_file, run_test


def write(folder: Path, files: dict[str, Any]) -> Path:
    for name, content in files.items():
        path = folder / name
        if isinstance(content, str):
            path.write_text(content)
        elif name.endswith(".json"):
            path.write_text(json.dumps(content))
        else:
            path.write_text(yaml.safe_dump_all(content if isinstance(content, list) else [content]))
    return folder / "kyverno-test.yaml"


def run(folder: Path, files: dict[str, Any]) -> list[testrunner.TestRun]:
    return [run_test(test) for test in parse_test_file(write(folder, files))]


def outcomes(runs: list[testrunner.TestRun]) -> list[tuple[str, str, str]]:
    return [(o.resource, o.expected, o.actual) for r in runs for o in r.outcomes]


def pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.0"}]}}


HTTP_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: ask-the-service}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  variables:
  - name: verdict
    expression: "http.Get('http://approvals.svc/pods/' + object.metadata.name)"
  - name: scanned
    expression: >
      http.Post('http://scanner.svc/scan?pod=' + object.metadata.name, {'image': object.spec.containers[0].image})
  validations:
  - expression: "variables.verdict.approved == true"
    messageExpression: "'not approved: ' + string(variables.verdict.reason)"
  - expression: "variables.scanned.findings == 0.0"
"""


def test_api_call_responses_mock_http_get_and_post(tmp_path: Path) -> None:
    test = {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "http"},
        "policies": ["policy.yaml"],
        "resources": ["pods.yaml"],
        "apiCallResponses": [
            {"url": "http://approvals.svc/pods/good", "method": "GET",
             "response": {"statusCode": 200, "body": {"approved": True, "reason": ""}}},
            {"url": "http://approvals.svc/pods/bad", "method": "GET",
             "response": {"statusCode": 200, "body": {"approved": False, "reason": "ticket missing"}}},
            {"url": "http://approvals.svc/pods/vulnerable", "method": "GET",
             "response": {"statusCode": 200, "body": '{"approved": true}'}},
            {"urlPath": "/scan", "method": "POST", "response": {"statusCode": 200, "body": {"findings": 0}}},
        ],
        "results": [
            {"policy": "ask-the-service", "kind": "Pod", "resources": ["good"], "result": "pass"},
            {"policy": "ask-the-service", "kind": "Pod", "resources": ["bad"], "result": "fail"},
            {"policy": "ask-the-service", "kind": "Pod", "resources": ["unknown"], "result": "error"},
        ],
    }
    runs = run(tmp_path, {"kyverno-test.yaml": test, "policy.yaml": HTTP_POLICY,
                          "pods.yaml": [pod("good"), pod("bad"), pod("unknown")]})
    assert outcomes(runs) == [("good", "pass", "pass"), ("bad", "fail", "fail"), ("unknown", "error", "error")]
    assert all(o.passed for o in runs[0].outcomes) and not runs[0].issues


def test_a_mocked_response_that_makes_the_validation_false_fails(tmp_path: Path) -> None:
    test = {
        "policies": ["policy.yaml"],
        "resources": ["pods.yaml"],
        "apiCallResponses": [
            {"url": "http://approvals.svc/pods/good", "method": "GET",
             "response": {"statusCode": 200, "body": {"approved": True}}},
            {"urlPath": "/scan", "method": "POST", "response": {"statusCode": 200, "body": {"findings": 3}}},
        ],
        "results": [{"policy": "ask-the-service", "kind": "Pod", "resources": ["good"], "result": "pass"}],
    }
    [outcome] = [o for r in run(tmp_path, {"kyverno-test.yaml": test, "policy.yaml": HTTP_POLICY,
                                           "pods.yaml": [pod("good")]}) for o in r.outcomes]
    assert (outcome.actual, outcome.passed) == ("fail", False)


JSON_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: no-root-user}
spec:
  evaluation: {mode: JSON}
  validations:
  - expression: "object.user != 'root'"
    message: the image must not run as root
"""


def test_json_payloads_each_evaluated_and_named_by_file(tmp_path: Path) -> None:
    test = {
        "policies": ["policy.yaml"],
        "jsonPayloads": ["./root.json", "app.json"],
        "results": [
            {"policy": "no-root-user", "kind": "", "result": "fail", "resources": ["root.json"]},
            {"policy": "no-root-user", "kind": "", "result": "pass", "resources": ["app"]},
            {"policy": "no-root-user", "kind": "", "result": "pass"},
        ],
    }
    runs = run(tmp_path, {"kyverno-test.yaml": test, "policy.yaml": JSON_POLICY,
                          "root.json": {"user": "root"}, "app.json": {"user": "app"}})
    assert outcomes(runs) == [
        ("root.json", "fail", "fail"),
        ("app.json", "pass", "pass"),
        # A row without resources covers every payload, each on its own: root.json fails it.
        ("root.json", "pass", "fail"),
        ("app.json", "pass", "pass"),
    ]


HTTP_AUTHZ_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: only-get}
spec:
  evaluation: {mode: HTTP}
  validations:
  - expression: "object.attributes.method != 'GET' ? http.Denied('read only').Response() : null"
  - expression: "http.Allowed().Response()"
"""

ENVOY_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: needs-header}
spec:
  evaluation: {mode: Envoy}
  validations:
  - expression: >
      object.attributes.request.http.headers[?"x-team"].orValue("") == ""
        ? envoy.Denied(403).Response()
        : envoy.Allowed().Response()
"""


def test_http_and_envoy_payloads_in_both_result_conventions(tmp_path: Path) -> None:
    test = [
        {
            "metadata": {"name": "http"},
            "policies": ["http-policy.yaml"],
            "httpPayloads": ["get.json", "post.json"],
            "results": [
                {"policy": "only-get", "kind": "", "result": "pass", "resources": ["get.json"]},
                {"policy": "only-get", "kind": "", "result": "fail", "resources": ["post.json"]},
            ],
        },
        {
            "metadata": {"name": "envoy"},
            "policies": ["envoy-policy.yaml"],
            "envoyPayloads": ["./denied.json"],
            "results": [{"policy": "needs-header", "kind": "", "result": "fail"}],
        },
        {
            "metadata": {"name": "envoy-allowed"},
            "policies": ["envoy-policy.yaml"],
            "envoyPayloads": ["allowed.json"],
            "results": [{"policy": "needs-header", "kind": "", "result": "pass", "resources": ["allowed.json"]}],
        },
    ]
    headers = {"x-team": "shop"}
    runs = run(tmp_path, {
        "kyverno-test.yaml": test,
        "http-policy.yaml": HTTP_AUTHZ_POLICY,
        "envoy-policy.yaml": ENVOY_POLICY,
        "get.json": {"attributes": {"method": "GET", "path": "/"}},
        "post.json": {"attributes": {"method": "POST", "path": "/"}},
        "denied.json": {"attributes": {"request": {"http": {"headers": {}}}}},
        "allowed.json": {"attributes": {"request": {"http": {"headers": headers}}}},
    })
    assert outcomes(runs) == [
        ("get.json", "pass", "pass"),
        ("post.json", "fail", "fail"),
        ("denied.json", "fail", "fail"),
        ("allowed.json", "pass", "pass"),
    ]


POD_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: named}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  validations:
  - expression: "object.metadata.name.startsWith('ok')"
"""


def test_unknown_fields_warn_and_deprecated_spellings_work(tmp_path: Path) -> None:
    test = {
        "policies": ["policy.yaml"],
        "resources": ["pods.yaml"],
        "checks": [{"match": {}, "assert": {}}],
        "results": [
            {"policy": "named", "kind": "Pod", "resource": "ok-1", "namespace": "default", "status": "pass"},
            {"policy": "named", "kind": "Pod", "resources": ["bad"], "result": "fail", "expectedMessage": "x"},
        ],
    }
    [test_run] = run(tmp_path, {"kyverno-test.yaml": test, "policy.yaml": POD_POLICY,
                                "pods.yaml": [pod("ok-1"), pod("bad")]})
    assert outcomes([test_run]) == [("default/ok-1", "pass", "pass"), ("bad", "fail", "fail")]
    assert test_run.issues == [
        "unsupported Test field 'checks' (ignored)",
        "unsupported field 'expectedMessage' in results[1] (ignored)",
    ]


CLONE_POLICY = """
apiVersion: policies.kyverno.io/v1beta1
kind: GeneratingPolicy
metadata: {name: copy-config}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [namespaces]}
  variables:
  - {name: source, expression: 'resource.Get("v1", "configmaps", "default", "base")'}
  generate:
  - expression: generator.Apply(object.metadata.name, [variables.source])
"""


def test_clone_source_resource_is_served_to_lookups(tmp_path: Path) -> None:
    source = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "base", "namespace": "default"},
              "data": {"level": "info"}}
    generated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "base", "namespace": "team"},
                 "data": {"level": "info"}}
    test = {
        "policies": ["policy.yaml"],
        "resources": ["namespace.yaml"],
        "results": [{"policy": "copy-config", "kind": "Namespace", "resources": ["team"], "result": "pass",
                     "isGeneratingPolicy": True, "cloneSourceResource": "source.yaml",
                     "generatedResource": "generated.yaml"}],
    }
    runs = run(tmp_path, {"kyverno-test.yaml": test, "policy.yaml": CLONE_POLICY, "source.yaml": source,
                          "generated.yaml": generated,
                          "namespace.yaml": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}})
    [outcome] = [o for r in runs for o in r.outcomes]
    assert isinstance(outcome, CaseOutcome) and outcome.passed, outcome
