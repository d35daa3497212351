"""DeletingPolicy previews: which resources the next scheduled run deletes, and when it runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.cel.offline import OfflineResources
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.dpol.policy import next_run
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult

POLICY = """
apiVersion: policies.kyverno.io/v1beta1
kind: DeletingPolicy
metadata: {name: cleanup}
spec:
  schedule: "*/5 * * * *"
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
    objectSelector: {matchExpressions: [{key: expired, operator: Exists}]}
  variables:
  - {name: name, expression: object.metadata.name}
  conditions:
  - {name: in-test, expression: "object.metadata.namespace == 'test'"}
  - {name: named, expression: "variables.name.startsWith('tmp-')"}
"""

NOW = datetime(2026, 1, 1, 10, 2, tzinfo=UTC)


def load(text: str) -> PolicySet:
    return load_documents(parse_documents(text))


def pod(name: str, namespace: str = "test", expired: bool = True) -> dict[str, Any]:
    labels = {"expired": "yes"} if expired else {}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels}}


def evaluate(policies: PolicySet, obj: dict[str, Any], operation: str = "CREATE") -> RuleResult | None:
    [policy] = policies.policies
    ctx = AdmissionContext(operation=operation, object=obj)
    return policy.evaluate(ctx, [], EvaluationOptions(now=NOW))


def test_resource_that_meets_all_conditions_would_be_deleted() -> None:
    result = evaluate(load(POLICY), pod("tmp-1"))
    assert result is not None and result.result == "pass" and result.policy_kind == "DeletingPolicy"
    assert result.properties["nextRun"] == "2026-01-01T10:05:00+00:00"
    assert "would be deleted" in result.message


def test_false_condition_fails_and_unselected_resource_is_skipped() -> None:
    policies = load(POLICY)
    kept = evaluate(policies, pod("keep-1"))
    assert kept is not None and kept.result == "fail" and "named" in kept.message
    assert evaluate(policies, pod("tmp-1", expired=False)) is None


def test_operations_do_not_restrict_a_background_policy() -> None:
    result = evaluate(load(POLICY), pod("tmp-1"), operation="UPDATE")
    assert result is not None and result.result == "pass"


def test_condition_error_is_an_error() -> None:
    result = evaluate(load(POLICY.replace("object.metadata.namespace ==", "object.spec.missing ==")), pod("tmp-1"))
    assert result is not None and result.result == "error"


def test_conditions_can_read_cluster_resources() -> None:
    text = POLICY.replace(
        "object.metadata.namespace == 'test'", "resource.Get('v1', 'configmaps', 'test', 'flag').data.on == 'yes'"
    )
    flag = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flag", "namespace": "test"},
            "data": {"on": "yes"}}
    with using_providers(Providers(resource=OfflineResources([flag]))):
        result = evaluate(load(text), pod("tmp-1"))
    assert result is not None and result.result == "pass"


def test_invalid_schedule_is_a_load_issue() -> None:
    policies = load(POLICY.replace("*/5 * * * *", "every day"))
    assert policies.policies == [] and policies.issues[0].path == "spec.schedule"


def test_next_run() -> None:
    assert next_run("0 3 * * *", NOW) == datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
