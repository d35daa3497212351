"""The dry-run / confirm flow against a writable fake API server: the plan, the confirm step, expired and mismatched
tokens, 403s reported per object, idempotent re-runs, and the refusal to touch objects pykyverno did not create."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from pykyverno.server.policysets import find_policy
from pykyverno.server.writes import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    Changeset,
    ConfirmationTokens,
    ObjectRef,
    WriteFlow,
    WriteRequest,
)
from tests.server.writes.conftest import Cluster

G, P = "policies.kyverno.io", "validatingpolicies"


def _policy(name: str = "disallow-host-path", actions: list[str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(find_policy(name).path.read_text(encoding="utf-8"))
    if actions is not None:
        doc["spec"]["validationActions"] = actions
    return doc


def _request(**arguments: Any) -> WriteRequest:
    return WriteRequest("install_policy_set", {"set": "test", **arguments})


def _install(*names: str, actions: list[str] | None = None) -> Changeset:
    return Changeset(apply=[_policy(n, actions) for n in names], notes=["installing for a test"])


def test_the_first_call_is_a_dry_run_with_a_plan_and_a_token(cluster: Cluster, flow: WriteFlow) -> None:
    outcome = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path", "disallow-proc-mount"))
    assert outcome.status == "planned" and outcome.token and outcome.expires_at
    assert [(c.action, c.verdict) for c in outcome.plan.changes] == [("create", "allowed"), ("create", "allowed")]
    assert cluster.stored(G, P, "disallow-host-path") is None
    assert cluster.writes() and all(dry == "All" for _, _, dry in cluster.writes()), "only dry runs"
    change = outcome.plan.changes[0]
    assert "+++ ValidatingPolicy/disallow-host-path (planned)" in change.diff
    assert "+    app.kubernetes.io/managed-by: pykyverno" in change.diff
    assert change.desired is not None and change.desired["metadata"]["labels"][MANAGED_BY_LABEL] == MANAGED_BY
    assert "confirm=" in outcome.message and "Dry run only" in outcome.message
    assert "installing for a test" in outcome.render()
    data = outcome.to_dict()
    assert data["confirm"] == outcome.token and data["plan"]["counts"] == {"create": 2}


def test_the_same_call_with_the_token_executes_exactly_the_plan(cluster: Cluster, flow: WriteFlow) -> None:
    planned = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"))
    assert planned.token
    done = flow.run(cluster.client(), _request(), lambda: pytest.fail("a valid token brings its own change set"),
                    confirm=planned.token)
    assert done.status == "applied" and done.executed and done.ok
    assert [(r.outcome, str(r.ref)) for r in done.results] == [("applied", "ValidatingPolicy/disallow-host-path")]
    stored = cluster.stored(G, P, "disallow-host-path")
    assert stored is not None and stored["metadata"]["labels"][MANAGED_BY_LABEL] == MANAGED_BY
    assert [m["manager"] for m in stored["metadata"]["managedFields"]] == ["pykyverno"]


def test_rerunning_is_idempotent_and_a_used_token_writes_nothing(cluster: Cluster, flow: WriteFlow) -> None:
    planned = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"))
    assert planned.token
    flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"), confirm=planned.token)
    version = cluster.stored(G, P, "disallow-host-path")["metadata"]["resourceVersion"]  # type: ignore[index]
    cluster.fake.clear_requests()
    again = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"))
    assert again.status == "unchanged" and again.token is None and again.ok
    assert [c.action for c in again.plan.changes] == ["unchanged"]
    replay = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"), confirm=planned.token)
    assert replay.status == "unchanged" and not replay.executed
    assert all(dry == "All" for _, _, dry in cluster.writes())
    assert cluster.stored(G, P, "disallow-host-path")["metadata"]["resourceVersion"] == version  # type: ignore[index]


def test_an_expired_token_gets_a_fresh_plan_and_writes_nothing(cluster: Cluster) -> None:
    now = [1000.0]
    flow = WriteFlow(ConfirmationTokens(ttl=300, clock=lambda: now[0]))
    planned = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"))
    now[0] += 301
    outcome = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"), confirm=planned.token)
    assert outcome.status == "token-expired" and not outcome.executed and not outcome.ok
    assert outcome.token and outcome.token != planned.token and "expired" in outcome.message
    assert cluster.stored(G, P, "disallow-host-path") is None


@pytest.mark.parametrize("change", ["arguments", "tool", "context", "subject"])
def test_a_token_only_confirms_the_call_it_was_issued_for(cluster: Cluster, flow: WriteFlow, change: str) -> None:
    planned = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"))
    assert planned.token
    request, context = _request(), "admin"
    if change == "arguments":
        request = _request(mode="Enforce")
    elif change == "tool":
        request = WriteRequest("publish_reports", request.arguments)
    elif change == "subject":
        request = WriteRequest(request.tool, request.arguments, subject="another-session")
    else:
        context = "bob"
    outcome = flow.run(cluster.client(context), request, lambda: _install("disallow-host-path"),
                       confirm=planned.token)
    assert outcome.status == "token-mismatch" and not outcome.executed
    assert cluster.stored(G, P, "disallow-host-path") is None
    # the right call still works with the original token
    done = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"), confirm=planned.token)
    assert done.status == "applied"


def test_an_unknown_token_is_refused(cluster: Cluster, flow: WriteFlow) -> None:
    outcome = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path"), confirm="made-up")
    assert outcome.status == "token-unknown" and outcome.token and not outcome.executed
    assert cluster.stored(G, P, "disallow-host-path") is None


def test_a_cluster_that_changed_after_the_plan_is_not_written(cluster: Cluster, flow: WriteFlow) -> None:
    flow.apply_now(cluster.client(), _request(), _install("disallow-host-path", actions=["Audit"]))
    planned = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path", actions=["Deny"]))
    assert planned.status == "planned"
    assert [(c.path, c.before, c.after) for c in planned.plan.changes[0].changes] == [
        ("spec.validationActions", ["Audit"], ["Deny"])]
    # someone else (pykyverno's field manager, another session) changes the object in between
    flow.apply_now(cluster.client(), _request(), _install("disallow-host-path", actions=["Warn"]))
    outcome = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path", actions=["Deny"]),
                       confirm=planned.token)
    assert outcome.status == "plan-changed" and not outcome.executed and outcome.token
    stored = cluster.stored(G, P, "disallow-host-path")
    assert stored is not None and stored["spec"]["validationActions"] == ["Warn"]


def test_a_denied_write_blocks_the_plan_and_names_the_object(cluster: Cluster, flow: WriteFlow) -> None:
    cluster.fake.deny(user="bob", verb="create|patch", resource=f"{P}.{G}")
    outcome = flow.run(cluster.client("bob"), _request(), lambda: _install("disallow-host-path"))
    assert outcome.status == "blocked" and outcome.token is None and not outcome.ok
    [change] = outcome.plan.changes
    assert change.verdict == "denied"
    assert "forbidden by the API server (403)" in change.message and 'User "bob" cannot patch' in change.message
    assert "ValidatingPolicy/disallow-host-path: denied" in outcome.message
    assert cluster.stored(G, P, "disallow-host-path") is None


def test_a_write_denied_at_execution_is_reported_per_object(cluster: Cluster, flow: WriteFlow) -> None:
    plan = flow.plan(cluster.client("bob"), "install_policy_set",
                     _install("disallow-host-path", "disallow-proc-mount"))
    assert plan.allowed
    cluster.fake.deny(user="bob", verb="patch", resource=f"{P}.{G}")
    outcome = flow._execute(cluster.client("bob"), plan)
    assert outcome.status == "failed" and outcome.executed and not outcome.ok
    assert {r.outcome for r in outcome.results} == {"denied"}
    assert all("403" in r.message and r.ref.name in r.message for r in outcome.results)


def test_unmanaged_objects_are_never_deleted_or_taken_over(cluster: Cluster, flow: WriteFlow) -> None:
    cluster.fake.add(_policy("disallow-host-path"))  # installed by someone else (kubectl, Helm, Kyverno's chart)
    ref = ObjectRef(f"{G}/v1", "ValidatingPolicy", "", "disallow-host-path")
    outcome = flow.run(cluster.client(), _request(), lambda: Changeset(delete=[ref]))
    assert outcome.status == "blocked" and outcome.plan.changes[0].verdict == "refused"
    assert "not created by pykyverno" in outcome.plan.changes[0].message
    outcome = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path", actions=["Deny"]))
    assert outcome.status == "blocked" and outcome.plan.changes[0].verdict == "refused"
    assert all(dry == "All" for _, _, dry in cluster.writes()) and not any(m == "DELETE" for m, _, _ in
                                                                            cluster.writes())
    assert cluster.stored(G, P, "disallow-host-path") is not None


def test_managed_objects_are_deleted_after_confirmation(cluster: Cluster, flow: WriteFlow) -> None:
    flow.apply_now(cluster.client(), _request(), _install("disallow-host-path"))
    ref = ObjectRef(f"{G}/v1", "ValidatingPolicy", "", "disallow-host-path")
    absent = ObjectRef(f"{G}/v1", "ValidatingPolicy", "", "never-installed")
    planned = flow.run(cluster.client(), _request(), lambda: Changeset(delete=[ref, absent]))
    assert [(c.action, c.verdict) for c in planned.plan.changes] == [("delete", "allowed"), ("absent", "allowed")]
    assert "--- ValidatingPolicy/disallow-host-path (live)" in planned.plan.changes[0].diff
    assert cluster.stored(G, P, "disallow-host-path") is not None
    done = flow.run(cluster.client(), _request(), lambda: Changeset(delete=[ref, absent]), confirm=planned.token)
    assert done.status == "applied" and [r.outcome for r in done.results] == ["deleted", "unchanged"]
    assert cluster.stored(G, P, "disallow-host-path") is None
    deletes = [q for q in cluster.fake.requests if q.method == "DELETE"]
    assert [q.query.get("dryRun") for q in deletes] == ["All", "All", None]  # plan, re-plan at confirm, delete


def test_field_manager_conflicts_block_unless_forced(cluster: Cluster, flow: WriteFlow) -> None:
    flow.apply_now(cluster.client(), _request(), _install("disallow-host-path", actions=["Audit"]))
    # a person edits the managed policy with kubectl; pykyverno must not silently undo it
    cluster.client().api_client.call_api(
        "PATCH", f"{cluster.fake.url}/apis/{G}/v1/{P}/disallow-host-path?fieldManager=kubectl-edit",
        header_params={"Content-Type": "application/merge-patch+json", "Authorization": "Bearer t-alice"},
        body={"spec": {"validationActions": ["Warn"]}}).read()  # type: ignore[no-untyped-call]
    outcome = flow.run(cluster.client(), _request(), lambda: _install("disallow-host-path", actions=["Deny"]))
    assert outcome.status == "blocked"
    [change] = outcome.plan.changes
    assert change.verdict == "conflict" and "spec.validationActions (owned by kubectl-edit)" in change.message
    forced = Changeset(apply=[_policy("disallow-host-path", ["Deny"])], force=True)
    done = flow.apply_now(cluster.client(), _request(force=True), forced)
    assert done.status == "applied"
    assert cluster.stored(G, P, "disallow-host-path")["spec"]["validationActions"] == ["Deny"]  # type: ignore[index]


def test_unserved_kinds_and_missing_namespaces_are_invalid(cluster: Cluster, flow: WriteFlow) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "team-a"}}
    exception: dict[str, Any] = {
        "apiVersion": f"{G}/v1", "kind": "PolicyException", "metadata": {"name": "e", "namespace": "gone"},
        "spec": {"policyRefs": [{"name": "p", "kind": "ValidatingPolicy"}]},
    }
    no_ns = copy.deepcopy(exception)
    del no_ns["metadata"]["namespace"]
    plan = flow.plan(cluster.client(), "t", Changeset(apply=[widget, exception, no_ns]))
    assert [c.verdict for c in plan.changes] == ["invalid", "invalid", "invalid"]
    assert "does not serve example.com/v1 Widget" in plan.changes[0].message
    assert 'namespaces "gone" not found' in plan.changes[1].message
    assert "metadata.namespace is required" in plan.changes[2].message


def test_tokens_are_bounded_and_single_use() -> None:
    tokens = ConfirmationTokens(ttl=10, capacity=2, clock=lambda: 0.0)
    first = tokens.issue(context="c", tool="t", arguments={"a": 1}, plan_digest="d", payload=None)
    tokens.issue(context="c", tool="t", arguments={"a": 2}, plan_digest="d", payload=None)
    tokens.issue(context="c", tool="t", arguments={"a": 3}, plan_digest="d", payload=None)
    assert tokens.pending() == 2
    assert tokens.redeem(first.token, context="c", tool="t", arguments={"a": 1})[0] == "unknown"
    last = tokens.issue(context="c", tool="t", arguments={"a": 4, "confirm": "x"}, plan_digest="d", payload=None)
    assert tokens.redeem(last.token, context="c", tool="t", arguments={"a": 4, "dry_run": False})[0] == "ok"
    assert tokens.redeem(last.token, context="c", tool="t", arguments={"a": 4})[0] == "unknown"
    with pytest.raises(ValueError):
        ConfirmationTokens(ttl=0)
