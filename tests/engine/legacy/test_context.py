"""The JSON context and rule ``context`` entries (spec sections 4.2-4.4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pykyverno.engine.cpol.context import (
    ApiCallRequest,
    ContextLoadError,
    ContextSources,
    JsonContext,
    extract_images,
    load_context_entries,
    request_context,
    service_account,
    split_name,
)
from pykyverno.engine.cpol.variables import substitute_all
from pykyverno.engine.jmespath import NotFoundError
from pykyverno.engine.request import AdmissionContext

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "team-a"},
    "spec": {
        "template": {
            "spec": {
                "initContainers": [{"name": "init", "image": "busybox"}],
                "containers": [
                    {"name": "app", "image": "ghcr.io/org/app:v2"},
                    {"name": "sidecar", "image": "registry.local:5000/proxy@sha256:" + "c" * 64},
                    {"name": "broken", "image": "Not An Image"},
                ],
            }
        }
    },
}


def test_request_context_is_what_the_cli_builds() -> None:
    ctx = request_context(AdmissionContext(object=copy.deepcopy(DEPLOYMENT)))
    request = ctx.data["request"]
    assert request["operation"] == "CREATE" and request["namespace"] == "team-a"
    assert request["object"]["metadata"]["name"] == "web"
    assert "oldObject" not in request and "userInfo" not in request
    assert "serviceAccountName" not in ctx.data
    with pytest.raises(NotFoundError):
        ctx.query("request.userInfo.username")


def test_request_context_with_user_information() -> None:
    admission = AdmissionContext(object={"kind": "Pod", "metadata": {"name": "p"}},
                                 user_info={"username": "system:serviceaccount:ns1:builder", "groups": ["g"]},
                                 roles=("ns1:role",), cluster_roles=("admin",))
    ctx = request_context(admission)
    assert ctx.query("serviceAccountName") == "builder"
    assert ctx.query("serviceAccountNamespace") == "ns1"
    assert ctx.query("request.userInfo.groups") == ["g"]
    assert ctx.query("request.roles") == ["ns1:role"] and ctx.query("request.clusterRoles") == ["admin"]


def test_full_admission_request() -> None:
    ctx = request_context(AdmissionContext(operation="UPDATE", object={"kind": "Pod", "metadata": {"name": "p"}},
                                           old_object={"kind": "Pod", "metadata": {"name": "p"}}),
                          full_request=True)
    assert ctx.query("request.kind.kind") == "Pod"
    assert ctx.query("request.oldObject.metadata.name") == "p"
    assert ctx.query("request.dryRun") is False


@pytest.mark.parametrize(
    ("name", "parts"),
    [("a", ["a"]), ("a.b.c", ["a", "b", "c"]), ('a."b.c".d', ["a", "b.c", "d"]), ('a."q\\"x"', ["a", 'q"x'])],
)
def test_split_name(name: str, parts: list[str]) -> None:
    assert split_name(name) == parts


@pytest.mark.parametrize(
    ("username", "expected"),
    [("system:serviceaccount:ns:name", ("name", "ns")), ("alice", ("", "")), ("system:serviceaccount:ns", ("", ""))],
)
def test_service_account(username: str, expected: tuple[str, str]) -> None:
    assert service_account(username) == expected


def test_images_of_pod_controllers() -> None:
    images, errors = extract_images(DEPLOYMENT)
    assert images["initContainers"]["init"] == {
        "registry": "docker.io", "name": "busybox", "path": "busybox", "tag": "latest",
        "reference": "docker.io/busybox:latest", "referenceWithTag": "docker.io/busybox:latest",
        "jsonPointer": "/spec/template/spec/initContainers/0/image",
    }
    assert images["containers"]["app"]["registry"] == "ghcr.io"
    sidecar = images["containers"]["sidecar"]
    assert sidecar["digest"] == "sha256:" + "c" * 64 and "tag" not in sidecar
    assert "broken" not in images["containers"] and len(errors) == 1 and "Not An Image" in errors[0]
    cronjob = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "nginx:1"}]}}}}}}
    assert extract_images(cronjob)[0]["containers"]["c"]["jsonPointer"] == (
        "/spec/jobTemplate/spec/template/spec/containers/0/image")
    pod = {"kind": "Pod", "spec": {"ephemeralContainers": [{"name": "debug", "image": "busybox:1.36"}]}}
    assert extract_images(pod)[0]["ephemeralContainers"]["debug"]["tag"] == "1.36"
    assert extract_images({"kind": "ConfigMap", "data": {}}) == ({}, [])


def test_images_variable_in_the_context() -> None:
    ctx = request_context(AdmissionContext(object=copy.deepcopy(DEPLOYMENT)))
    assert ctx.query("images.containers.app.tag") == "v2"
    assert ctx.query("images.containers.*.registry | sort(@)") == ["ghcr.io", "registry.local:5000"]
    assert "images" not in request_context(AdmissionContext(object={"kind": "Secret", "metadata": {}})).data


def test_dotted_names_checkpoints_and_elements_never_touch_the_resource() -> None:
    resource = copy.deepcopy(DEPLOYMENT)
    ctx = request_context(AdmissionContext(object=resource))
    ctx.checkpoint()
    ctx.set("request.object.metadata.name", "renamed")
    ctx.set_all({"dictionary.data.env": "prod", "dictionary.data.tier": "web",
                 'request.object.metadata.annotations."example.com/team"': "a"})
    ctx.add_element({"name": "x"}, 3, depth=1)
    assert ctx.query("request.object.metadata.name") == "renamed"
    assert ctx.query("request.object.metadata.namespace") == "team-a"
    assert ctx.query("dictionary.data") == {"env": "prod", "tier": "web"}
    assert ctx.query('request.object.metadata.annotations."example.com/team"') == "a"
    assert ctx.query("[element.name, element1.name, elementIndex, elementIndex1]") == ["x", "x", 3, 3]
    assert resource == DEPLOYMENT
    ctx.reset()
    assert ctx.query("request.object.metadata.name") == "web"
    ctx.set("a", 1)
    ctx.restore()
    with pytest.raises(NotFoundError):
        ctx.query("a")


class _Sources:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        self.calls.append(("configmap", namespace, name))
        if name != "settings":
            raise LookupError(f'configmaps "{name}" not found')
        return {"metadata": {"name": name, "namespace": namespace}, "data": {"allowed": '["a","b"]', "env": "prod"}}

    def call(self, request: ApiCallRequest) -> Any:
        self.calls.append(("api", request))
        if request.url_path.startswith("/api/v1/namespaces/team-a/pods"):
            return {"items": [{"metadata": {"name": "p1"}}, {"metadata": {"name": "p2"}}]}
        raise LookupError("no response recorded")


class _Global:
    def get(self, entry: str, projection: str = "") -> Any:
        if entry == "deployments":
            return [{"name": "d1"}, {"name": "d2"}]
        raise LookupError(entry)


def _load(entries: list[dict[str, Any]], sources: ContextSources, lazy: bool = True) -> JsonContext:
    ctx = request_context(AdmissionContext(object=copy.deepcopy(DEPLOYMENT)))
    load_context_entries(entries, ctx, substitute_all, sources, lazy=lazy)
    return ctx


def test_variable_entries() -> None:
    entries = [
        {"name": "replicas", "variable": {"value": 3}},
        {"name": "names", "variable": {"jmesPath": "request.object.spec.template.spec.containers[].name"}},
        {"name": "first", "variable": {"value": "{{ names }}", "jmesPath": "[0]"}},
        {"name": "missing", "variable": {"jmesPath": "request.object.spec.nope", "default": "fallback"}},
        {"name": "nulled", "variable": {"jmesPath": "request.object.metadata.labels || `null`", "default": 7}},
        {"name": "templated", "variable": {"value": {"who": "{{ request.object.metadata.name }}"}}},
        {"name": "dotted.name", "variable": {"value": "x"}},
    ]
    ctx = _load(entries, ContextSources())
    assert ctx.query("replicas") == 3
    assert ctx.query("first") == "app"
    assert ctx.query("missing") == "fallback"
    assert ctx.query("nulled") == 7
    assert ctx.query("templated") == {"who": "web"}
    assert ctx.query("dotted.name") == "x"


def test_variable_entry_errors_only_when_used() -> None:
    ctx = _load([{"name": "broken", "variable": {"jmesPath": "request.object.spec.nope"}},
                 {"name": "fine", "variable": {"value": 1}}], ContextSources())
    assert ctx.query("fine") == 1
    with pytest.raises(ContextLoadError, match=r"jmespath request\.object\.spec\.nope to variable broken"):
        ctx.query("broken")
    with pytest.raises(ContextLoadError, match="evaluated to nil"):
        _load([{"name": "n", "variable": {"value": None}}], ContextSources(), lazy=False)


def test_later_entries_see_earlier_ones_and_values_override() -> None:
    entries = [{"name": "a", "variable": {"value": 2}}, {"name": "b", "variable": {"value": "{{ add(a, `1`) }}"}}]
    assert _load(entries, ContextSources()).query("b") == 3.0
    ctx = _load(entries, ContextSources(overridden=frozenset({"a"})))
    ctx.set("a", 10)
    assert ctx.query("b") == 11.0


def test_config_map_entries() -> None:
    sources = _Sources()
    entries = [{"name": "cm", "configMap": {"name": "settings", "namespace": "{{ request.namespace }}"}},
               {"name": "absent", "configMap": {"name": "nope"}}]
    ctx = _load(entries, ContextSources(config_maps=sources))
    assert ctx.query("cm.data.env") == "prod"
    assert ctx.query("cm.data.allowed | parse_json(@)") == ["a", "b"]
    assert ctx.query("cm.metadata.namespace") == "team-a"
    with pytest.raises(ContextLoadError, match="failed to get configmap default/nope"):
        ctx.query("absent.data")
    assert sources.calls == [("configmap", "team-a", "settings"), ("configmap", "default", "nope")]


def test_api_call_entries() -> None:
    sources = _Sources()
    entries = [
        {"name": "pods", "apiCall": {"urlPath": "/api/v1/namespaces/{{ request.namespace }}/pods",
                                     "jmesPath": "items[].metadata.name"}},
        {"name": "count", "apiCall": {"urlPath": "/api/v1/namespaces/team-a/pods", "jmesPath": "length(items)"}},
        {"name": "fallback", "apiCall": {"urlPath": "/apis/x", "default": {"items": []}, "jmesPath": "items"}},
        {"name": "svc", "apiCall": {
            "method": "POST", "data": [{"key": "image", "value": "{{ images.containers.app.reference }}"}],
            "service": {"url": "https://checker.local/check", "headers": [{"key": "X-Token", "value": "t"}]}}},
    ]
    ctx = _load(entries, ContextSources(api_calls=sources))
    assert ctx.query("pods") == ["p1", "p2"]
    assert ctx.query("count") == 2
    assert ctx.query("fallback") == []
    with pytest.raises(ContextLoadError, match=r"https://checker\.local/check"):
        ctx.query("svc")
    request = sources.calls[-1][1]
    assert request.method == "POST" and request.data == {"image": "ghcr.io/org/app:v2"}
    assert request.headers == (("X-Token", "t"),)


def test_global_reference_and_image_registry_entries() -> None:
    ctx = _load([{"name": "deps", "globalReference": {"name": "deployments", "jmesPath": "[].name"}},
                 {"name": "nope", "globalReference": {"name": "unknown"}},
                 {"name": "img", "imageRegistry": {"reference": "ghcr.io/org/app:v2", "jmesPath": "configData"}}],
                ContextSources(global_context=_Global()))
    assert ctx.query("deps") == ["d1", "d2"]
    with pytest.raises(ContextLoadError, match="key=unknown"):
        ctx.query("nope")
    with pytest.raises(ContextLoadError, match=r"registry ghcr\.io cannot be reached offline"):
        ctx.query("img.config")


def test_missing_providers() -> None:
    entries = [{"name": "cm", "configMap": {"name": "x"}}]
    ctx = _load(entries, ContextSources())
    with pytest.raises(ContextLoadError, match="no source answers configMap entries"):
        ctx.query("cm")
    # Kyverno's CLI leaves such entries undefined instead
    ctx = _load(entries, ContextSources(skip_unavailable=True))
    with pytest.raises(NotFoundError, match='Unknown key "cm"'):
        ctx.query("cm")
    with pytest.raises(ContextLoadError, match="unknown type"):
        _load([{"name": "x", "somethingElse": {}}], ContextSources())
    with pytest.raises(ContextLoadError, match="without a name"):
        _load([{"variable": {"value": 1}}], ContextSources())


def test_lazy_entries_load_in_order_and_restore_with_checkpoints() -> None:
    loads: list[str] = []
    ctx = JsonContext({})

    def loader(name: str, value: int) -> Any:
        def load() -> None:
            loads.append(name)
            ctx.set(name, value)

        return load

    ctx.defer("alpha", loader("alpha", 1))
    ctx.defer("alpha-beta", loader("alpha-beta", 2))
    ctx.checkpoint()
    assert ctx.query('"alpha-beta"') == 2
    assert loads == ["alpha-beta"]
    assert ctx.query("alpha") == 1
    ctx.reset()
    with pytest.raises(NotFoundError):
        ctx.query("other")
    assert ctx.query("alpha") == 1 and loads == ["alpha-beta", "alpha", "alpha"]
