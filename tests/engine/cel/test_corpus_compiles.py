"""Every CEL expression of the policy corpus in ``../shared/conformance`` passes the front end and compiles.

The front end (``prepare``) must never refuse a real policy's expression for depth or cost. Compile failures for
other reasons (a library function a teammate has not written yet) are reported, not failed: run with ``-s`` to see
the summary, or read the assertion message of ``test_corpus_report``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.engine.cel import CelCompileError, CelCostError
from pykyverno.engine.cel.frontend import DEFAULT_COST_LIMIT, estimate_cost, prepare
from tests.conformance._suite import find_shared
from tests.engine.cel.kind_envs import environment_for

CORPUS = find_shared() / "conformance"

#: Policy kind -> environment key of ``environment_for``.
KIND_ENVIRONMENTS = {
    "ValidatingPolicy": "vpol", "NamespacedValidatingPolicy": "vpol",
    "MutatingPolicy": "mpol", "NamespacedMutatingPolicy": "mpol",
    "GeneratingPolicy": "gpol", "NamespacedGeneratingPolicy": "gpol",
    "DeletingPolicy": "dpol", "NamespacedDeletingPolicy": "dpol",
    "ImageValidatingPolicy": "ivpol", "NamespacedImageValidatingPolicy": "ivpol",
    "ValidatingAdmissionPolicy": "vap", "MutatingAdmissionPolicy": "map",
    "ClusterPolicy": "cpol", "Policy": "cpol",
    "PolicyException": "vpol",
}
EXPRESSION_FIELDS = frozenset({"expression", "messageExpression", "valueExpression"})


@dataclass(frozen=True)
class CorpusExpression:
    """One CEL expression found in a corpus file."""

    file: Path
    kind: str
    environment: str
    path: str
    source: str

    def label(self) -> str:
        return f"{self.file.relative_to(CORPUS)}:{self.kind}:{self.path}"


def _expressions_in(node: Any, path: str, in_cel: bool) -> Iterator[tuple[str, str]]:
    """(field path, expression) pairs under ``node``. ClusterPolicy expressions count only under ``cel``."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            if key in EXPRESSION_FIELDS and isinstance(value, str) and in_cel:
                yield child, value
            else:
                yield from _expressions_in(value, child, in_cel or key == "cel")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _expressions_in(item, f"{path}[{index}]", in_cel)


def _environment_key(kind: str, path: str) -> str:
    env = KIND_ENVIRONMENTS[kind]
    if env == "ivpol" and path.startswith("spec.matchImageReferences"):
        return "ivpol+ref"
    return env


def corpus_expressions() -> list[CorpusExpression]:
    """All CEL expressions of the policies in the corpus, in a stable order."""
    found: list[CorpusExpression] = []
    for file in sorted(CORPUS.rglob("*.yaml")):
        try:
            documents = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for document in documents:
            if not isinstance(document, dict) or document.get("kind") not in KIND_ENVIRONMENTS:
                continue
            kind = str(document["kind"])
            in_cel = kind not in ("ClusterPolicy", "Policy")
            for path, source in _expressions_in(document.get("spec"), "spec", in_cel):
                found.append(CorpusExpression(file, kind, _environment_key(kind, path), path, source))
    return found


def _compile(expression: CorpusExpression) -> None:
    if expression.environment == "ivpol+ref":
        env = environment_for("ivpol", extra_variables=("ref",))
    else:
        env = environment_for(expression.environment)
    env.compile(expression.source, path=expression.path)


@pytest.fixture(scope="module")
def corpus() -> list[CorpusExpression]:
    if not CORPUS.is_dir():
        pytest.skip(f"policy corpus not found at {CORPUS} (set PYKYVERNO_CONFORMANCE to its directory)")
    expressions = corpus_expressions()
    if not expressions:
        pytest.skip(f"no CEL policy expressions found under {CORPUS}")
    return expressions


def test_corpus_has_expressions(corpus: list[CorpusExpression]) -> None:
    assert len(corpus) > 100
    assert {e.environment for e in corpus} >= {"vpol", "mpol"}


def test_no_corpus_expression_is_refused_for_depth_or_cost(corpus: list[CorpusExpression]) -> None:
    refused = []
    for expression in corpus:
        try:
            prepare(expression.source, expression.path)
        except CelCostError as error:
            refused.append(f"{expression.label()}: cost: {error.message}")
        except CelCompileError as error:
            if "nest" in error.message or "deep" in error.message:
                refused.append(f"{expression.label()}: depth: {error.message}")
    assert not refused, "\n".join(refused)


def test_corpus_costs_leave_headroom(corpus: list[CorpusExpression]) -> None:
    worst = max(corpus, key=lambda e: estimate_cost(e.source))
    assert estimate_cost(worst.source) * 2 < DEFAULT_COST_LIMIT, worst.label()


def test_corpus_report(corpus: list[CorpusExpression], capsys: pytest.CaptureFixture[str]) -> None:
    """Compile everything; fail only on front-end refusals, print the other failures grouped by reason."""
    failures: list[tuple[CorpusExpression, str]] = []
    for expression in corpus:
        try:
            _compile(expression)
        except CelCostError as error:
            failures.append((expression, f"COST {error.message}"))
        except CelCompileError as error:
            failures.append((expression, error.message))
    reasons = Counter(_reason(message) for _, message in failures)
    with capsys.disabled():
        print(f"\ncorpus: {len(corpus) - len(failures)}/{len(corpus)} expressions compile")
        for reason, count in reasons.most_common():
            print(f"  {count:4d}  {reason}")
    frontend_refusals = [f"{e.label()}: {m}" for e, m in failures if m.startswith("COST") or "levels deep" in m]
    assert not frontend_refusals, "\n".join(frontend_refusals)


def _reason(message: str) -> str:
    """First line of a compile error without its position, for grouping."""
    first = message.splitlines()[0] if message else ""
    if first.startswith("ERROR: <input>:"):
        first = first.split(": ", 2)[-1]
    return first[:140]
