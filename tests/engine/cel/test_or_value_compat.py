"""Kyverno's ``orValue`` compatibility, on every receiver cel-go accepts.

Kyverno compiles its CEL policies with a compat macro over ``x.orValue(y)`` that keeps cel-go v0.27's behaviour: an
optional gives its value (or ``y`` when empty, ``y`` evaluated only then); any other value gives itself; an error stays
an error. cel-cpp only has ``optional.orValue``: the front end picks the native call, the receiver, or a form decided
at run time, whatever the receiver is -- field chains, library results (resource, http, globalContext, json/yaml,
image data), variables, ``cel.bind`` names, comprehension variables, literals.
"""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel import CelEvalError, Providers, environment_for, using_providers
from pykyverno.engine.cel.frontend import prepare
from pykyverno.engine.common.expressions import CompiledVariables, Compiler, Scope
from pykyverno.engine.common.model import NamedExpression


class Resources:
    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        return {"apiVersion": api_version, "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}}

    def list(self, api_version: str, resource: str, namespace: str,
             labels: dict[str, str] | None = None) -> dict[str, Any]:
        items = [{"metadata": {"name": "hpa-1"}, "spec": {"minReplicas": 2}}] if namespace == "busy" else []
        return {"apiVersion": api_version, "kind": "HorizontalPodAutoscalerList", "items": items}

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        return obj


class Http:
    def request(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return {"allowed": True, "tags": ["a", "b"], "nothing": None}


class Entries:
    def get(self, entry: str, projection: str = "") -> Any:
        return {"replicas": 3} if not projection else 3


class Images:
    def get_metadata(self, image: str) -> dict[str, Any]:
        return {"config": {"User": "1000"}, "manifest": {"layers": [1, 2]}}


PROVIDERS = Providers(resource=Resources(), http=Http(), global_context=Entries(), image_data=Images())
POD = {"metadata": {"name": "p", "namespace": "busy", "labels": {"app": "a"}, "annotations": None},
       "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}}

# (expression, expected) -- evaluated against POD with PROVIDERS, in a ValidatingPolicy environment.
CASES: list[tuple[str, Any]] = [
    # the example: a list returned by resource.List
    ("resource.List('autoscaling/v1', 'horizontalpodautoscalers', object.metadata.namespace).items.orValue([])",
     [{"metadata": {"name": "hpa-1"}, "spec": {"minReplicas": 2}}]),
    ("size(resource.List('autoscaling/v1', 'horizontalpodautoscalers', 'quiet').items.orValue([1])) == 0", True),
    ("resource.Get('v1', 'configmaps', 'ns', 'cm').data.orValue({})", {"k": "v"}),
    ("http.Get('https://svc.example/check').tags.orValue([])", ["a", "b"]),
    ("http.Get('https://svc.example/check').nothing.orValue('x')", None),
    ("http.Get('https://svc.example/check').orValue({}).allowed", True),
    ("globalContext.Get('deployments', '').replicas.orValue(0)", 3),
    ("globalContext.Get('deployments', 'count').orValue(0)", 3),
    ("json.unmarshal('{\"a\": [1]}').a.orValue([])", [1]),
    ("yaml.parse('a: {b: c}').a.orValue({})", {"b": "c"}),
    ("image.GetMetadata('nginx').config.User.orValue('0')", "1000"),
    ("parseImageReference('nginx').registry().orValue('')", "index.docker.io"),
    # optionals from library results keep cel-go's optional semantics
    ("json.unmarshal('{\"a\": 1}').?b.orValue(7)", 7),
    ("resource.Get('v1', 'configmaps', 'ns', 'cm').?data.?missing.orValue('d')", "d"),
    # plain values and literals: the value itself
    ("object.metadata.labels.orValue({})", {"app": "a"}),
    ("object.metadata.annotations.orValue({'x': 'y'})", None),
    ("'abc'.orValue('x')", "abc"),
    ("[1, 2].orValue([])", [1, 2]),
    ("{'a': 1}.orValue({})", {"a": 1}),
    ("(1 + 2).orValue(0)", 3),
    ("object.spec.containers.map(c, c.name).orValue([])", ["c"]),
    # optionals, statically and at run time
    ("object.metadata.?labels.?team.orValue('none')", "none"),
    ("optional.of('x').orValue('y')", "x"),
    ("optional.none().orValue('y')", "y"),
    ("dyn(optional.of(1)).orValue(2)", 1),
    ("[optional.of(1), optional.none()].map(o, o.orValue(0))", [1, 0]),
    ("[{'p': optional.none()}].all(m, m.p.orValue(true))", True),
    ("cel.bind(o, object.?spec.?hostPID, o.orValue(false))", False),
    ("cel.bind(l, object.metadata.labels, l.orValue({}))", {"app": "a"}),
    ("cel.bind(r, resource.List('v1', 'pods', 'busy'), r.items.orValue([]).size())", 1),
    ("object.spec.containers.all(c, c.ports.orValue([]).all(p, p.containerPort > 0))", True),
    # the default is evaluated only when needed
    ("object.?spec.orValue(object.missing) != null", True),
    ("dyn(optional.of(1)).orValue(object.missing)", 1),
]

ERRORS: list[tuple[str, str]] = [
    # an error receiver stays an error, whatever the default
    ("object.missing.orValue(1)", "no such key: missing"),
    ("resource.Get('v1', 'configmaps', 'ns', 'cm').missing.orValue(1)", "no such key: missing"),
    ("cel.bind(x, object.missing, x.orValue(1))", "no such key: missing"),
    ("object.?missing.orValue(object.other)", "no such key: other"),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_or_value_on_every_receiver(source: str, expected: Any) -> None:
    program = environment_for("vpol").compile(source)
    with using_providers(PROVIDERS):
        assert program.evaluate({"object": POD}) == expected


@pytest.mark.parametrize(("source", "message"), ERRORS)
def test_errors_stay_errors(source: str, message: str) -> None:
    program = environment_for("vpol").compile(source)
    with using_providers(PROVIDERS), pytest.raises(CelEvalError, match=message):
        program.evaluate({"object": POD})


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("object.?spec.?hostPID", None),  # an optional variable
        ("object.metadata.labels", {"app": "a"}),  # a plain one
        ("resource.List('v1', 'pods', 'busy').items", [{"metadata": {"name": "hpa-1"}, "spec": {"minReplicas": 2}}]),
    ],
)
def test_or_value_on_policy_variables(expression: str, value: Any) -> None:
    env = environment_for("vpol")
    compiler = Compiler(env)
    variables = CompiledVariables.compile(
        compiler, [NamedExpression(name="v", expression=expression)], "spec.variables"
    )
    program = compiler.compile_bound("variables.v.orValue('default')", "spec.validations[0].expression", variables)
    assert program is not None and not compiler.errors
    with using_providers(PROVIDERS):
        result = Scope(env, {"object": POD}, variables).evaluate(program)
    assert result == ("default" if value is None else value)


def test_receivers_that_are_certainly_data_or_optional_need_no_runtime_check() -> None:
    assert prepare("object.metadata.labels.orValue({})") == "object.metadata.labels"
    assert prepare("resource.List('v1', 'pods', 'ns').items.orValue([])") == "resource.List('v1', 'pods', 'ns').items"
    native = "object.spec.?replicas.orValue(1)"
    assert "orValue(1)" in prepare(native) and "type(" not in prepare(native)
    assert "optional_type" in prepare("variables.v.orValue(1)")
