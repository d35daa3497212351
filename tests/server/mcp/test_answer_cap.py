"""Issue 11, item 8 (answers): no tool answer exceeds what the official client accepts (1 MiB per message).

An oversized answer is shortened where it is largest, stays valid against the tool's output schema, and says what
was left out and how to get it, in the structured content and at the top of the text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx2
import jsonschema
import pytest
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from pykyverno.server.mcp.answer_cap import MAX_ANSWER_BYTES, cap_answer, encoded_size
from pykyverno.server.mcp.models import EvaluateResult, Explanation

from .test_tools import ok, text
from .test_transports import TOKEN, HttpServer, child_env

pytestmark = pytest.mark.anyio

#: A policy whose message repeats a 6 KB annotation of each object: 200 results make a 1.2 MB answer.
LOUD_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: loud}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
  validations:
  - expression: "false"
    messageExpression: object.metadata.annotations.note
"""


def config_maps(count: int, note_size: int = 6000) -> str:
    return yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": f"cm{i}", "namespace": "apps", "annotations": {"note": f"{i:05d}" + "n" * note_size}}}
        for i in range(count)])


# ----------------------------------------------------------------------------- unit
def test_a_small_answer_is_left_alone() -> None:
    data = {"policies": ["p"], "summary": {"pass": 1}, "results": []}
    assert cap_answer("hello", data, "EvaluateResult") == ("hello", data)


def test_the_largest_list_is_shortened_and_the_answer_stays_valid() -> None:
    item = {"policy": "p", "policyKind": "ValidatingPolicy", "result": "fail", "message": "m" * 900,
            "resource": {"apiVersion": "v1", "kind": "Pod", "namespace": "a", "name": "x"}}
    data = {"policies": ["p"], "summary": {"fail": 3000}, "results": [item] * 3000, "issues": ["i"] * 10}
    capped_text, capped = cap_answer("table\n" * 10, data, "EvaluateResult")
    assert encoded_size(capped_text) + encoded_size(capped) <= MAX_ANSWER_BYTES
    jsonschema.validate(capped, EvaluateResult.model_json_schema(by_alias=True, mode="serialization"))
    kept = len(capped["results"])
    assert 0 < kept < 3000 and capped["issues"] == ["i"] * 10
    [left_out] = capped["answerTruncated"]["leftOut"]
    assert left_out == f"results: {kept} of 3000 items"
    assert "split resources_yaml" in capped["answerTruncated"]["howToGetMore"]
    assert capped_text.startswith("> Answer shortened") and "results: " in capped_text.splitlines()[0]


def test_one_huge_value_loses_its_tail_not_its_neighbours() -> None:
    data = {"policy": "p", "policyKind": "ValidatingPolicy", "result": "fail",
            "resource": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "a", "name": "x"},
            "fields": [{"path": "data.small", "present": True, "value": "s"},
                       {"path": "data.big", "present": True, "value": "b" * 3_000_000}]}
    _, capped = cap_answer("", data, "Explanation")
    jsonschema.validate(capped, Explanation.model_json_schema(by_alias=True, mode="serialization"))
    assert [f["path"] for f in capped["fields"]] == ["data.small", "data.big"]
    big = capped["fields"][1]["value"]
    assert big.startswith("bbbb") and big.endswith("characters left out]") and len(big) < MAX_ANSWER_BYTES
    assert capped["answerTruncated"]["leftOut"][0].startswith("fields[1].value: ")


def test_oversized_text_is_cut_at_a_line_with_a_note() -> None:
    markdown = "\n".join(f"| row {i} | " + "x" * 100 + " |" for i in range(20_000))
    capped_text, capped = cap_answer(markdown, {"valid": True}, "LintResult")
    assert encoded_size(capped_text) + encoded_size(capped) <= MAX_ANSWER_BYTES
    assert capped_text.startswith("> Text shortened") and "lint fewer policies" in capped_text
    assert capped_text.rstrip("…\n").endswith(" |"), "cut at a line boundary"


# ----------------------------------------------------------------------------- over HTTP, official client
@pytest.fixture
def server(tmp_path: Path) -> Iterator[HttpServer]:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    http = HttpServer(["--token-file", str(token_file), "--toolsets", "manifests"],
                      child_env(KUBECONFIG=str(tmp_path / "none")))
    yield http
    http.stop()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_an_oversized_answer_reaches_the_official_client(server: HttpServer, mode: str) -> None:
    resources = config_maps(200)
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    async with http, Client(streamable_http_client(server.url, http_client=http), mode=mode) as c:
        result = await c.call_tool("evaluate_policy", {"policy_yaml": LOUD_POLICY, "resources_yaml": resources})
    data = ok(result)
    size = encoded_size(text(result)) + encoded_size(data)
    print(f"\nevaluate_policy, 200 results of 6 KB ({mode}): answer {size} bytes, "
          f"{len(data['results'])} results kept")
    assert size <= MAX_ANSWER_BYTES
    assert data["summary"]["fail"] == 200 and 0 < len(data["results"]) < 200
    assert data["answerTruncated"]["leftOut"] == [f"results: {len(data['results'])} of 200 items"]
    assert text(result).startswith("> Answer shortened")
    json.dumps(data)
