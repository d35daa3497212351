"""Fuzzing the MCP tools' argument models and output models: any JSON value gives a validation error or a valid
model, never another exception; JSON text given to a YAML-or-JSON parameter arrives unchanged."""

from __future__ import annotations

import inspect
import json
from functools import cache
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pykyverno.server.mcp import ServerSettings, build_server, models

from .strategies import fuzz_settings, json_values


@cache
def tools() -> dict[str, Any]:
    server = build_server(ServerSettings(in_cluster=False, kubeconfig="/nonexistent"))
    return {tool.name: tool for tool in server._tool_manager.list_tools()}


def parameters(name: str) -> dict[str, dict[str, Any]]:
    return dict(tools()[name].parameters["properties"])


def yaml_parameters() -> list[tuple[str, str]]:
    """(tool, parameter) of every parameter that takes YAML or JSON text."""
    return [(name, param) for name in sorted(tools()) for param, schema in parameters(name).items()
            if "YAML" in str(schema.get("description", "")) or param.endswith("_yaml")]


TOOL_NAMES = ["describe_policy", "evaluate_policy", "explain_violation", "get_policy_reports", "lint_policy",
              "list_contexts", "list_policy_sets", "migrate_policy", "scan_cluster", "scan_manifests",
              "scan_namespace", "switch_context"]


def test_the_fuzzed_tools_are_all_the_tools() -> None:
    assert sorted(tools()) == TOOL_NAMES


@pytest.mark.parametrize("name", TOOL_NAMES)
@fuzz_settings(25)
@given(data=st.data())
def test_any_json_arguments_validate_or_give_a_validation_error(name: str, data: st.DataObject) -> None:
    names = sorted(parameters(name))
    value = json_values(8) | json_values(4).map(json.dumps)
    keys = st.sampled_from(names) | st.text(max_size=6) if names else st.text(max_size=6)
    arguments = data.draw(st.dictionaries(keys, value, max_size=len(names) + 1))
    try:
        validated = tools()[name].fn_metadata.validate_arguments(arguments)
    except pydantic.ValidationError:
        return
    assert set(validated) <= set(parameters(name)) | {"ctx"}


@fuzz_settings(100)
@given(json_values(12))
def test_json_text_reaches_every_yaml_or_json_parameter_unchanged(value: Any) -> None:
    text = json.dumps(value)
    assert yaml_parameters(), "the tools have YAML-or-JSON parameters"
    for name, param in yaml_parameters():
        arguments = {param: text}
        required = tools()[name].parameters.get("required", [])
        arguments.update({other: "x: 1" for other in required if other != param})
        try:
            validated = tools()[name].fn_metadata.validate_arguments(arguments)
        except pydantic.ValidationError as exc:
            assert all(e["loc"][0] != param for e in exc.errors()), (name, param, exc)
            continue
        assert validated[param] == text, (name, param)


OUTPUT_MODELS = [cls for _, cls in inspect.getmembers(models, inspect.isclass)
                 if issubclass(cls, models.Out) and cls is not models.Out]


def test_every_output_model_is_fuzzed() -> None:
    assert len(OUTPUT_MODELS) > 20


@pytest.mark.parametrize("model", OUTPUT_MODELS, ids=lambda m: m.__name__)
@fuzz_settings(15)
@given(data=st.data())
def test_any_json_validates_as_an_output_model_or_gives_a_validation_error(
    model: type[models.Out], data: st.DataObject
) -> None:
    fields = sorted({info.alias or name for name, info in model.model_fields.items()} | set(model.model_fields))
    value = data.draw(json_values(10) | st.dictionaries(st.sampled_from(fields), json_values(4), max_size=6))
    try:
        instance = model.model_validate(value)
    except pydantic.ValidationError:
        return
    dumped = instance.model_dump(mode="json", by_alias=True)
    assert model.model_validate(dumped) == instance
    assert model.model_validate_json(json.dumps(dumped)) == instance
