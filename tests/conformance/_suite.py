"""The conformance suite model: Kyverno's own CLI test suites, run through pykyverno's test runner.

``find_suite()`` reads ``PYKYVERNO_CONFORMANCE`` first, then looks for ``../shared/conformance`` beside the checkout.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pykyverno.server.testrunner import CaseOutcome, discover, parse_test_file, run_test

ENV_VAR = "PYKYVERNO_CONFORMANCE"
#: The kyverno.io/v1 (ClusterPolicy/Policy) suites, ``../shared/conformance-legacy`` by default.
LEGACY_ENV_VAR = "PYKYVERNO_CONFORMANCE_LEGACY"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_LOCATIONS = (REPO.parent / "shared" / "conformance", REPO.parent.parent / "shared" / "conformance")
LEGACY_LOCATIONS = tuple(p.with_name("conformance-legacy") for p in DEFAULT_LOCATIONS)


def find_shared() -> Path:
    """The shared reference folder beside the checkout (``../shared``); may not exist."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).parent
    return next((p.parent for p in DEFAULT_LOCATIONS if p.is_dir()), DEFAULT_LOCATIONS[0].parent)


def find_suite() -> Path | None:
    """The suite folder, or ``None`` when neither the variable nor ``../shared/conformance`` exists."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    return next((p for p in DEFAULT_LOCATIONS if p.is_dir()), None)


def find_legacy_suite() -> Path | None:
    """The kyverno.io/v1 suite folder, or ``None`` when neither the variable nor ``../shared/conformance-legacy``
    exists."""
    configured = os.environ.get(LEGACY_ENV_VAR)
    if configured:
        return Path(configured)
    return next((p for p in LEGACY_LOCATIONS if p.is_dir()), None)


@dataclass(frozen=True)
class Case:
    """One expected (test, policy, resource) pair and its outcome."""

    id: str
    family: str
    folder: str
    kind: str
    outcome: CaseOutcome


FAMILY_OF_KIND = {
    "ValidatingPolicy": "ValidatingPolicy",
    "NamespacedValidatingPolicy": "ValidatingPolicy",
}


def _case_id(root: Path, o: CaseOutcome) -> str:
    rel = Path(o.test_file).relative_to(root).parent
    resource = f"{o.kind}/{o.resource}" if o.kind else o.resource or "<payload>"
    rule = f" > {o.rule}" if o.rule else ""
    return f"{rel} > {o.policy}{rule} > {resource} > {o.expected}"


#: Suites run in this session (the summary prints only those).
RAN: set[Path] = set()


@cache
def run_suite(root: Path) -> tuple[Case, ...]:
    """Run every test of the suite once per session."""
    RAN.add(root)
    cases = []
    for file in discover([root]):
        for test in parse_test_file(file):
            for outcome in run_test(test).outcomes:
                rel = Path(outcome.test_file).relative_to(root)
                folder = "/".join(rel.parts[:2])
                kind = outcome.policy_kind or "unknown"
                cases.append(Case(_case_id(root, outcome), rel.parts[0], folder, kind, outcome))
    return tuple(cases)


def rates(cases: tuple[Case, ...], key: str) -> dict[str, tuple[int, int]]:
    """(passed, total) per ``kind`` or ``folder``."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        table[getattr(case, key)]["total"] += 1
        table[getattr(case, key)]["passed"] += int(case.outcome.passed)
    return {k: (v["passed"], v["total"]) for k, v in sorted(table.items())}


def folders_below(cases: tuple[Case, ...], floor: float, exceptions: Collection[str]) -> dict[str, str]:
    """``passed/total`` of every folder under ``floor`` that ``exceptions`` does not name."""
    return {
        folder: f"{passed}/{total}"
        for folder, (passed, total) in rates(cases, "folder").items()
        if passed / total < floor and folder not in exceptions
    }


def known_failure_problems(cases: tuple[Case, ...], known: Collection[str], list_file: str) -> list[str]:
    """What makes ``known`` inexact: failing pairs it does not list (with their reason), and listed pairs that now
    pass; empty when every failure is listed and every listed pair still fails."""
    failing = {c.id: c.outcome.reason for c in cases if not c.outcome.passed}
    unexpected = sorted(set(failing) - set(known))
    fixed = sorted(set(known) - set(failing))
    message = []
    if unexpected:
        message.append(f"new failures (fix them, or add them to {list_file} with a reason):")
        message.extend(f"  {cid}: {failing[cid][:200]}" for cid in unexpected)
    if fixed:
        message.append(f"now passing (remove them from {list_file}):")
        message.extend(f"  {cid}" for cid in fixed)
    return message
