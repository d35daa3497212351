"""GeneratingPolicy previews: generator.Apply, templates, clone sources, exceptions, and the Test comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.cel.offline import OfflineResources
from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.documents import parse_documents, read_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult
from pykyverno.server.testrunner.generated import compare_generated

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed"


def load(text: str) -> PolicySet:
    policies = load_documents(parse_documents(text))
    assert not policies.issues, policies.issues
    return policies


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def evaluate(policies: PolicySet, obj: dict[str, Any], exceptions: list[PolicyException] | None = None) -> (
    RuleResult | None
):
    [policy] = policies.policies
    return policy.evaluate(AdmissionContext(object=obj), exceptions or [])


def test_seed_add_networkpolicy_generates_default_deny() -> None:
    policies = load_documents(read_documents(SEED / "add-networkpolicy.yaml"))
    assert not policies.issues
    result = evaluate(policies, namespace("team-a"))
    assert result is not None and result.result == "pass" and result.policy_kind == "GeneratingPolicy"
    [netpol] = result.generated
    labels = netpol["metadata"].pop("labels")
    assert netpol == {
        "kind": "NetworkPolicy",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": {"name": "default-deny", "namespace": "team-a"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    assert labels["app.kubernetes.io/managed-by"] == "kyverno"
    assert labels["generate.kyverno.io/policy-name"] == "add-networkpolicy"
    assert labels["generate.kyverno.io/trigger-kind"] == "Namespace"


def test_each_evaluation_records_separately() -> None:
    policies = load_documents(read_documents(SEED / "add-networkpolicy.yaml"))
    first = evaluate(policies, namespace("a"))
    second = evaluate(policies, namespace("b"))
    assert first is not None and second is not None
    assert [g["metadata"]["namespace"] for g in first.generated] == ["a"]
    assert [g["metadata"]["namespace"] for g in second.generated] == ["b"]


def test_policy_does_not_apply_to_other_kinds() -> None:
    policies = load_documents(read_documents(SEED / "add-networkpolicy.yaml"))
    assert evaluate(policies, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}) is None


TEMPLATE = """
apiVersion: policies.kyverno.io/v1
kind: GeneratingPolicy
metadata: {name: template}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [namespaces]}
  variables:
  - {name: ns, expression: object.metadata.name}
  - {name: labels, expression: "{'team': 'platform'}"}
  generate:
  - template:
      interpolate: cel
      value: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: (( variables.ns ))-config
          namespace: (( variables.ns ))
          labels: (( variables.labels ))
        data:
          replicas: "3"
"""


def test_template_interpolation() -> None:
    result = evaluate(load(TEMPLATE), namespace("shop"))
    assert result is not None and result.result == "pass"
    [config] = result.generated
    assert config["metadata"]["name"] == "shop-config" and config["metadata"]["namespace"] == "shop"
    assert config["metadata"]["labels"]["team"] == "platform" and config["data"] == {"replicas": "3"}


def test_uninterpolated_template_is_taken_literally() -> None:
    text = TEMPLATE.replace("interpolate: cel", "interpolate: none").replace(
        "(( variables.ns ))-config", "fixed"
    ).replace("namespace: (( variables.ns ))", "namespace: fixed-ns").replace("labels: (( variables.labels ))", "")
    result = evaluate(load(text), namespace("shop"))
    assert result is not None and result.generated[0]["metadata"]["name"] == "fixed"


CLONE = """
apiVersion: policies.kyverno.io/v1beta1
kind: GeneratingPolicy
metadata: {name: clone-secrets}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [namespaces]}
  variables:
  - {name: sources, expression: 'resource.List("v1", "secrets", "default")'}
  generate:
  - expression: generator.Apply(object.metadata.name, [variables.sources])
"""

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default",
                                                              "resourceVersion": "7"}, "data": {"k": "dg=="}}


def test_clone_from_listed_sources() -> None:
    with using_providers(Providers(resource=OfflineResources([SECRET]))):
        result = evaluate(load(CLONE), namespace("copy"))
    assert result is not None
    [secret] = result.generated
    assert secret["metadata"]["namespace"] == "copy" and "resourceVersion" not in secret["metadata"]
    assert secret["data"] == {"k": "dg=="}


def test_failing_generation_is_an_error() -> None:
    result = evaluate(load(CLONE), namespace("copy"))  # no resource provider
    assert result is not None and result.result == "error" and "generate[0]" in result.message


def test_exception_skips_the_trigger() -> None:
    exception = PolicyException.from_dict(yaml.safe_load("""
apiVersion: policies.kyverno.io/v1alpha1
kind: PolicyException
metadata: {name: skip-testing, namespace: kyverno}
spec:
  policyRefs: [{name: template, kind: GeneratingPolicy}]
  matchConditions: [{name: testing, expression: "object.metadata.name == 'testing'"}]
"""))
    policies = load(TEMPLATE)
    skipped = evaluate(policies, namespace("testing"), [exception])
    assert skipped is not None and skipped.result == "skip" and skipped.generated == []
    kept = evaluate(policies, namespace("prod"), [exception])
    assert kept is not None and kept.result == "pass"


def test_compare_generated_ignores_kyverno_labels_and_reports_differences(tmp_path: Path) -> None:
    policies = load_documents(read_documents(SEED / "add-networkpolicy.yaml"))
    result = evaluate(policies, namespace("team-a"))
    assert result is not None
    expected = tmp_path / "expected.yaml"
    expected.write_text("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: team-a}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
""")
    assert compare_generated([expected], [result]) == ""
    expected.write_text(expected.read_text().replace("Egress", "Other"))
    assert "differs" in compare_generated([expected], [result])
    expected.write_text(expected.read_text().replace("team-a", "team-b"))
    assert "was not produced" in compare_generated([expected], [result])
