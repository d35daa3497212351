"""Running a ``kyverno-test.yaml`` Test: load its inputs, evaluate, and compare each expected row with the engine.

Every expected (test, policy, resource) pair becomes one :class:`CaseOutcome`; a pair whose policy kind is not
supported yet, or whose resource is missing, is a failed case with the reason, never a skip.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.cpol.chain import MutationChain, mutate_in_order
from pykyverno.engine.documents import expand_lists, iter_files, read_documents
from pykyverno.engine.errors import EngineError, LoadError
from pykyverno.engine.loader import load_policies
from pykyverno.engine.map.policy import attach_params
from pykyverno.engine.objects import normalize_manifest, object_key, read_manifests
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext, admission_request
from pykyverno.engine.results import RuleResult

from ..core.inputs import EvaluationInputs, read_inputs
from ..redaction import remember_sensitive
from .generated import compare_generated
from .patched import load_targets, patched_verdict, target_verdict
from .testfile import ExpectedRow, TestFile


@dataclass(frozen=True)
class CaseOutcome:
    """One expected pair and what the engine produced for it."""

    test_file: str
    test_name: str
    policy: str
    rule: str
    resource: str
    kind: str
    expected: str
    actual: str
    passed: bool
    reason: str = ""
    policy_kind: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``pykyverno test -o json`` row)."""
        return {
            "test": self.test_file,
            "testName": self.test_name,
            "policy": self.policy,
            "rule": self.rule,
            "resource": self.resource,
            "kind": self.kind,
            "policyKind": self.policy_kind,
            "expected": self.expected,
            "actual": self.actual,
            "passed": self.passed,
            "reason": self.reason,
        }


@dataclass
class TestRun:
    """All outcomes of one Test document, plus load problems."""

    test: TestFile
    outcomes: list[CaseOutcome] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)


def _find_resources(resources: list[dict[str, Any]], kind: str, ref: str) -> list[dict[str, Any]]:
    if not ref:  # a row without resources covers every resource of its kind
        return [obj for obj in resources if kind in ("", object_key(obj)[0])]
    namespace, _, name = ref.rpartition("/")
    found = []
    for obj in resources:
        obj_kind, obj_ns, obj_name = object_key(obj)
        if obj_name != name or (kind and obj_kind != kind):
            continue
        if namespace and obj_ns != namespace:
            continue
        found.append(obj)
    return found


class _Evaluator:
    """Evaluates policies of a set on resources, caching by (operation, resource)."""

    def __init__(self, policies: PolicySet, inputs: EvaluationInputs) -> None:
        self.policies = policies
        self.inputs = inputs
        self._cache: dict[tuple[str, str, int], list[RuleResult]] = {}
        self._chains: dict[tuple[str, int], MutationChain] = {}

    def context(self, obj: dict[str, Any], operation: str, policy: str) -> AdmissionContext:
        """The request for a row's resource (the Values' operation for the policy and resource wins)."""
        return self.inputs.request(obj, self.inputs.operation_for(policy, obj, operation))

    def chain(self, obj: dict[str, Any], operation: str) -> MutationChain:
        """The kyverno.io/v1 mutations of every policy of the Test on ``obj``, in order (``kyverno test`` mutates
        with all policies before it validates)."""
        key = (operation, id(obj))
        if key not in self._chains:
            with using_providers(self.inputs.providers):
                self._chains[key] = mutate_in_order(
                    self.policies.policies, obj,
                    lambda current, name: self.context(current, operation, name.rsplit("/", 1)[-1]),
                    self.policies.exceptions,
                )
        return self._chains[key]

    def results(self, policy_name: str, obj: dict[str, Any], operation: str) -> list[RuleResult]:
        key = (policy_name, operation, id(obj))
        if key not in self._cache:
            out = []
            chain = self.chain(obj, operation)
            with using_providers(self.inputs.providers):
                for compiled in self.policies.policies:
                    if compiled.name != policy_name and compiled.name.rsplit("/", 1)[-1] != policy_name:
                        continue
                    ctx = self.context(chain.object_for(compiled.name), operation, policy_name)
                    result = compiled.evaluate(ctx, self.policies.exceptions, EvaluationOptions())
                    if result is not None and result.patched is not None and compiled.name in chain.outputs:
                        result = replace(result, patched=chain.outputs[compiled.name])  # with earlier policies
                    if result is not None:
                        out.append(result)
            self._cache[key] = out
        return self._cache[key]


def _rule_selected(result_rule: str, rule: str) -> bool:
    """A row's ``rule`` selects a rule response of that name or of its autogen copies (as ``kyverno test`` does)."""
    return result_rule in (rule, f"autogen-{rule}"[:63], f"autogen-cronjob-{rule}"[:63])


#: A ClusterPolicy applied to the resource but produced nothing for the row's rule: ``kyverno test`` shows the row
#: as passed ("Excluded") whatever result it expects.
EXCLUDED = "excluded"


def _actual(results: list[RuleResult], rule: str) -> str:
    if rule and any(r.rule for r in results):
        # ClusterPolicy results carry rule names: only the named rule (or its autogen copies) counts.
        results = [r for r in results if _rule_selected(r.rule, rule)]
        if not results:
            return EXCLUDED
    elif rule:
        results = [r for r in results if r.rule == rule] or results
    if not results:
        return "skip"
    order = ["error", "fail", "warn", "pass", "skip"]
    return min((r.result for r in results), key=order.index)


def _load_exceptions(paths: Iterable[Path], policies: PolicySet, issues: list[str]) -> None:
    """The Test's ``exceptions`` files: their PolicyExceptions (one whose CEL does not compile is an issue)."""
    loaded = load_policies(paths)
    policies.exceptions.extend(loaded.exceptions)
    issues.extend(str(issue) for issue in loaded.issues)


def test_inputs(test: TestFile, resources: list[dict[str, Any]]) -> EvaluationInputs:
    """The inputs of a Test from its ``variables``/``values``, ``userinfo``, ``context`` and mocks."""
    context_paths = test.paths("context")
    userinfo_paths = test.paths("userinfo")
    inline = test.value("values")
    return read_inputs(
        resources=resources,
        base_path=test.folder,
        context_path=context_paths[0] if context_paths else None,
        values_paths=test.paths("variables"),
        inline_values=inline if isinstance(inline, dict) else None,
        userinfo_path=userinfo_paths[0] if userinfo_paths else None,
        api_call_responses=test.value("apiCallResponses") or [],
        global_context_entries=test.value("globalContextEntries") or [],
    )


def _serve_extra_resources(test: TestFile, inputs: EvaluationInputs, issues: list[str]) -> None:
    """Serve the Test's ``paramResources``, ``clusterResources`` and the rows' ``cloneSourceResource`` files to
    ``resource.*`` calls and admission-policy parameter lookups (added to the offline resource provider). A
    ``ClusterResource`` document contributes its ``spec.resources`` and the CRDs of ``spec.crds`` (paths relative
    to its file)."""
    add = getattr(inputs.providers.resource, "add", None)
    clone_sources = [(test.folder / row.clone_source).resolve() for row in test.rows if row.clone_source]
    paths = test.paths("paramResources") + test.paths("clusterResources") + clone_sources
    if test.paths("targetResources"):  # mutate-existing rules look their targets up (served once)
        paths += test.paths("targetResources")
        inputs.providers.extra["targets_served"] = True
    if add is None or not paths:
        return
    for file in iter_files(paths):
        try:
            documents = list(expand_lists(read_documents(file)))
        except LoadError as exc:
            issues.append(str(exc))
            continue
        for doc in documents:
            if doc.data.get("kind") != "ClusterResource":
                add(normalize_manifest(doc.data))
                continue
            spec = doc.data.get("spec") or {}
            for crd in read_manifests([file.parent / str(c) for c in spec.get("crds") or []], issues):
                add(crd)
            for obj in spec.get("resources") or []:
                if isinstance(obj, dict):
                    add(normalize_manifest(obj))


def run_test(test: TestFile) -> TestRun:
    """Evaluate one Test document and compare every expected row."""
    run = TestRun(test)
    policies = load_policies(test.paths("policies"))
    run.issues.extend(str(issue) for issue in policies.issues)
    _load_exceptions(test.paths("exceptions"), policies, run.issues)
    resources = read_manifests(test.paths("resources"), run.issues)
    remember_sensitive(resources)  # evaluated as written; their secret values are masked in what is printed
    run.issues.extend(test.unsupported_fields())
    payloads = _read_payloads(test, run.issues)
    try:
        inputs = test_inputs(test, resources)
        run.issues.extend(inputs.issues)
    except EngineError as exc:
        run.issues.append(str(exc))
        inputs = EvaluationInputs(providers=Providers())
    _serve_extra_resources(test, inputs, run.issues)
    # --- mutations (server/testrunner/patched.py): paramResources in file order, mutate-existing targetResources
    attach_params(policies.policies, read_manifests(test.paths("paramResources"), run.issues))
    targets = load_targets(test.paths("targetResources"), run.issues)
    evaluator = _Evaluator(policies, inputs)
    broken = {issue.name: str(issue) for issue in policies.issues if issue.name}
    loaded = {p.name.rsplit("/", 1)[-1] for p in policies.policies}
    kinds = {p.name.rsplit("/", 1)[-1]: p.kind for p in policies.policies}
    for row in test.rows:
        refs = list(row.resources)
        if payloads:
            chosen = _chosen_payloads(payloads, refs)
            if chosen is not None:
                for label, payload in chosen:
                    outcome = _compare_payload(test, row, evaluator, label, payload, kinds.get(row.policy, ""))
                    run.outcomes.append(outcome)
                continue
        if not refs:
            refs = [""]
        for ref in refs:
            outcome = _compare(test, row, ref, evaluator, resources, loaded, broken)
            if outcome.actual == "missing" and targets:
                outcome = _compare_target(test, row, ref, evaluator, resources, targets) or outcome
            if not outcome.policy_kind:
                outcome = replace(outcome, policy_kind=kinds.get(row.policy) or row.policy_kind_flag)
            run.outcomes.append(outcome)
    return run


def _outcome(test: TestFile, row: ExpectedRow, ref: str, actual: str, reason: str = "", kind: str = "") -> CaseOutcome:
    passed = actual == row.result and not reason
    return CaseOutcome(
        test_file=str(test.path),
        test_name=test.name,
        policy=row.policy,
        rule=row.rule,
        resource=ref,
        kind=row.kind,
        expected=row.result,
        actual=actual,
        passed=passed,
        reason=reason if not passed else "",
        policy_kind=kind,
    )


#: Test fields listing payloads (``jsonPayload`` is the deprecated spelling of ``jsonPayloads``).
PAYLOAD_KEYS = ("jsonPayloads", "jsonPayload", "httpPayloads", "envoyPayloads")


def _read_payloads(test: TestFile, issues: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every payload of the Test with its label: the file as the Test lists it (``file[i]`` for the i-th of several
    documents in one file). Payloads are data, not Kubernetes objects: they are read as written."""
    payloads: list[tuple[str, dict[str, Any]]] = []
    for key in PAYLOAD_KEYS:
        listed = test.value(key)
        for item in listed if isinstance(listed, list) else [listed] if listed else []:
            documents = read_manifests([(test.folder / str(item)).resolve()], issues, normalize=False)
            for i, document in enumerate(documents):
                name = str(item).removeprefix("./")
                payloads.append((name if len(documents) == 1 else f"{name}[{i}]", document))
    return payloads


def _payload_names(label: str, payload: dict[str, Any]) -> set[str]:
    """The names a row's ``resources`` may give a payload: its file as listed, the file's name with and without its
    extension, and the payload's ``metadata.name`` (with its namespace) when it has one."""
    path = Path(label.split("[", 1)[0])
    names = {label, f"./{label}", path.name, path.stem}
    metadata = payload.get("metadata")
    if isinstance(metadata, dict) and metadata.get("name"):
        name, namespace = str(metadata["name"]), str(metadata.get("namespace") or "")
        names |= {name, f"{namespace}/{name}" if namespace else name}
    return names


def _chosen_payloads(
    payloads: list[tuple[str, dict[str, Any]]], refs: list[str]
) -> list[tuple[str, dict[str, Any]]] | None:
    """The payloads a row covers: all of them when it names no resources, else the ones it names; ``None`` when
    it names something that is not a payload (the row is about the Test's resources)."""
    if not refs:
        return payloads
    chosen = [(label, payload) for label, payload in payloads if _payload_names(label, payload) & set(refs)]
    return chosen or None


def _compare_payload(
    test: TestFile, row: ExpectedRow, evaluator: _Evaluator, label: str, payload: dict[str, Any], kind: str
) -> CaseOutcome:
    ctx = admission_request(payload)
    results = []
    with using_providers(evaluator.inputs.providers):
        for compiled in evaluator.policies.policies:
            if compiled.name == row.policy:
                result = compiled.evaluate(ctx, evaluator.policies.exceptions)
                if result is not None:
                    results.append(result)
    actual = _actual(results, row.rule)
    reason = "" if actual == row.result else _mismatch_reason(results)
    return _outcome(test, row, label, actual, reason, kind)


def _mismatch_reason(results: list[RuleResult]) -> str:
    if not results:
        return "the policy did not apply (no match, or match conditions false)"
    return "; ".join(f"{r.result}: {r.message}" for r in results if r.message) or "result differs"


def _compare(
    test: TestFile,
    row: ExpectedRow,
    ref: str,
    evaluator: _Evaluator,
    resources: list[dict[str, Any]],
    loaded: set[str],
    broken: dict[str, str],
) -> CaseOutcome:
    if row.policy in broken:
        return _outcome(test, row, ref, "error", f"policy failed to load: {broken[row.policy]}")
    if row.policy.rsplit("/", 1)[-1] not in loaded:  # a row may name a Policy as namespace/name
        return _outcome(test, row, ref, "missing", f"policy {row.policy!r} not found in the test's policies")
    matches = _find_resources(resources, row.kind, ref)
    if not matches:
        return _outcome(test, row, ref, "missing", f"resource {row.kind}/{ref} not found in the test's resources")
    if len(matches) > 1:  # rows select the engine's responses: objects the policy gave none are not compared
        answered = [obj for obj in matches if evaluator.results(row.policy, obj, row.operation)]
        matches = answered or matches
    actuals = []
    details: list[RuleResult] = []
    for obj in matches:
        results = evaluator.results(row.policy, obj, row.operation)
        details.extend(results)
        actuals.append(_actual(results, row.rule))
    if all(a == EXCLUDED for a in actuals):  # kyverno test shows the row as passed, with reason "Excluded"
        return replace(_outcome(test, row, ref, row.result, "", details[0].policy_kind), actual=EXCLUDED)
    actuals = [row.result if a == EXCLUDED else a for a in actuals]
    actual = next((a for a in actuals if a != row.result), actuals[0])
    reason = "" if actual == row.result else _mismatch_reason(details)
    if row.patched_resources and actual == "pass":  # a mutated object unlike patchedResources is a fail
        actual, patch_reason = patched_verdict((test.folder / row.patched_resources).resolve(), matches[0], details)
        reason = "" if actual == row.result else patch_reason
    if not reason and row.generated_resources:
        reason = compare_generated([(test.folder / g).resolve() for g in row.generated_resources], details)
    return _outcome(test, row, ref, actual, reason, details[0].policy_kind if details else "")


def _compare_target(
    test: TestFile,
    row: ExpectedRow,
    ref: str,
    evaluator: _Evaluator,
    triggers: list[dict[str, Any]],
    targets: list[dict[str, Any]],
) -> CaseOutcome | None:
    """A row naming one of the Test's ``targetResources``: mutate-existing results (server/testrunner/patched.py)."""
    verdict = target_verdict(
        policies=evaluator.policies,
        policy_name=row.policy,
        kind=row.kind,
        ref=ref,
        expected_result=row.result,
        patched_file=(test.folder / row.patched_resources).resolve() if row.patched_resources else None,
        targets=targets,
        triggers=triggers,
        context_for=lambda obj: evaluator.context(obj, row.operation, row.policy),
        providers=evaluator.inputs.providers,
    )
    if verdict is None:
        return None
    actual, reason, kind = verdict
    return _outcome(test, row, ref, actual, reason, kind)
