"""A kind added through the registry alone: its spec is the only thing the rest of pykyverno learns about it, and it is
loaded, evaluated, scanned, reported (with its own report source), tested (``isToyPolicy``) and linted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pykyverno.engine.cel import CelProfile, environment_for, libs, names
from pykyverno.engine.common.expressions import Compiler
from pykyverno.engine.common.kind import KindSpec
from pykyverno.engine.common.loading import per_document
from pykyverno.engine.common.model import MatchedSpec, PolicyDocument, required
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.common.pipeline import Admitted, PolicyPipeline, compile_parts
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.loader import load_documents
from pykyverno.engine.registry import REGISTRY
from pykyverno.engine.request import AdmissionContext, admission_request
from pykyverno.engine.results import RuleResult
from pykyverno.server.core.lint import lint
from pykyverno.server.output import policy_reports
from pykyverno.server.scan import Scanner, ScanRequest, SnapshotSource
from pykyverno.server.testrunner import parse_test_file, run_test


class ToySpec(MatchedSpec):
    required_label: str


@dataclass(frozen=True)
class ToyPolicy(PolicyDocument[ToySpec]):
    spec_model = ToySpec
    checks = (required("match_constraints", "spec.matchConstraints"),)


@dataclass(kw_only=True)
class CompiledToyPolicy(PolicyPipeline[ToyPolicy]):
    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult:
        label = self.policy.spec.required_label
        labels = (ctx.subject.get("metadata") or {}).get("labels") or {}
        return self.make_result(ctx, "pass" if label in labels else "fail", f"label {label!r} is required")


def compile_toy(policy: ToyPolicy, kind: KindSpec) -> CompiledToyPolicy:
    compiler = Compiler(environment_for(kind.cel))
    return CompiledToyPolicy(**compile_parts(kind, compiler, policy.spec), policy=policy)


TOY = KindSpec(
    name="ToyPolicy", kinds=("ToyPolicy",), api_versions=("toy.example.com/v1",), report_source="Toy",
    loader=per_document(ToyPolicy.from_dict, compile_toy),
    cel=CelProfile(names.POLICY_VARIABLES, libs.KUBERNETES), scanned=True, schemas={"ToyPolicy": ToySpec},
)

POLICY = """
apiVersion: toy.example.com/v1
kind: ToyPolicy
metadata: {name: needs-team}
spec:
  requiredLabel: team
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
"""


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


@pytest.fixture
def toy() -> Iterator[KindSpec]:
    with REGISTRY.added(TOY) as spec:
        yield spec
    assert REGISTRY.for_kind("ToyPolicy") is None


def test_unknown_without_the_registry_line() -> None:
    loaded = load_documents(parse_documents(POLICY))
    assert loaded.policies == [] and "unknown policy kind 'ToyPolicy'" in loaded.issues[0].message


def test_loaded_evaluated_and_reported(toy: KindSpec) -> None:
    loaded = load_documents(parse_documents(POLICY))
    assert not loaded.issues and loaded.names() == ["needs-team"]
    [policy] = PolicyIndex(loaded.policies).candidates(pod("bad"))
    result = policy.evaluate(admission_request(pod("bad")))
    assert result is not None and (result.result, result.policy_kind) == ("fail", "ToyPolicy")
    [report] = policy_reports([result])
    assert report["results"][0]["source"] == "Toy"


def test_scanned(toy: KindSpec) -> None:
    loaded = load_documents(parse_documents(POLICY))
    source = SnapshotSource("toy", objects=[pod("bad"), pod("good", team="a")])
    report = Scanner(loaded.policies).scan([(source.name, lambda: source)], ScanRequest(snapshot="toy"))
    assert sorted((r.resource.name, r.result) for r in report.results) == [("bad", "fail"), ("good", "pass")]


def test_kyverno_test_rows_name_the_kind(toy: KindSpec, tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "resources.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: default}\n")
    (tmp_path / "kyverno-test.yaml").write_text(
        "name: toy\npolicies: [policy.yaml]\nresources: [resources.yaml]\nresults:\n"
        "- {policy: needs-team, resources: [bad], kind: Pod, result: fail, isToyPolicy: true}\n"
    )
    [test] = parse_test_file(tmp_path / "kyverno-test.yaml")
    assert test.rows[0].policy_kind_flag == "ToyPolicy"
    [outcome] = run_test(test).outcomes
    assert outcome.passed and outcome.policy_kind == "ToyPolicy"


def test_linted(toy: KindSpec) -> None:
    report = lint(POLICY.replace("requiredLabel", "requiredLabl"))
    assert {d.message for d in report.errors} >= {"Field required", "unknown field 'requiredLabl' (did you mean "
                                                                    "'requiredLabel'?)"}
