"""Under the default limits, no legitimate policy is refused: every policy of the conformance suites (Kyverno's own
test suites, which Kyverno loads) and every bundled policy set loads without a cost, growth or depth refusal, whole
policies included (variables costed with the expressions that read them).

Kyverno and the API server (for admission policies) do not refuse an expression for its estimated cost; the front
end refuses only what could never complete within the runtime limit, and values holding too many copies of the input.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pykyverno.engine.cel import cost_limit, environment_for
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.loader import load_documents
from pykyverno.server.policysets.catalog import available_sets, load_set
from tests.conformance._suite import find_shared

#: What the front end's limits say when they refuse an expression.
REFUSALS = ("costs at least", "copies of its input", "exceeds the budget", "levels deep", "nest ")


def _refusals(messages: list[str]) -> list[str]:
    return [message for message in messages if any(refusal in message for refusal in REFUSALS)]


def _policy_files(root: Path) -> list[Path]:
    files = []
    for file in sorted(root.rglob("*.yaml")):
        text = file.read_text(encoding="utf-8", errors="replace")
        if "policies.kyverno.io" in text or "admissionregistration.k8s.io" in text or "kyverno.io/v1" in text:
            files.append(file)
    return files


@pytest.mark.parametrize("suite", ["conformance", "conformance-legacy"])
def test_every_conformance_policy_loads_under_the_default_limits(suite: str) -> None:
    root = find_shared() / suite
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    assert cost_limit() is None
    files = _policy_files(root)
    assert len(files) > 50
    refused: list[str] = []
    for file in files:
        try:
            documents = parse_documents(file.read_text(encoding="utf-8"), str(file))
        except LoadError:  # an unreadable fixture is the loader tests' business, not this one's
            continue
        refused += [f"{file}: {m}" for m in _refusals([str(issue) for issue in load_documents(documents).issues])]
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("name", sorted(available_sets()))
def test_every_bundled_set_loads_under_the_default_limits(name: str) -> None:
    policies = load_set(name)
    assert not policies.issues, [str(issue) for issue in policies.issues]
    assert policies.policies


#: The shape of the issue's expression: a JSONPatch list concatenated with a list mapped over the containers, whose
#: body iterates two more levels. Its estimate (lists of unknown size as 25 elements) is about 10.8 million: it was
#: refused as "estimated expression cost ... exceeds the budget of 1000000", while Kyverno compiles it.
UNIQUE_ENV = (
    '[JSONPatch{op: "add", path: "/metadata/labels/checked", value: "true"}] + object.spec.containers.map(c,'
    ' JSONPatch{op: "add", path: "/spec/containers/" + string(object.spec.containers.map(x, x.name).indexOf(c.name))'
    ' + "/env", value: c.?env.orValue([]).filter(e, !object.spec.containers.exists(o,'
    " o.?env.orValue([]).exists(oe, oe.name == e.name && o.name != c.name)))})"
)


def test_a_jsonpatch_list_plus_a_mapped_list_compiles_and_evaluates() -> None:
    program = environment_for("mpol").compile(UNIQUE_ENV, "spec.mutations[0].jsonPatch.expression")
    pod = {"spec": {"containers": [
        {"name": "a", "env": [{"name": "SHARED"}, {"name": "ONLY_A"}]},
        {"name": "b", "env": [{"name": "SHARED"}]},
    ]}}
    assert program.evaluate({"object": pod}) == [
        {"op": "add", "path": "/metadata/labels/checked", "value": "true"},
        {"op": "add", "path": "/spec/containers/0/env", "value": [{"name": "ONLY_A"}]},
        {"op": "add", "path": "/spec/containers/1/env", "value": []},
    ]
