"""Every bundled ValidatingPolicy against its must-pass, must-fail (and must-skip) resources, including the
Deployments and CronJobs autogen covers."""

from __future__ import annotations

from collections import Counter

import pytest

from pykyverno.server.policysets import describe_policy, policy_locations

from .harness import CASES, Case, evaluate, load_case_file

VALIDATING = sorted(name for name in policy_locations() if describe_policy(name).kind == "ValidatingPolicy")


def _cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CASES.glob("*.yaml")):
        autogen = describe_policy(path.stem).autogen
        cases.extend(load_case_file(path, autogen))
    return cases


ALL_CASES = _cases()


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.policy}:{c.label}" for c in ALL_CASES])
def test_case(case: Case) -> None:
    outcome = evaluate(case.policy, case.obj, operation=case.operation, namespaces=case.namespaces,
                       context=case.context)
    assert outcome.result == case.expected, f"{case.policy} {case.label}: {outcome.result}: {outcome.message}"
    if outcome.result == "fail":
        assert outcome.message and "failed expression" not in outcome.message


def test_case_files_name_their_policy() -> None:
    for path in CASES.glob("*.yaml"):
        assert ALL_CASES and any(c.policy == path.stem for c in ALL_CASES), path


@pytest.mark.parametrize("name", VALIDATING)
def test_every_validating_policy_has_pass_and_fail_cases(name: str) -> None:
    counts = Counter(c.expected for c in ALL_CASES if c.policy == name)
    assert counts["pass"] > 0 and counts["fail"] > 0, f"{name} needs must-pass and must-fail cases: {dict(counts)}"


@pytest.mark.parametrize("name", VALIDATING)
def test_pod_policies_are_tested_through_autogen(name: str) -> None:
    autogen = describe_policy(name).autogen
    if not autogen:
        return
    kinds = {(c.obj["kind"], c.expected) for c in ALL_CASES if c.policy == name}
    for kind in ("Deployment", "CronJob"):
        expected = {"pass", "fail"} if kind in autogen else {"skip"}
        assert {(kind, e) for e in expected} <= kinds, f"{name}: no {kind} cases for {expected}"


def test_messages_name_the_offending_container() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"},
           "spec": {"containers": [{"name": "ok", "image": "a:1"},
                                   {"name": "bad", "image": "a:1", "securityContext": {"privileged": True}}]}}
    outcome = evaluate("disallow-privileged-containers", pod)
    assert outcome.result == "fail" and outcome.message.endswith(": bad")


def test_egress_policy_is_skipped_without_a_resource_provider() -> None:
    from pykyverno.engine.cel import Providers, using_providers
    from pykyverno.engine.request import AdmissionContext

    from .harness import compiled

    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "namespace": "apps", "labels": {"pykyverno.io/ai-workload": "agent"}},
           "spec": {"containers": [{"name": "a", "image": "a:1"}]}}
    with using_providers(Providers()):
        results = [p.evaluate(AdmissionContext(object=pod)) for p in compiled("ai-agent-egress-network-policy")]
    assert results == [None] * 3
