"""``{{ }}`` substitution and ``$( )`` references (spec section 4.1, Kyverno's vars.go)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pykyverno.engine.cpol.context import JsonContext, request_context
from pykyverno.engine.cpol.variables import (
    MAX_TEXT,
    SubstitutionError,
    UnresolvedReferenceError,
    empty_on_error_resolver,
    has_variables,
    pointer_to_jmespath,
    substitute_all,
    substitute_references,
    substitute_variables,
)
from pykyverno.engine.jmespath import JMESPathError, NotFoundError
from pykyverno.engine.request import AdmissionContext

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "team-a", "labels": {"app": "nginx"}},
    "spec": {"containers": [{"name": "main", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]},
}


@pytest.fixture
def ctx() -> JsonContext:
    context = request_context(AdmissionContext(object=copy.deepcopy(POD)))
    context.set_all({"one": 1, "two": 2.0, "text": "a{{b", "nested": "{{ one }}", "obj": {"k": "v"}})
    return context


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a whole-string variable keeps the JSON type
        ("{{ request.object.metadata.name }}", "web"),
        ("{{request.object.metadata.labels}}", {"app": "nginx"}),
        ("{{ request.object.spec.containers[0].ports[0].containerPort }}", 80),
        ("{{ one }}", 1),
        ("{{ `true` }}", True),
        ("{{ `null` }}", None),
        # embedded variables are stringified (compact Go JSON for non-strings, integral floats without .0)
        ("name={{ request.object.metadata.name }}", "name=web"),
        ("labels={{ request.object.metadata.labels }}", 'labels={"app":"nginx"}'),
        ("n={{ two }}", "n=2"),
        ("{{ one }}{{ two }}", "12"),
        ("{{ one }}-{{ `null` }}", "1-null"),
        # inner variables resolve first
        ("{{ add('{{ one }}', '{{ two }}') }}", "3"),  # '1' and '2' are quantities: the sum is the quantity "3"
        ("{{ add(`{{ one }}`, `{{ two }}`) }}", 3.0),
        # a substituted value containing a variable is substituted again when embedded
        ("x {{ nested }}", "x 1"),
        # ...but not when shallow
        ("x {{- nested }}", "x {{ one }}"),
        # escapes stay, without the backslash
        ("\\{{ request.object.metadata.name }}", "{{ request.object.metadata.name }}"),
        ("a \\{{ x }} {{ one }}", "a {{ x }} 1"),
        # JMESPath literals with braces inside the variable
        ("{{ request.object.metadata.annotations || `{}` }}", {}),
        ("{{ merge(`{}`, obj) }}", {"k": "v"}),
        ("no variables here", "no variables here"),
    ],
)
def test_substitute_string(ctx: JsonContext, text: str, expected: Any) -> None:
    result = substitute_variables(text, ctx)
    assert result == expected and type(result) is type(expected)


def test_missing_keys_are_errors_not_empty_values(ctx: JsonContext) -> None:
    with pytest.raises(NotFoundError, match='Unknown key "team" in path'):
        substitute_variables("{{ request.object.metadata.labels.team }}", ctx)
    with pytest.raises(NotFoundError):
        substitute_variables("prefix-{{ undefinedVariable }}", ctx)
    assert substitute_variables("{{ request.object.metadata.labels.team || 'none' }}", ctx) == "none"


def test_other_failures_name_the_variable_and_path(ctx: JsonContext) -> None:
    with pytest.raises(SubstitutionError, match=r"failed to resolve to_upper\(`1`\) at path /spec/x"):
        substitute_all({"spec": {"x": "{{ to_upper(`1`) }}"}}, ctx)
    with pytest.raises(SubstitutionError, match="incorrect query"):
        substitute_variables("{{ request.object.[ }}", ctx)


def test_empty_on_error_resolver(ctx: JsonContext) -> None:
    assert substitute_variables("{{ request.object.metadata.labels.team }}", ctx,
                                resolver=empty_on_error_resolver) == ""


def test_substitute_all_walks_leaves_and_keys_without_touching_the_input(ctx: JsonContext) -> None:
    document = {"metadata": {"labels": {"{{ request.object.metadata.name }}": "{{ one }}"}},
                "list": ["{{ two }}", 3, None, True], "{{ 'k' }}-x": "v"}
    original = copy.deepcopy(document)
    result = substitute_all(document, ctx)
    assert result == {"metadata": {"labels": {"web": 1}}, "list": [2.0, 3, None, True], "k-x": "v"}
    assert document == original
    with pytest.raises(SubstitutionError, match="did not resolve to a string"):
        substitute_all({"{{ one }}": "x"}, ctx)


def test_delete_requests_read_the_old_object() -> None:
    ctx = request_context(AdmissionContext(operation="DELETE", old_object=copy.deepcopy(POD)))
    assert substitute_variables("{{ request.object.metadata.name }}", ctx) == "web"
    assert "object" not in ctx.data["request"]


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        (("mutate", "patchStrategicMerge", "spec", "containers", 0, "image"),
         "request.object.spec.containers[0].image"),
        (("mutate", "foreach", 0, "patchStrategicMerge", "metadata", "labels", "app"),
         "request.object.metadata.labels.app"),
        (("validate", "pattern", "metadata", "annotations", "app.kubernetes.io/name"),
         'request.object.metadata.annotations."app.kubernetes.io/name"'),
        (("validate", "pattern", "spec", "=(hostNetwork)"), "request.object.spec.hostNetwork"),
    ],
)
def test_at_variable_is_the_path_in_the_resource(pointer: tuple[Any, ...], expected: str) -> None:
    ctx = JsonContext({"request": {"object": {}}})
    seen: list[str] = []

    def resolver(_: JsonContext, variable: str) -> Any:
        seen.append(variable)
        return "x"

    substitute_variables("{{@}}", ctx, pointer, resolver)
    assert seen == [expected]


def test_at_variable_uses_the_mutate_target(ctx: JsonContext) -> None:
    ctx.set("target", {"spec": {"replicas": 2}})
    document = {"spec": {"replicas": "{{ @ }}"}}
    assert substitute_all(document, ctx, ("mutate", "targets")) == {"spec": {"replicas": 2}}
    assert substitute_all({"image": "{{@}}"}, ctx, ()) == {"image": {"spec": {"replicas": 2}}}


def test_at_substitution_on_a_real_patch(ctx: JsonContext) -> None:
    patch = {"spec": {"containers": [{"image": "{{ regex_replace_all('^[^/:]+', '{{@}}', 'reg.io/library') }}"}]}}
    assert substitute_all(patch, ctx, ("mutate", "patchStrategicMerge")) == {
        "spec": {"containers": [{"image": "reg.io/library:1.25"}]}
    }


def test_pointer_to_jmespath() -> None:
    assert pointer_to_jmespath(["spec", "containers", 2, "env"]) == "spec.containers[2].env"
    assert pointer_to_jmespath(["a-b", "(c)"]) == '"a-b".c'


def test_nested_substitution_is_bounded() -> None:
    ctx = JsonContext({"loop": "{{ loop }}{{ loop }}"})
    with pytest.raises(SubstitutionError):
        substitute_variables("x{{ loop }}", ctx)
    assert MAX_TEXT > 0


REFERENCE_PATTERN = {
    "spec": {
        "containers": [
            {
                "name": "*",
                "resources": {
                    "requests": {"memory": "$(<=./../../limits/memory)", "cpu": "$(./../../limits/cpu)"},
                    "=(limits)": {"memory": "2Gi", "cpu": "500m", "count": 2.0},
                },
                "escaped": "\\$(./name)",
                "absolute": "$(/spec/containers/0/name)",
                "number": "$(>./../resources/limits/count)",
            }
        ]
    }
}


def test_references_resolve_relative_to_the_leaf_with_operators() -> None:
    result = substitute_references(REFERENCE_PATTERN)
    container = result["spec"]["containers"][0]
    assert container["resources"]["requests"] == {"memory": "<=2Gi", "cpu": "500m"}
    assert container["escaped"] == "$(./name)"
    assert container["absolute"] == "*"
    assert container["number"] == ">2.000000"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"a": "$(<=)"}, "expected path, found empty reference"),
        ({"a": {"b": True}, "c": "$(>../a/b)"}, "cannot be converted to string with operator >"),
    ],
)
def test_reference_errors(document: Any, message: str) -> None:
    with pytest.raises(UnresolvedReferenceError, match=message):
        substitute_references(document)
    assert issubclass(UnresolvedReferenceError, JMESPathError)


def test_has_variables() -> None:
    assert has_variables({"a": ["x", "{{ y }}"]})
    assert has_variables({"{{ k }}": 1})
    assert not has_variables({"a": ["x", 1, None]})
