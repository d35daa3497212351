"""Offline providers built from kyverno-test.yaml inputs, exercised through the CEL libraries."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel import CelEvalError, Providers, using_providers
from pykyverno.engine.cel.offline import (
    OfflineGlobalContext,
    OfflineHttp,
    OfflineImageData,
    OfflineResources,
    RecordingGenerator,
    offline_providers,
    simple_path,
)
from tests.engine.cel.kind_envs import environment_for

CONTEXT = {
    "apiVersion": "cli.kyverno.io/v1alpha1",
    "kind": "Context",
    "spec": {
        "resources": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "policy-cm", "namespace": "default"},
             "data": {"name": "good-pod"}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s2", "namespace": "default",
                                                               "labels": {"app": "b"}}, "data": {"k": "dg=="}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1", "namespace": "default",
                                                               "labels": {"app": "a"}}, "data": {"k": "dg=="}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "other", "namespace": "prod"}},
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
            {"apiVersion": "cloud.google.com/v1", "kind": "ComputeClass", "metadata": {"name": "spot"},
             "spec": {"priorities": [{"spot": True}]}},
        ],
        "images": [
            {"image": "nginx:1.21", "config": {"architecture": "amd64"}},
            {"image": "ghcr.io/kyverno/test-busybox:1.35", "config": {"Volumes": []}},
        ],
    },
}
API_CALLS = [
    {"url": "https://api.example.com/v1/items", "method": "GET",
     "response": {"statusCode": 200, "body": {"count": 3, "items": ["a", "b", "c"]}}},
    {"urlPath": "/v1/check", "method": "POST", "response": {"statusCode": 200, "body": '{"allowed": true}'}},
]
GLOBAL_CONTEXT: list[dict[str, Any]] = [
    {"name": "gctxentry-deployments", "data": {"deployments": [{"name": "d1"}, {"name": "d2"}]},
     "projections": [{"name": "items", "path": "deployments"}, {"name": "names", "path": "deployments[*].name"}]},
    {"name": "inline", "resources": [{"kind": "Deployment", "metadata": {"name": "x"}},
                                     {"kind": "Deployment", "metadata": {"name": "y"}}]},
]


@pytest.fixture
def providers() -> Providers:
    return offline_providers(CONTEXT, api_call_responses=API_CALLS, global_context_entries=GLOBAL_CONTEXT)


def run(kind: str, expression: str, providers: Providers, data: dict[str, Any] | None = None) -> Any:
    program = environment_for(kind).compile(expression)
    with using_providers(providers):
        return program.evaluate(data or {})


# --- resource.* ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("resource.Get('v1', 'configmaps', 'default', 'policy-cm').data.name", "good-pod"),
        ("resource.get('v1', 'configmaps', 'default', 'policy-cm').kind", "ConfigMap"),
        ("resource.Get(resource.ToGVR('v1', 'configmaps'), 'default', 'policy-cm').metadata.name", "policy-cm"),
        ("resource.Get('v1', 'namespaces', '', 'prod').kind", "Namespace"),
        ("resource.Get('apps/v1', 'deployments', 'default', 'web').metadata.name", "web"),
        ("resource.get('cloud.google.com/v1', 'computeclasses', '', 'spot').spec.priorities[0].spot", True),
        ("type(resource.get('v1', 'configmaps', 'default', 'policy-cm')) != type(null)", True),
        ("resource.List('v1', 'secrets', 'default').items.map(s, s.metadata.name)", ["s1", "s2"]),
        ("resource.List('v1', 'secrets', 'default').kind", "SecretList"),
        ("resource.list('v1', 'secrets', '').items.size()", 3),
        ("resource.List('v1', 'secrets', 'default', {'app': 'b'}).items[0].metadata.name", "s2"),
        ("resource.List(resource.ToGVR('v1', 'secrets'), 'prod').items.size()", 1),
        ("resource.List('v1', 'configmaps', 'prod').items", []),
        ("resource.Post('v1', 'configmaps', 'prod', {'metadata': {'name': 'new'}}).metadata.namespace", "prod"),
    ],
    ids=["get", "get-camel", "get-gvr", "get-cluster-scoped", "get-default-namespace", "get-custom-kind",
         "get-not-null", "list-sorted", "list-kind", "list-all-namespaces", "list-labels", "list-gvr", "list-empty",
         "post"],
)
def test_resource_library(providers: Providers, expression: str, expected: Any) -> None:
    assert run("vpol", expression, providers) == expected


def test_resource_missing_object_is_an_error(providers: Providers) -> None:
    with pytest.raises(CelEvalError, match='failed to get resource: configmaps "absent" not found'):
        run("vpol", "resource.Get('v1', 'configmaps', 'default', 'absent')", providers)


def test_resource_missing_object_wrong_namespace(providers: Providers) -> None:
    with pytest.raises(CelEvalError, match="not found"):
        run("vpol", "resource.Get('v1', 'configmaps', 'prod', 'policy-cm')", providers)


def test_resource_missing_error_absorbed_by_or(providers: Providers) -> None:
    assert run("vpol", "resource.Get('v1', 'configmaps', 'x', 'absent').data.a == 'b' || true", providers) is True


def test_resource_dpol_with_resource_variable(providers: Providers) -> None:
    expression = "resource.get('v1', 'configmaps', 'default', 'policy-cm').data.name + string(resource.x)"
    assert run("dpol", expression, providers, {"resource": {"x": 1}}) == "good-pod1"


def test_namespaced_policy_pins_namespace() -> None:
    providers = offline_providers(CONTEXT, policy_namespace="prod")
    assert run("vpol", "resource.Get('v1', 'secrets', 'other').metadata.namespace", providers) == "prod"
    assert run("vpol", "resource.List('v1', 'secrets').items.size()", providers) == 1


def test_post_is_recorded(providers: Providers) -> None:
    run("mpol", "resource.post('v1', 'configmaps', {'metadata': {'name': 'n', 'namespace': 'z'}})", providers)
    assert isinstance(providers.resource, OfflineResources)
    assert providers.resource.posted == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "n", "namespace": "z"}}
    ]


def test_resource_without_provider_error() -> None:
    with pytest.raises(CelEvalError, match="no resource provider is configured"):
        run("vpol", "resource.List('v1', 'pods', 'default')", Providers())


def test_crd_teaches_plural() -> None:
    crd = {"kind": "CustomResourceDefinition", "spec": {
        "group": "example.com", "scope": "Namespaced", "names": {"kind": "Mouse", "plural": "mice"},
        "versions": [{"name": "v1"}]}}
    store = OfflineResources([{"apiVersion": "example.com/v1", "kind": "Mouse",
                               "metadata": {"name": "m", "namespace": "ns"}}], [crd])
    assert store.get("example.com/v1", "mice", "ns", "m")["kind"] == "Mouse"
    assert store.list("example.com/v1", "mice", "")["kind"] == "MouseList"


def test_namespaced_object_without_namespace_lives_in_default() -> None:
    store = OfflineResources([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}])
    assert store.get("v1", "pods", "default", "p")["metadata"]["name"] == "p"
    with pytest.raises(LookupError):
        store.get("v1", "pods", "other", "p")


def test_list_objects_are_expanded() -> None:
    store = OfflineResources([{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}}]}])
    assert store.get("v1", "configmaps", "n", "a")["metadata"]["name"] == "a"


def test_returned_objects_are_copies(providers: Providers) -> None:
    assert isinstance(providers.resource, OfflineResources)
    first = providers.resource.get("v1", "configmaps", "default", "policy-cm")
    first["data"]["name"] = "changed"
    assert providers.resource.get("v1", "configmaps", "default", "policy-cm")["data"]["name"] == "good-pod"


# --- image.GetMetadata --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("image.GetMetadata('nginx:1.21').config.architecture", "amd64"),
        ("image.getMetadata('nginx:1.21').config.architecture", "amd64"),
        ("image.GetMetadata('docker.io/library/nginx:1.21').config.architecture", "amd64"),
        ("image.GetMetadata('ghcr.io/kyverno/test-busybox:1.35').config.?Volumes.orValue([1]).size()", 0),
        ("image.GetMetadata('nginx:1.21').registry", "index.docker.io"),
        ("has(image.GetMetadata('nginx:1.21').config.Volumes)", False),
    ],
    ids=["exact", "camel", "normalized-match", "volumes", "registry-filled", "has-absent-field"],
)
def test_image_data(providers: Providers, expression: str, expected: Any) -> None:
    assert run("vpol", expression, providers) == expected


def test_image_data_unknown_image(providers: Providers) -> None:
    with pytest.raises(CelEvalError, match="failed to get image data for busybox:9"):
        run("ivpol", "image.GetMetadata('busybox:9')", providers)


def test_image_data_without_provider() -> None:
    with pytest.raises(CelEvalError, match="no image data provider"):
        run("vpol", "image.GetMetadata('nginx')", Providers())


def test_image_data_entry_requires_image() -> None:
    with pytest.raises(ValueError, match="without 'image'"):
        OfflineImageData([{"config": {}}])


# --- http.* -------------------------------------------------------------------------------------------------------

def test_http_get_returns_body_with_go_numbers(providers: Providers) -> None:
    assert run("vpol", "http.Get('https://api.example.com/v1/items')", providers) == {
        "count": 3.0, "items": ["a", "b", "c"]}
    assert run("vpol", "http.get('https://api.example.com/v1/items').count == 3", providers) is True


def test_http_post_matches_url_path_and_decodes_json_text(providers: Providers) -> None:
    assert run("vpol", "http.Post('https://other.host/v1/check', {'a': 1}).allowed", providers) is True
    assert isinstance(providers.http, OfflineHttp)
    assert providers.http.requests[-1] == {"method": "POST", "url": "https://other.host/v1/check",
                                           "body": {"a": 1}, "headers": {}}


def test_http_headers_and_client(providers: Providers) -> None:
    expression = "http.Client('CA').Get('https://api.example.com/v1/items', {'X-Token': 't'}).items[1]"
    assert run("vpol", expression, providers) == "b"
    assert isinstance(providers.http, OfflineHttp)
    assert providers.http.requests[-1]["headers"] == {"X-Token": "t"}


def test_http_method_must_match(providers: Providers) -> None:
    with pytest.raises(CelEvalError, match="no apiCallResponses entry for POST"):
        run("vpol", "http.Post('https://api.example.com/v1/items', {})", providers)


def test_http_without_provider() -> None:
    with pytest.raises(CelEvalError, match="no http provider"):
        run("vpol", "http.Get('https://x')", Providers())


# --- globalContext.Get --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("size(globalContext.Get('gctxentry-deployments', '').items)", 2),
        ("globalContext.Get('gctxentry-deployments', '').deployments[0].name", "d1"),
        ("globalContext.Get('gctxentry-deployments', 'items')[1].name", "d2"),
        ("globalContext.get('gctxentry-deployments', 'names')", ["d1", "d2"]),
        ("size(globalContext.Get('inline', ''))", 2),
        ("globalContext.Get('inline')[1].metadata.name", "y"),
    ],
    ids=["projection-merged", "raw-data", "projection", "projection-wildcard", "resources", "one-arg"],
)
def test_global_context(providers: Providers, expression: str, expected: Any) -> None:
    assert run("vpol", expression, providers) == expected


def test_global_context_unknown_entry(providers: Providers) -> None:
    with pytest.raises(CelEvalError, match="global context entry 'nope' not found"):
        run("vpol", "globalContext.Get('nope', '')", providers)


def test_global_context_unknown_projection(providers: Providers) -> None:
    with pytest.raises(CelEvalError, match="projection 'x' not found"):
        run("vpol", "globalContext.Get('inline', 'x')", providers)


def test_global_context_without_provider() -> None:
    with pytest.raises(CelEvalError, match="no global context provider"):
        run("vpol", "globalContext.Get('e', '')", Providers())


def test_global_context_field_path_and_custom_evaluator() -> None:
    entries = [{"name": "e", "data": {"a": {"b": [1, 2]}}, "fieldPath": "a.b"}]
    assert OfflineGlobalContext(entries).get("e") == [1, 2]
    custom = OfflineGlobalContext([{"name": "e", "data": [1, 2, 3],
                                    "projections": [{"name": "n", "path": "length(@)"}]}],
                                  path_evaluator=lambda path, data: len(data))
    assert custom.get("e", "n") == 3


@pytest.mark.parametrize(
    ("path", "data", "expected"),
    [
        ("@", {"a": 1}, {"a": 1}),
        ("a.b", {"a": {"b": 2}}, 2),
        ("a[1]", {"a": [1, 2]}, 2),
        ("a[-1]", {"a": [1, 2, 3]}, 3),
        ("a[*].n", {"a": [{"n": 1}, {"m": 2}, {"n": 3}]}, [1, 3]),
        ('"x-y".z', {"x-y": {"z": True}}, True),
        ("missing.deeper", {"a": 1}, None),
    ],
    ids=["self", "fields", "index", "negative-index", "projection", "quoted", "missing"],
)
def test_simple_path(path: str, data: Any, expected: Any) -> None:
    assert simple_path(path, data) == expected


def test_simple_path_rejects_unsupported_syntax() -> None:
    with pytest.raises(ValueError, match="unsupported path syntax"):
        simple_path("length(@)", [1])


# --- generator.Apply ----------------------------------------------------------------------------------------------

def test_generator_records_objects_in_namespace(providers: Providers) -> None:
    expression = "generator.apply('prod', [{'apiVersion': 'v1', 'kind': 'ConfigMap', " \
                 "'metadata': {'name': 'c', 'resourceVersion': '7'}}])"
    assert run("gpol", expression, providers) is True
    assert isinstance(providers.generator, RecordingGenerator)
    assert providers.generator.generated == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "prod"}}]
    assert providers.generator.calls[0][0] == "prod"


def test_generator_expands_list_objects_cloned_from_resource_list(providers: Providers) -> None:
    expression = "generator.Apply('staging', [resource.List('v1', 'secrets', 'default')])"
    assert run("gpol", expression, providers) is True
    assert isinstance(providers.generator, RecordingGenerator)
    assert [(o["metadata"]["name"], o["metadata"]["namespace"]) for o in providers.generator.generated] == [
        ("s1", "staging"), ("s2", "staging")]


def test_generator_cluster_scoped_keeps_no_namespace() -> None:
    sink = RecordingGenerator()
    sink.apply("", [{"kind": "ClusterRoleBinding", "metadata": {"name": "b"}}])
    assert sink.generated == [{"kind": "ClusterRoleBinding", "metadata": {"name": "b"}}]


def test_generator_without_sink() -> None:
    with pytest.raises(CelEvalError, match="no generator sink"):
        run("gpol", "generator.Apply('ns', [])", Providers())


def test_providers_are_scoped_to_the_with_block(providers: Providers) -> None:
    program = environment_for("vpol").compile("resource.Get('v1', 'configmaps', 'default', 'policy-cm').data.name")
    with using_providers(providers):
        assert program.evaluate({}) == "good-pod"
    with pytest.raises(CelEvalError, match="no resource provider"):
        program.evaluate({})
