"""ResultStore: reads as the list of results it was given, keeps passes compact."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from pykyverno.engine.results import ResourceRef, RuleResult
from pykyverno.server.scan.result_store import EMPTY_FIELDS, TEMPLATE_FIELDS, UNKNOWN_FIELDS, ResultStore


def _results() -> list[RuleResult]:
    out = []
    for i in range(30):
        ref = ResourceRef("v1", "Pod", f"ns-{i % 3}", f"pod-{i}", f"uid-{i}")
        for policy in ("a", "b", "c"):
            failing = policy == "b" and i % 4 == 0
            out.append(RuleResult(policy=policy, policy_kind="ValidatingPolicy", result="fail" if failing else "pass",
                                  resource=ref, source="KyvernoValidatingPolicy", severity="high",
                                  category="Pod Security", message="no" if failing else "",
                                  validation_index=0 if failing else None, actions=("Audit",)))
    out.append(RuleResult(policy="a", policy_kind="ValidatingPolicy", result="pass", resource=out[0].resource,
                          properties={"k": "v"}))  # a pass with properties is kept as it is
    return out


def test_reads_back_the_same_results_in_order() -> None:
    results = _results()
    store = ResultStore(results)
    assert len(store) == len(results)
    assert list(store) == results and store == results
    assert store[5] == results[5] and store[-1] == results[-1] and store[3:9] == results[3:9]
    assert list(store.outcomes()) == [r.result for r in results]
    assert list(store.count_keys()) == [(r.resource.namespace, r.policy, r.result, r.severity, r.category)
                                        for r in results]
    # Rebuilt passes are fresh objects: changing one does not change the others.
    first = store[0]
    first.properties["x"] = "y"
    assert store[0].properties == {}


def test_compact_items_and_templates() -> None:
    results = _results()
    store = ResultStore(results)
    compact = [item for item in store.compact_items() if not isinstance(item, RuleResult)]
    assert len(compact) == sum(1 for r in results if r.result == "pass") - 1
    assert len({number for number, _, _ in compact}) == 3  # one template per policy


def test_list_operations() -> None:
    results = _results()
    store = ResultStore()
    store.extend(results[:10])
    other = ResultStore(results[10:20])
    store.extend(other)  # compact items move across stores
    store += results[20:]
    assert store == results
    store.insert(0, results[-1])
    del store[0]
    store[1] = results[2]
    expected = list(results)
    expected[1] = results[2]
    assert store == expected
    store.extend(store)
    assert len(store) == 2 * len(results)
    assert ResultStore() == [] and ResultStore() != results


def test_every_result_field_is_known() -> None:
    assert {f.name for f in fields(RuleResult)} == {*TEMPLATE_FIELDS, *EMPTY_FIELDS, "resource"}
    assert not UNKNOWN_FIELDS


@pytest.mark.parametrize("field,value", [("message", "m"), ("expression", "x"), ("validation_index", 1),
                                         ("patched", {}), ("generated", [{}]),
                                         ("unanswered", ("resource.Get: not found",))])
def test_passes_with_details_are_kept_whole(field: str, value: object) -> None:
    result = RuleResult(policy="a", policy_kind="ValidatingPolicy", result="pass",
                        resource=ResourceRef("v1", "Pod", "n", "p"), **{field: value})  # type: ignore[arg-type]
    store = ResultStore([result])
    assert next(iter(store.compact_items())) is result


def test_append_pass_stores_a_shared_template_per_resource() -> None:
    template = RuleResult(policy="a", policy_kind="ValidatingPolicy", result="pass",
                          resource=ResourceRef("", "", "", ""), source="KyvernoValidatingPolicy", severity="high",
                          actions=("Audit",), properties={})
    refs = [ResourceRef("v1", "Pod", "ns", f"pod-{i}") for i in range(5)]
    store, plain = ResultStore(), ResultStore()
    for ref in refs:
        store.append_pass(template, ref)
        plain.append(replace(template, resource=ref))
    assert list(store) == list(plain) == [replace(template, resource=ref) for ref in refs]
    assert len(store._templates) == 1 and all(isinstance(item, tuple) for item in store._items)
    failing = replace(template, result="fail", message="no")
    store.append_pass(failing, refs[0])  # not a compactable pass: kept whole, still equal
    assert store[-1] == replace(failing, resource=refs[0])
