"""Lookups the source cannot answer (issue 13): recorded on the result, and never silence in a scan.

A source that answers "not found" has answered; one that does not hold the type, refuses, runs out of time, or does
not exist has not. Under ``failurePolicy: Ignore`` an error gives no result (admission semantics, kept for ``apply``
and ``test``); with ``report_unanswered`` (scans) an evaluation that an unanswered lookup left without a result is an
``error`` naming the lookup.
"""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel import LookupUnavailable, Providers, using_providers
from pykyverno.engine.cel.offline import OfflineResources, offline_providers
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult

POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: needs-egress-policy}
spec:
  validationActions: [Audit]
  failurePolicy: Ignore
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  matchConditions:
  - name: policies-readable
    expression: "size(resource.List('networking.k8s.io/v1', 'networkpolicies', object.metadata.namespace).items) >= 0"
  validations:
  - expression: >
      resource.List('networking.k8s.io/v1', 'networkpolicies', object.metadata.namespace).items
        .exists(np, 'Egress' in np.spec.?policyTypes.orValue([]))
"""

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "agent", "namespace": "ai"},
       "spec": {"containers": [{"name": "a", "image": "agent:1"}]}}
EGRESS = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "deny", "namespace": "ai"}, "spec": {"policyTypes": ["Egress"]}}


class Refusing:
    """A resource source that cannot answer (a 403, a snapshot without the type)."""

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        raise LookupUnavailable(f"{resource} are forbidden")

    def list(self, api_version: str, resource: str, namespace: str, labels: Any = None) -> dict[str, Any]:
        raise LookupUnavailable(f"{resource} are forbidden")

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        return obj


def evaluate(providers: Providers, report: bool, text: str = POLICY) -> RuleResult | None:
    policies = load_documents(parse_documents(text))
    assert not policies.issues, policies.issues
    [policy] = [p for p in policies.policies if not p.autogen]
    with using_providers(providers):
        return policy.evaluate(AdmissionContext(object=POD), [], EvaluationOptions(report_unanswered=report))


def test_a_source_that_cannot_answer_is_an_error_in_scans() -> None:
    result = evaluate(Providers(resource=Refusing()), report=True)
    assert result is not None and result.result == "error"
    assert "networkpolicies are forbidden" in result.message
    assert result.unanswered == ("networkpolicies are forbidden",)


def test_admission_semantics_without_report_unanswered() -> None:
    assert evaluate(Providers(resource=Refusing()), report=False) is None


def test_no_source_at_all_cannot_answer() -> None:
    result = evaluate(Providers(), report=True)
    assert result is not None and result.result == "error" and "no resource provider" in result.message


def test_a_source_that_answers_is_not_flagged() -> None:
    failing = evaluate(Providers(resource=OfflineResources([])), report=True)
    assert failing is not None and failing.result == "fail" and failing.unanswered == ()
    passing = evaluate(Providers(resource=OfflineResources([EGRESS])), report=True)
    assert passing is not None and passing.result == "pass" and passing.unanswered == ()


def test_not_found_is_an_answer() -> None:
    text = POLICY.replace(
        "size(resource.List('networking.k8s.io/v1', 'networkpolicies', object.metadata.namespace).items) >= 0",
        "resource.Get('v1', 'serviceaccounts', 'ai', 'agent').metadata.name != ''",
    )
    assert evaluate(Providers(resource=OfflineResources([])), report=True, text=text) is None


def test_an_error_result_carries_the_unanswered_lookup() -> None:
    text = POLICY.replace("  failurePolicy: Ignore\n", "")
    result = evaluate(Providers(resource=Refusing()), report=False, text=text)
    assert result is not None and result.result == "error" and result.unanswered


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("http.Get('http://svc/x').ok == true", "no apiCallResponses entry for GET http://svc/x"),
        ("globalContext.Get('missing', '') != null", "global context entry 'missing' not found"),
        ("image.GetMetadata('ghcr.io/a/b:1').config != null", "not described in the Context spec.images"),
    ],
)
def test_offline_mocks_that_do_not_cover_a_call_cannot_answer(expression: str, reason: str) -> None:
    text = POLICY.replace(
        "size(resource.List('networking.k8s.io/v1', 'networkpolicies', object.metadata.namespace).items) >= 0",
        expression,
    )
    result = evaluate(offline_providers({}), report=True, text=text)
    assert result is not None and result.result == "error"
    assert any(reason in r for r in result.unanswered), result.unanswered
