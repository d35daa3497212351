"""Comparing mutated resources with a Test's ``patchedResources``, the way the Kyverno CLI compares them.

Kyverno finds the expected object in the file by apiVersion, kind, namespace and name (namespaced objects written
without a namespace are in ``default``), then compares both objects after "tidying" them: ``null`` values, empty
maps and empty lists are dropped recursively, so ``resources: {}`` or ``strategy: {}`` left by Go's typed round trip
do not matter. Numbers compare by value; booleans are not numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.common.jsonpatch import json_equal
from pykyverno.engine.documents import expand_lists, read_documents
from pykyverno.engine.errors import EngineError
from pykyverno.engine.objects import normalize_manifest, object_identity
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult

_EMPTY: Any = object()


def tidy(value: Any) -> Any:
    """Drop nulls, empty maps and empty lists recursively (``_EMPTY`` when nothing is left)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cleaned = tidy(item)
            if cleaned is not _EMPTY:
                out[key] = cleaned
        return out if out else _EMPTY
    if isinstance(value, list):
        items = [cleaned for cleaned in (tidy(item) for item in value) if cleaned is not _EMPTY]
        return items if items else _EMPTY
    if value is None:
        return _EMPTY
    return value


def same_object(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether two objects are equal once tidied."""
    return json_equal(tidy(actual), tidy(expected))


def patched_object(obj: dict[str, Any], results: list[RuleResult]) -> dict[str, Any]:
    """The mutated version of ``obj``: the first result's ``patched`` for it, else ``obj`` unchanged."""
    key = object_identity(obj)
    for result in results:
        if result.patched is not None and object_identity(normalize_manifest(result.patched))[1:] == key[1:]:
            return result.patched
    return next((r.patched for r in results if r.patched is not None), obj)


def differences(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected``: ``path: got X, expected Y``, missing and unexpected keys."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        out = []
        for key in sorted(set(actual) | set(expected)):
            where = f"{path}.{key}" if path else key
            if key not in expected:
                out.append(f"{where}: unexpected {actual[key]!r}")
            elif key not in actual:
                out.append(f"{where}: missing (expected {expected[key]!r})")
            else:
                out.extend(differences(actual[key], expected[key], where))
        return out
    if not json_equal(actual, expected):
        return [f"{path or '<root>'}: got {actual!r}, expected {expected!r}"]
    return []


def _renamed(expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    """``expected`` carrying ``actual``'s name and namespace (to compare content only)."""
    meta = dict(expected.get("metadata") or {})
    actual_meta = actual.get("metadata") or {}
    for key in ("name", "namespace"):
        if key in actual_meta:
            meta[key] = actual_meta[key]
        else:
            meta.pop(key, None)
    return {**expected, "metadata": meta}


def compare_patched(expected_file: Path, obj: dict[str, Any], results: list[RuleResult]) -> str:
    """Return "" when the mutated object equals its expected version, else a reason naming the first differences.

    The expected object is the one of the same kind and name; when the file has none (a single expected object
    shared by several rows, as in the kyverno/policies suites), its objects of the same kind are compared by
    content, name and namespace aside.
    """
    try:
        expected = [normalize_manifest(d.data) for d in expand_lists(read_documents(expected_file))]
    except EngineError as exc:
        return f"cannot read patchedResources: {exc}"
    patched = normalize_manifest(patched_object(obj, results))
    api_version, kind, namespace, name = object_identity(patched)
    candidates = [e for e in expected if object_identity(e)[1] == kind and object_identity(e)[3] == name]
    if candidates:
        candidates = [e for e in candidates if object_identity(e) == (api_version, kind, namespace, name)] or candidates
    else:
        candidates = [_renamed(e, patched) for e in expected if object_identity(e)[1] == kind]
    if not candidates:
        return f"patchedResources has no {kind}"
    for candidate in candidates:
        if same_object(patched, candidate):
            return ""
    shown = "; ".join(differences(tidy(patched), tidy(candidates[0]))[:3])
    return f"mutated {kind}/{name} differs from patchedResources: {shown}"


def patched_verdict(expected_file: Path, obj: dict[str, Any], results: list[RuleResult]) -> tuple[str, str]:
    """Kyverno's verdict on a mutation that passed: ``pass`` when the mutated object matches ``patchedResources``,
    else ``fail`` with the difference (a Test may expect ``fail`` for a mutation that must not give that object)."""
    difference = compare_patched(expected_file, obj, results)
    return ("fail", difference) if difference else ("pass", "")


def mutate_existing_results(
    policies: PolicySet,
    policy_name: str,
    target: dict[str, Any],
    triggers: Iterable[dict[str, Any]],
    context_for: Callable[[dict[str, Any]], AdmissionContext],
) -> list[RuleResult]:
    """Results on ``target`` of the mutate-existing policies named ``policy_name``, triggered by each of ``triggers``
    (the Test's resources); ``target`` is one of the Test's ``targetResources``."""
    key = object_identity(target)[1:]
    out: list[RuleResult] = []
    for compiled in policies.policies:
        if policy_name not in (compiled.name, compiled.name.rsplit("/", 1)[-1]):
            continue
        evaluate_targets = getattr(compiled, "evaluate_targets", None)
        if evaluate_targets is None:
            continue
        for trigger in triggers:
            for result in evaluate_targets(context_for(trigger), [target], policies.exceptions):
                ref = result.resource
                if (ref.kind, ref.namespace, ref.name) == key:
                    out.append(result)
    return out


def load_targets(paths: Iterable[Path], issues: list[str]) -> list[dict[str, Any]]:
    """A Test's ``targetResources`` (normalized like its resources); unreadable files become issues."""
    targets: list[dict[str, Any]] = []
    for path in paths:
        try:
            targets.extend(normalize_manifest(d.data) for d in expand_lists(read_documents(path)))
        except EngineError as exc:
            issues.append(str(exc))
    return targets


def target_verdict(
    *,
    policies: PolicySet,
    policy_name: str,
    kind: str,
    ref: str,
    expected_result: str,
    patched_file: Path | None,
    targets: list[dict[str, Any]],
    triggers: list[dict[str, Any]],
    context_for: Callable[[dict[str, Any]], AdmissionContext],
    providers: Providers,
) -> tuple[str, str, str] | None:
    """(actual, reason, policy kind) of a row naming a ``targetResources`` object of a mutate-existing policy, or
    ``None`` when ``ref`` names no target. The targets are also served to ``resource.*`` lookups."""
    namespace, _, name = ref.rpartition("/")
    found = []
    for target in targets:
        _, target_kind, target_namespace, target_name = object_identity(target)
        if target_name == name and kind in ("", target_kind) and namespace in ("", target_namespace):
            found.append(target)
    if not found:
        return None
    add = getattr(providers.resource, "add", None)
    if add is not None and not providers.extra.get("targets_served"):
        for target in targets:
            add(target)
        providers.extra["targets_served"] = True
    results: list[RuleResult] = []
    with using_providers(providers):
        for target in found:
            results.extend(mutate_existing_results(policies, policy_name, target, triggers, context_for))
    order = ["error", "fail", "warn", "pass", "skip"]
    actual = min((r.result for r in results), key=order.index) if results else "skip"
    reason = ""
    if actual == "pass" and patched_file is not None:
        actual, reason = patched_verdict(patched_file, found[0], results)
    if actual != expected_result and not reason:
        reason = "; ".join(f"{r.result}: {r.message}" for r in results if r.message) or (
            "no trigger selected this target" if not results else "result differs"
        )
    return actual, reason, results[0].policy_kind if results else ""
