"""kyverno.io/v1 rules evaluated through the pipeline: validate (pattern, anyPattern, deny, foreach, podSecurity),
context and Values, preconditions, failure actions, autogen, mutate (in order, foreach, existing), generate,
kyverno.io/v2 PolicyExceptions and match details."""

from __future__ import annotations

from typing import Any

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.cel.offline import OfflineResources
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.cpol.policy import CompiledRule
from pykyverno.engine.cpol.values import values_of
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext, admission_request
from pykyverno.engine.results import RuleResult


def load(text: str) -> PolicySet:
    policies = load_documents(parse_documents(text))
    assert not policies.issues, policies.issues
    return policies


def pod(name: str = "p", image: str = "nginx:1.25", namespace: str = "default", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {"containers": [{"name": "c", "image": image}, {"name": "d", "image": "busybox:1.36"}]},
    }


def run(policies: PolicySet, ctx: AdmissionContext, providers: Providers | None = None,
        **options: Any) -> list[RuleResult]:
    with using_providers(providers or Providers()):
        results = [p.evaluate(ctx, policies.exceptions, EvaluationOptions(**options)) for p in policies.policies]
    return [r for r in results if r is not None]


def verdicts(results: list[RuleResult]) -> list[tuple[str, str]]:
    return [(r.rule, r.result) for r in results]


VALIDATE = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: images}
spec:
  validationFailureAction: Enforce
  validationFailureActionOverrides:
  - {action: Audit, namespaces: [dev-*]}
  rules:
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "image of {{ request.object.metadata.name }} must be pinned"
      pattern:
        spec:
          containers:
          - image: "!*:latest"
  - name: one-of
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      anyPattern:
      - metadata: {labels: {team: "?*"}}
      - metadata: {labels: {owner: "?*"}}
  - name: deny-default
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
      all:
      - {key: "{{ request.operation }}", operator: AnyIn, value: [CREATE, UPDATE]}
    validate:
      message: "namespace {{ request.namespace }} is not allowed"
      deny:
        conditions:
          any:
          - {key: "{{ request.namespace }}", operator: Equals, value: forbidden}
  - name: each-container
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      foreach:
      - list: request.object.spec.containers
        preconditions:
          all:
          - {key: "{{ element.name }}", operator: NotEquals, value: d}
        deny:
          conditions:
            all:
            - {key: "{{ element.image }}", operator: Equals, value: "*:latest"}
"""


def test_validate_rules_pass_and_fail_with_kyverno_messages() -> None:
    policies = load(VALIDATE)
    good = run(policies, admission_request(pod(team="a")))
    assert verdicts(good) == [("no-latest", "pass"), ("one-of", "pass"), ("deny-default", "pass"),
                              ("each-container", "pass")]
    bad = run(policies, admission_request(pod("web", image="nginx:latest", namespace="forbidden")))
    by_rule = {r.rule: r for r in bad}
    assert by_rule["no-latest"].result == "fail"
    assert by_rule["no-latest"].message == (
        "validation error: image of web must be pinned. rule no-latest failed at path /spec/containers/0/image/")
    assert by_rule["no-latest"].actions == ("Deny",)
    assert by_rule["one-of"].result == "fail" and "rule one-of[1] failed at path" in by_rule["one-of"].message
    assert by_rule["deny-default"].message == "namespace forbidden is not allowed"
    assert by_rule["each-container"].result == "fail"
    assert by_rule["each-container"].message.startswith("validation failure: ")


def test_failure_action_overrides_by_namespace_and_audit_warn() -> None:
    policies = load(VALIDATE)
    [result] = [r for r in run(policies, admission_request(pod(image="x:latest", namespace="dev-1")))
                if r.rule == "no-latest"]
    assert result.actions == ("Audit",) and result.result == "fail"
    [warned] = [r for r in run(policies, admission_request(pod(image="x:latest", namespace="dev-1")), audit_warn=True)
                if r.rule == "no-latest"]
    assert warned.result == "warn"


def test_preconditions_false_skip_and_delete_drops_pattern_rules() -> None:
    policies = load(VALIDATE)
    results = run(policies, admission_request(pod(), "DELETE"))
    assert ("deny-default", "skip") in verdicts(results)
    assert "no-latest" not in [r.rule for r in results]


def test_foreach_with_every_element_skipped_reports_nothing() -> None:
    policies = load(VALIDATE)
    only_d = pod()
    only_d["spec"]["containers"] = [{"name": "d", "image": "x:latest"}]
    assert "each-container" not in [r.rule for r in run(policies, admission_request(only_d))]


CONTEXT = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: ctx}
spec:
  rules:
  - name: limit
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: allowed
      configMap: {name: registries, namespace: kyverno}
    - name: count
      variable: {jmesPath: "length(request.object.spec.containers)"}
    validate:
      deny:
        conditions:
          any:
          - {key: "{{ count }}", operator: GreaterThan, value: "{{ allowed.data.max }}"}
"""


def test_context_entries_read_configmaps_from_the_cluster_and_values_replace_them() -> None:
    policies = load(CONTEXT)
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "registries", "namespace": "kyverno"},
                  "data": {"max": "1"}}

    class Cluster:  # a cluster (not the offline provider of a Test) answers configMap entries
        def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
            assert (api_version, resource, namespace, name) == ("v1", "configmaps", "kyverno", "registries")
            return config_map

    [denied] = run(policies, admission_request(pod()), Providers(resource=Cluster()))  # type: ignore[arg-type]
    assert denied.result == "fail"
    offline = Providers(resource=OfflineResources([]))
    [unknown] = run(policies, admission_request(pod()), offline)
    assert unknown.result == "error" and 'Unknown key "allowed"' in unknown.message
    values_of(offline).add_document({"policies": [{"name": "ctx", "rules": [{"name": "limit", "values": {
        "allowed.data.max": "5"}}]}]})
    [allowed] = run(policies, admission_request(pod()), offline)
    assert allowed.result == "pass"


AUTOGEN = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-team}
spec:
  rules:
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {metadata: {labels: {team: "?*"}}}
  - name: run-as
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      deny:
        conditions:
          any:
          - {key: "{{ request.object.spec.hostNetwork || false }}", operator: Equals, value: true}
"""


def test_autogen_wraps_patterns_and_rewrites_variables_for_controllers() -> None:
    policies = load(AUTOGEN)
    template = pod(team="a")
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default"},
                  "spec": {"template": {"metadata": template["metadata"], "spec": {**template["spec"],
                                                                                  "hostNetwork": True}}}}
    assert verdicts(run(policies, admission_request(deployment))) == [("autogen-team", "pass"),
                                                                      ("autogen-run-as", "fail")]
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "default"},
               "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {}}, "spec": {}}}}}}
    assert verdicts(run(policies, admission_request(cronjob))) == [("autogen-cronjob-team", "fail"),
                                                                   ("autogen-cronjob-run-as", "pass")]


MUTATE = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: defaults}
spec:
  rules:
  - name: label
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge:
        metadata: {labels: {+(team): none}}
  - name: pull-policy
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      foreach:
      - list: request.object.spec.containers
        patchesJson6902: |-
          - op: add
            path: /spec/containers/{{ elementIndex }}/imagePullPolicy
            value: "{{ request.object.metadata.labels.team }}"
  - name: check
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {spec: {containers: [{imagePullPolicy: none}]}}
"""


def test_mutations_apply_in_order_and_validation_sees_the_result() -> None:
    policies = load(MUTATE)
    results = run(policies, admission_request(pod()))
    assert verdicts(results) == [("label", "pass"), ("pull-policy", "pass"), ("check", "pass")]
    patched = results[1].patched
    assert patched is not None and [c["imagePullPolicy"] for c in patched["spec"]["containers"]] == ["none", "none"]
    assert results[0].patched == patched  # every mutation carries the policy's final object
    labelled = run(policies, admission_request(pod(team="x")))
    assert verdicts(labelled)[0] == ("label", "skip") and labelled[2].result == "fail"


EXISTING = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: touch-secrets}
spec:
  rules:
  - name: stamp
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    mutate:
      targets:
      - {apiVersion: v1, kind: Secret, namespace: "{{ request.object.metadata.namespace }}", name: "s-*"}
      patchStrategicMerge:
        metadata: {labels: {from: "{{ request.object.metadata.name }}"}}
"""


def test_mutate_existing_patches_the_targets_the_trigger_selects() -> None:
    [rule] = load(EXISTING).policies
    assert isinstance(rule, CompiledRule)
    trigger = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "a"}}
    secrets = [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}}
               for name, ns in (("s-1", "a"), ("s-2", "b"), ("other", "a"))]
    results = rule.evaluate_targets(admission_request(trigger), secrets, [])
    assert [(r.resource.name, r.result) for r in results] == [("s-1", "pass")]
    patched = results[0].patched
    assert patched is not None and patched["metadata"]["labels"] == {"from": "cm"}


GENERATE = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: netpol}
spec:
  rules:
  - name: default-deny
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      name: default-deny
      namespace: "{{ request.object.metadata.name }}"
      synchronize: true
      data: {spec: {podSelector: {}, policyTypes: [Ingress]}}
  - name: copy-secret
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: v1
      kind: Secret
      name: regcred
      namespace: "{{ request.object.metadata.name }}"
      clone: {namespace: default, name: regcred}
"""


def test_generate_data_and_clone_from_the_resource_provider() -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    source = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "regcred", "namespace": "default",
                                                                  "uid": "1"}, "data": {"k": "dg=="}}
    results = run(load(GENERATE), admission_request(namespace), Providers(resource=OfflineResources([source])))
    assert verdicts(results) == [("default-deny", "pass"), ("copy-secret", "pass")]
    [netpol] = results[0].generated
    assert netpol["metadata"]["namespace"] == "team-a" and netpol["spec"]["policyTypes"] == ["Ingress"]
    [secret] = results[1].generated
    assert secret["metadata"]["namespace"] == "team-a" and "uid" not in secret["metadata"]
    assert run(load(GENERATE), admission_request(namespace))[1].result == "skip"  # no source to clone


EXCEPTION = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-team}
spec:
  rules:
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {metadata: {labels: {team: "?*"}}}
---
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: legacy-apps, namespace: kyverno}
spec:
  exceptions:
  - {policyName: require-team, ruleNames: [team, autogen-team]}
  match:
    any:
    - resources: {kinds: [Pod], namespaces: [legacy]}
  conditions:
    all:
    - {key: "{{ request.object.metadata.name }}", operator: NotEquals, value: strict}
"""


def test_v2_policy_exceptions_skip_matching_rules() -> None:
    policies = load(EXCEPTION)
    [skipped] = run(policies, admission_request(pod(namespace="legacy")))
    assert skipped.result == "skip" and skipped.message.endswith("kyverno/legacy-apps")
    assert run(policies, admission_request(pod("strict", namespace="legacy")))[0].result == "fail"
    assert run(policies, admission_request(pod(namespace="other")))[0].result == "fail"


SUBJECTS = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: scale}
spec:
  rules:
  - name: replicas
    match:
      any:
      - resources: {kinds: [Deployment/scale]}
        subjects: [{kind: User, name: alice}]
    validate:
      pattern: {spec: {replicas: "<=3"}}
"""


def test_subresources_match_by_parent_kind_and_user_info_only_when_given() -> None:
    policies = load(SUBJECTS)
    scale = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web", "namespace": "a"},
             "spec": {"replicas": 5}}
    anonymous = admission_request(scale, plural="deployments", subresource="scale")
    assert verdicts(run(policies, anonymous)) == [("replicas", "fail")]
    bob = admission_request(scale, plural="deployments", subresource="scale", user_info={"username": "bob"})
    assert run(policies, bob) == []
    alice = admission_request(scale, plural="deployments", subresource="scale", user_info={"username": "alice"})
    assert verdicts(run(policies, alice)) == [("replicas", "fail")]


APPLY_ONE = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: first-wins}
spec:
  applyRules: One
  validationFailureAction: Enforce
  rules:
  - name: small
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
      all:
      - {key: "{{ request.object.metadata.labels.size || '' }}", operator: Equals, value: small}
    validate: {pattern: {metadata: {labels: {team: "?*"}}}}
  - name: any
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate: {pattern: {metadata: {labels: {owner: "?*"}}}}
"""


def test_apply_rules_one_stops_after_the_first_rule_that_applied() -> None:
    policies = load(APPLY_ONE)
    assert verdicts(run(policies, admission_request(pod(size="small", team="a")))) == [("small", "pass")]
    assert verdicts(run(policies, admission_request(pod(size="big")))) == [("small", "skip"), ("any", "fail")]


def test_enforce_allows_existing_violations_on_update() -> None:
    policies = load(APPLY_ONE)
    old = pod(size="big")
    new = pod(size="big", other="x")
    [_, kept] = run(policies, admission_request(new, "UPDATE", old_object=old))
    assert kept.result == "skip" and "allowExistingViolations" in kept.message
    [_, new_violation] = run(policies, admission_request(new, "UPDATE", old_object=pod(size="big", owner="o")))
    assert new_violation.result == "fail"


PSS_EXCEPTION = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: psa}
spec:
  rules:
  - name: baseline
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity: {level: baseline, version: latest}
---
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: allow-net-admin, namespace: ops}
spec:
  exceptions:
  - {policyName: psa, ruleNames: [baseline]}
  match:
    any:
    - resources: {kinds: [Pod], namespaces: [ops]}
  podSecurity:
  - {controlName: Capabilities, images: ["nginx*"]}
"""


def test_pod_security_exceptions_exempt_their_controls_only() -> None:
    policies = load(PSS_EXCEPTION)
    net_admin = pod(namespace="ops")
    net_admin["spec"]["containers"][0]["securityContext"] = {"capabilities": {"add": ["NET_ADMIN"]}}
    [exempt] = run(policies, admission_request(net_admin))
    assert exempt.result == "skip" and "ops/allow-net-admin" in exempt.message
    net_admin["spec"]["hostNetwork"] = True
    [still] = run(policies, admission_request(net_admin))
    assert still.result == "fail" and "host namespaces" in still.message
